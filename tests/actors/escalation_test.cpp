// Time-based escalation (--escalate-after) and the daily summary (--summary-at, --timezone),
// driven by a manual clock through the real runtime: once, also across restarts, and the
// messages the notifier queues for them (CONTRACT section 11).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "actors/notifier.hpp"
#include "actors/runtime.hpp"
#include "storage/store.hpp"
#include "testing/await.hpp"
#include "testing/temp_dir.hpp"

namespace crm::actors {
namespace {

using testing::awaited;
using testing::eventually;

constexpr millis hour = 3'600'000;

class notify_clock : public ::testing::Test {
protected:
  virtual void configure(runtime_options& o) = 0;
  void start() {
    auto o = testing::manual_options(dir.str());
    o.cfg.sla.resolve = 100 * hour; // out of the way unless a test wants it
    o.cfg.dispute_after = 0;
    o.cfg.escalate_after = 0;
    // Receivers that refuse (port 9): messages are queued and their tries fail.
    o.notify.whatsapp_url = "http://127.0.0.1:9/whatsapp";
    o.notify.webhook_url = "http://127.0.0.1:9/hooks";
    o.notify.smtp_url = "smtp://127.0.0.1:9";
    o.notify.smtp_from = "crm@example.com";
    o.notify.policy.retry_delay = 1000 * hour; // one try each: the outbox stays put
    configure(o);
    auto r = runtime::start(o, clk, nullptr);
    ASSERT_TRUE(r.ok()) << r.err().message;
    rt = std::move(r.value());
  }
  void SetUp() override { start(); }
  void restart() {
    rt.reset();
    start();
  }

  tickets::origin who() const { return {"acme", "KEY-1", clk.wall_now()}; }

  std::string rep(const std::string& name, const std::string& boss = "", const std::string& phone = "9000000000") {
    reps::create_cmd c;
    c.name = name;
    c.email = name + "@example.com";
    c.phone = phone;
    c.territory = "north";
    c.reporting_to = boss;
    c.availability = "offline"; // the dispatcher leaves them alone
    awaited<reps::rep> a;
    caf::anon_send(rt->company("acme"), create_rep{c, who(), a.cb()});
    auto r = a.get();
    EXPECT_TRUE(r.ok()) << r.err().message;
    return r.ok() ? r->id : "";
  }
  tickets::ticket create(const std::string& subject, const std::string& assignee = "") {
    awaited<tickets::ticket> a;
    tickets::create_cmd c;
    c.category = "logistics";
    c.subject = subject;
    c.cust = tickets::customer{"Ravi", "ravi@example.com", "9876543210"};
    caf::anon_send(rt->company("acme"), create_ticket{c, who(), a.cb()});
    auto t = a.get();
    EXPECT_TRUE(t.ok());
    if (!t.ok())
      return {};
    if (!assignee.empty())
      return update(t->id, [&](tickets::update_cmd& u) { u.assigned_to = assignee; });
    return t.value();
  }
  tickets::ticket update(const std::string& id, const std::function<void(tickets::update_cmd&)>& f) {
    tickets::update_cmd u;
    f(u);
    awaited<tickets::ticket> a;
    caf::anon_send(rt->company("acme"), update_ticket{id, u, who(), a.cb()});
    auto t = a.get();
    EXPECT_TRUE(t.ok()) << t.err().message;
    return t.ok() ? t.value() : tickets::ticket{};
  }
  std::shared_ptr<const tickets::ticket> ticket(const std::string& id) {
    return rt->view("acme")->read([&](const company_data& d) { return d.tickets.find(id); });
  }
  std::size_t tick() { return testing::tick_timers(*rt); }
  /// The notifier's own tick (the daily summary, deliveries).
  void tick_notifier() {
    caf::scoped_actor self{rt->system()};
    self->request(rt->notifier(), caf::infinite, tick_atom::value, 1)
      .receive([](std::size_t) {}, [](caf::error&) {});
  }
  /// Waits until the notifier has turned every event handed to it so far into written messages
  /// (call it once the trigger's write is answered or seen).
  void flush() {
    caf::scoped_actor self{rt->system()};
    bool done = false;
    self->request(rt->notifier(), std::chrono::seconds(10), flush_atom::value)
      .receive([&](bool) { done = true; }, [](caf::error&) {});
    EXPECT_TRUE(done) << "the notifier did not settle within 10 s";
  }
  std::vector<notifications::notification> outbox() {
    awaited<notifications::list_page> a;
    notifications::list_query q;
    q.limit = 1000;
    caf::anon_send(rt->notifier(), list_notifications{"acme", q, a.cb()});
    auto p = a.get();
    EXPECT_TRUE(p.ok());
    if (!p.ok())
      return {};
    // The outbox keeps no text once it is in the log: read it from the notification.queued.
    for (auto& n : p->items) {
      EXPECT_TRUE(n.body.empty()) << n.id;
      auto ev = rt->store().event_at(n.queued_seq);
      EXPECT_TRUE(ev.ok()) << n.id;
      notifications::notification whole;
      if (ev.ok() && notifications::apply(whole, ev.value())) {
        n.subject = whole.subject;
        n.body = whole.body;
      }
    }
    return p->items;
  }
  std::vector<notifications::notification> outbox_of(std::string_view event) {
    auto all = outbox();
    std::erase_if(all, [&](auto& n) { return n.event != event; });
    return all;
  }
  /// How many events of `type` the log holds for entity `id`.
  std::size_t count_events(const std::string& id, std::string_view type) {
    std::size_t n = 0;
    auto r = rt->store().entity_events(id, 0, [&](const event& ev) { n += ev.type == type ? 1 : 0; });
    EXPECT_TRUE(r.ok());
    return n;
  }
  std::size_t timer_rows() {
    std::size_t rows = 0;
    rt->store().scan(storage::cf::timers, "", [&](std::string_view, std::string_view) {
      ++rows;
      return true;
    });
    return rows;
  }

  testing::temp_dir dir;
  manual_clock clk;
  std::unique_ptr<runtime> rt;
};

class escalation : public notify_clock {
protected:
  void configure(runtime_options& o) override { o.cfg.escalate_after = 24 * hour; }
};

TEST_F(escalation, an_unresolved_ticket_goes_to_the_supervisor_once_with_whatsapp_and_a_webhook) {
  auto boss = rep("meera", "", "9000000001");
  auto agent = rep("arjun", boss, "9000000002");
  auto t = create("Parcel stuck at hub", agent);
  ASSERT_EQ(t.assigned_to, agent);
  clk.advance(24 * hour - 1);
  tick();
  flush();
  EXPECT_FALSE(ticket(t.id)->escalated);
  EXPECT_TRUE(outbox_of("ticket.escalated").empty());
  EXPECT_EQ(outbox_of("ticket.assigned").size(), 1u); // the assignment's WhatsApp to arjun
  clk.advance(1);
  EXPECT_EQ(tick(), 1u);
  ASSERT_TRUE(eventually([&] { return ticket(t.id)->escalated; }));
  EXPECT_EQ(ticket(t.id)->assigned_to, boss);
  // The supervisor gets a WhatsApp from the template, the platform a webhook.
  ASSERT_TRUE(eventually([&] { return outbox_of("ticket.escalated").size() == 2; }));
  auto sent = outbox_of("ticket.escalated");
  auto wa = std::find_if(sent.begin(), sent.end(), [](auto& n) { return n.ch == notifications::channel::whatsapp; });
  auto hook = std::find_if(sent.begin(), sent.end(), [](auto& n) { return n.ch == notifications::channel::webhook; });
  ASSERT_NE(wa, sent.end());
  ASSERT_NE(hook, sent.end());
  EXPECT_EQ(wa->to, "9000000001");
  EXPECT_NE(wa->body.find(t.id), std::string::npos) << wa->body;
  EXPECT_NE(wa->body.find("24h"), std::string::npos) << wa->body;
  EXPECT_NE(hook->body.find("\"ticket.escalated\""), std::string::npos) << hook->body;
  EXPECT_NE(hook->body.find(boss), std::string::npos) << hook->body;
  // Once: nothing more comes due, and the log holds one escalation.
  clk.advance(100 * hour);
  tick();
  EXPECT_EQ(count_events(t.id, "ticket.escalated"), 1u);
  // The escalation's row went with it, the SLA's with its breach (written after the tick).
  EXPECT_TRUE(eventually([&] { return timer_rows() == 0; }));
  restart();
  clk.advance(100 * hour);
  tick();
  flush();
  EXPECT_EQ(count_events(t.id, "ticket.escalated"), 1u);
  EXPECT_EQ(outbox_of("ticket.escalated").size(), 2u);
}

TEST_F(escalation, without_a_supervisor_the_assignee_stays_and_only_the_webhook_goes) {
  auto agent = rep("arjun", "", "9000000002");
  auto lone = create("No one above", agent);
  auto unassigned = create("Nobody has it");
  clk.advance(24 * hour);
  EXPECT_EQ(tick(), 2u);
  ASSERT_TRUE(eventually([&] { return ticket(lone.id)->escalated && ticket(unassigned.id)->escalated; }));
  EXPECT_EQ(ticket(lone.id)->assigned_to, agent);
  EXPECT_TRUE(ticket(unassigned.id)->assigned_to.empty());
  ASSERT_TRUE(eventually([&] { return outbox_of("ticket.escalated").size() == 2; }));
  for (auto& n : outbox_of("ticket.escalated"))
    EXPECT_EQ(n.ch, notifications::channel::webhook);
}

TEST_F(escalation, a_resolved_ticket_is_never_escalated_and_its_row_is_gone) {
  auto t = create("Fixed quickly");
  update(t.id, [](tickets::update_cmd& u) { u.status = "resolved"; });
  EXPECT_EQ(timer_rows(), 1u); // the escalation's (the SLA's went with the resolution)
  clk.advance(24 * hour);
  EXPECT_EQ(tick(), 1u);
  ASSERT_TRUE(eventually([&] { return timer_rows() == 0; }));
  EXPECT_FALSE(ticket(t.id)->escalated);
  EXPECT_EQ(count_events(t.id, "ticket.escalated"), 0u);
}

TEST_F(escalation, a_deadline_passed_while_down_escalates_at_start_once) {
  auto boss = rep("meera", "", "9000000001");
  auto agent = rep("arjun", boss);
  auto t = create("Waiting for days", agent);
  rt.reset();
  clk.advance(30 * hour);
  start();
  EXPECT_EQ(rt->recovery().timers_fired, 1u);
  EXPECT_TRUE(ticket(t.id)->escalated);
  EXPECT_EQ(ticket(t.id)->assigned_to, boss);
  // Its messages come from the notifier's catch-up at start.
  ASSERT_TRUE(eventually([&] { return outbox_of("ticket.escalated").size() == 2; }));
  restart();
  EXPECT_EQ(rt->recovery().timers_fired, 0u);
  flush();
  EXPECT_EQ(count_events(t.id, "ticket.escalated"), 1u);
  EXPECT_EQ(outbox_of("ticket.escalated").size(), 2u); // not made again by the next catch-up
}

class age_chain : public notify_clock {
protected:
  void configure(runtime_options& o) override {
    o.cfg.escalate_after = 24 * hour;
    o.cfg.dispute_after = 48 * hour;
  }
};

TEST_F(age_chain, one_row_per_ticket_and_a_jump_past_both_does_both_in_one_write) {
  auto a = create("Parcel damaged in transit");
  auto b = create("Parcel lost");
  // One age row each (and the SLA's).
  EXPECT_EQ(timer_rows(), 4u);
  clk.advance(24 * hour);
  EXPECT_EQ(tick(), 2u); // escalations; the dispute rows replace theirs
  ASSERT_TRUE(eventually([&] { return ticket(a.id)->escalated && ticket(b.id)->escalated; }));
  EXPECT_EQ(timer_rows(), 4u);
  EXPECT_TRUE(ticket(a.id)->related_dispute_id.empty());
  clk.advance(24 * hour);
  EXPECT_EQ(tick(), 2u);
  ASSERT_TRUE(eventually([&] {
    return !ticket(a.id)->related_dispute_id.empty() && !ticket(b.id)->related_dispute_id.empty();
  }));
  EXPECT_EQ(timer_rows(), 2u); // the SLA's only (both writes are answered and published)
  // A ticket made now, with the server down past both steps: both at start, in one write.
  auto c = create("Parcel not delivered");
  rt.reset();
  clk.advance(72 * hour);
  start();
  EXPECT_TRUE(ticket(c.id)->escalated);
  EXPECT_FALSE(ticket(c.id)->related_dispute_id.empty());
  EXPECT_EQ(count_events(c.id, "ticket.escalated"), 1u);
  EXPECT_EQ(count_events(c.id, "ticket.linked"), 1u);
}

class callback_sms : public notify_clock {
protected:
  void configure(runtime_options& o) override {
    o.notify.sms_url = "http://127.0.0.1:9/sms";
    o.cfg.callbacks.retry_delay = hour;
    o.cfg.callbacks.max_attempts = 3;
  }
  std::string available_rep(const std::string& name, const std::string& phone) {
    auto id = rep(name, "", phone);
    reps::update_cmd u;
    u.availability = "available";
    awaited<reps::rep> a;
    caf::anon_send(rt->company("acme"), update_rep{id, u, who(), a.cb()});
    EXPECT_TRUE(a.get().ok());
    return id;
  }
  std::shared_ptr<const calls::call_log> call(const std::string& id) {
    return rt->view("acme")->read([&](const company_data& d) {
      auto* c = d.calls.find(id);
      return c ? std::make_shared<const calls::call_log>(*c) : nullptr;
    });
  }
};

TEST_F(callback_sms, the_rep_a_call_goes_to_when_its_callback_comes_due_gets_one_sms) {
  auto r = available_rep("arjun", "9000000007");
  ndr::ndr_event ev;
  ev.ndr_event_id = "N1";
  ev.shipment_id = "SHP-1";
  ev.order_id = "ORD-77";
  ev.action = "call";
  ev.territory = "north";
  awaited<ndr_outcome> a;
  caf::anon_send(rt->company("acme"), ingest_ndr{ev, who(), a.cb()});
  auto o = a.get();
  ASSERT_TRUE(o.ok()) << o.err().message;
  auto id = o->call_log_id;
  ASSERT_TRUE(eventually([&] { auto c = call(id); return c && c->assigned_to == r; }));
  // The first assignment is no callback: no SMS, but the assignment's WhatsApp (made once the
  // registry has published the call, written in the same batch as its assignment).
  flush();
  EXPECT_TRUE(outbox_of("call.callback_due").empty());
  ASSERT_EQ(outbox_of("call.assigned").size(), 1u);
  EXPECT_NE(outbox_of("call.assigned").front().body.find("New call request for Order #ORD-77"), std::string::npos);
  calls::update_cmd u;
  u.status = "no-answer";
  awaited<calls::call_log> w;
  caf::anon_send(rt->company("acme"), update_call{id, u, who(), w.cb()});
  ASSERT_TRUE(w.get().ok());
  clk.advance(hour);
  EXPECT_EQ(tick(), 1u);
  // Due: pending again, assigned again by the dispatcher, and that rep gets the SMS.
  ASSERT_TRUE(eventually([&] { return outbox_of("call.callback_due").size() == 1; }));
  auto sms = outbox_of("call.callback_due").front();
  EXPECT_EQ(sms.ch, notifications::channel::sms);
  EXPECT_EQ(sms.to, "9000000007");
  EXPECT_NE(sms.body.find("ORD-77"), std::string::npos) << sms.body;
  EXPECT_NE(sms.body.find(id), std::string::npos) << sms.body;
  // Only the first assignment after it: the rep going offline and back makes no second SMS.
  ASSERT_TRUE(eventually([&] { auto c = call(id); return c && c->assigned_to == r; }));
  reps::update_cmd off;
  off.availability = "offline";
  awaited<reps::rep> x;
  caf::anon_send(rt->company("acme"), update_rep{r, off, who(), x.cb()});
  ASSERT_TRUE(x.get().ok());
  ASSERT_TRUE(eventually([&] { auto c = call(id); return c && c->assigned_to.empty(); }));
  reps::update_cmd on;
  on.availability = "available";
  awaited<reps::rep> y;
  caf::anon_send(rt->company("acme"), update_rep{r, on, who(), y.cb()});
  ASSERT_TRUE(y.get().ok());
  ASSERT_TRUE(eventually([&] { auto c = call(id); return c && c->assigned_to == r; }));
  flush();
  EXPECT_EQ(outbox_of("call.callback_due").size(), 1u);
  EXPECT_EQ(outbox_of("call.assigned").size(), 3u); // a WhatsApp for each assignment
}

class daily_summary : public notify_clock {
protected:
  void configure(runtime_options& o) override {
    o.cfg.sla.resolve = 1 * hour;
    o.notify.summary = daily_schedule::make("09:00", "Asia/Kolkata").value();
  }
  daily_schedule schedule() const { return daily_schedule::make("09:00", "Asia/Kolkata").value(); }
  /// meera <- arjun <- kavya, meera <- divya; sunil alone.
  void team() {
    meera = rep("meera");
    arjun = rep("arjun", meera);
    divya = rep("divya", meera);
    kavya = rep("kavya", arjun);
    sunil = rep("sunil");
  }
  std::string meera, arjun, divya, kavya, sunil;
};

TEST_F(daily_summary, goes_at_the_time_in_the_zone_to_each_rep_with_reports_with_their_teams_counts) {
  team();
  auto late = create("Breaches its SLA", arjun);
  create("Open with arjun", arjun);
  create("Open with kavya", kavya);
  auto done = create("Resolved by divya", divya);
  update(done.id, [](tickets::update_cmd& u) { u.status = "resolved"; });
  create("Open with sunil", sunil);
  clk.advance(2 * hour);
  tick(); // the SLA of the open ones breaches
  ASSERT_TRUE(eventually([&] { return ticket(late.id)->sla_breached; }));
  // Nothing before the slot; then one email per rep with reports.
  auto slot = schedule().next_after(clk.wall_now());
  clk.advance(slot - clk.wall_now() - 1);
  tick_notifier();
  flush();
  EXPECT_TRUE(outbox_of("summary.daily").empty());
  clk.advance(1);
  tick_notifier();
  ASSERT_TRUE(eventually([&] { return outbox_of("summary.daily").size() == 2; }));
  std::map<std::string, notifications::notification> by_to;
  for (auto& n : outbox_of("summary.daily"))
    by_to[n.to] = n;
  ASSERT_TRUE(by_to.count("meera@example.com"));
  ASSERT_TRUE(by_to.count("arjun@example.com"));
  auto& m = by_to["meera@example.com"];
  EXPECT_EQ(m.ch, notifications::channel::email);
  EXPECT_NE(m.subject.find(schedule().local_date(slot)), std::string::npos) << m.subject;
  // meera's team: arjun, divya, kavya: 3 open (all breached), 1 resolved in the last 24 h.
  EXPECT_NE(m.body.find("team of 3 reps"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("open tickets: 3\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("breached (SLA): 3\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("resolved in the last 24 hours: 1\n"), std::string::npos) << m.body;
  // arjun's team: kavya: 1 open.
  auto& a = by_to["arjun@example.com"];
  EXPECT_NE(a.body.find("team of 1 reps"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("open tickets: 1\n"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("resolved in the last 24 hours: 0\n"), std::string::npos) << a.body;
  // Once per slot.
  tick_notifier();
  clk.advance(hour);
  tick_notifier();
  flush();
  EXPECT_EQ(outbox_of("summary.daily").size(), 2u);
  // The next day's.
  clk.advance(schedule().next_after(clk.wall_now()) - clk.wall_now());
  tick_notifier();
  ASSERT_TRUE(eventually([&] { return outbox_of("summary.daily").size() == 4; }));
}

TEST_F(daily_summary, one_missed_while_down_goes_once_at_start_and_a_new_data_dir_missed_none) {
  team();
  create("Open with arjun", arjun);
  // This data dir started after today's slot: it owes nothing yet.
  flush();
  EXPECT_TRUE(outbox_of("summary.daily").empty());
  rt.reset();
  clk.advance(3 * 24 * hour); // three slots pass while down: one summary, not three
  start();
  ASSERT_TRUE(eventually([&] { return outbox_of("summary.daily").size() == 2; }));
  restart();
  tick_notifier();
  flush();
  EXPECT_EQ(outbox_of("summary.daily").size(), 2u);
}

TEST_F(daily_summary, on_demand_it_goes_now_for_the_company_and_again_each_time) {
  team();
  awaited<std::vector<std::string>> a;
  caf::anon_send(rt->notifier(), summary_now{"acme", who(), a.cb()});
  auto ids = a.get();
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 2u);
  ASSERT_TRUE(eventually([&] { return outbox_of("summary.daily").size() == 2; }));
  awaited<std::vector<std::string>> b;
  caf::anon_send(rt->notifier(), summary_now{"acme", who(), b.cb()});
  ASSERT_TRUE(b.get().ok());
  ASSERT_TRUE(eventually([&] { return outbox_of("summary.daily").size() == 4; }));
  // Another company without reps gets none.
  awaited<std::vector<std::string>> c;
  caf::anon_send(rt->notifier(), summary_now{"globex", who(), c.cb()});
  auto none = c.get();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

} // namespace
} // namespace crm::actors
