// Calls from NDR events through the real runtime with a manual clock: assignment by the
// dispatcher, callbacks with doubling delay, escalation after the last attempt, and restarts
// with pending callbacks and assignments.
#include <gtest/gtest.h>

#include "actors/runtime.hpp"
#include "storage/store.hpp"
#include "testing/await.hpp"
#include "testing/temp_dir.hpp"

namespace crm::actors {
namespace {

using testing::awaited;
using testing::eventually;

constexpr millis retry = 60'000;

class calls_flow : public ::testing::Test {
protected:
  void start() {
    auto o = testing::manual_options(dir.str());
    o.cfg.callbacks.retry_delay = retry;
    o.cfg.callbacks.max_attempts = 3;
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

  std::string rep(const std::string& email, const std::string& territory = "north",
                  std::optional<std::int64_t> cap = std::nullopt) {
    reps::create_cmd c;
    c.max_open_items = cap;
    c.name = "Rep";
    c.email = email;
    c.phone = "9876543210";
    c.territory = territory;
    awaited<reps::rep> a;
    caf::anon_send(rt->company("acme"), create_rep{c, who(), a.cb()});
    auto r = a.get();
    EXPECT_TRUE(r.ok()) << r.err().message;
    return r.ok() ? r->id : "";
  }
  result<reps::rep> set_availability(const std::string& id, const char* a) {
    reps::update_cmd u;
    u.availability = a;
    awaited<reps::rep> w;
    caf::anon_send(rt->company("acme"), update_rep{id, u, who(), w.cb()});
    return w.get();
  }
  result<ndr_outcome> ndr(const std::string& id, const std::string& territory = "north") {
    ndr::ndr_event ev;
    ev.ndr_event_id = id;
    ev.shipment_id = "SHP-" + id;
    ev.order_id = "ORD-" + id;
    ev.action = "call";
    ev.territory = territory;
    awaited<ndr_outcome> a;
    caf::anon_send(rt->company("acme"), ingest_ndr{ev, who(), a.cb()});
    return a.get();
  }
  result<calls::call_log> call(const std::string& id) {
    awaited<calls::call_log> a;
    caf::anon_send(rt->company("acme"), get_call{id, a.cb()});
    return a.get();
  }
  result<calls::call_log> outcome(const std::string& id, const char* status, const char* resolution = nullptr) {
    calls::update_cmd u;
    u.status = status;
    if (resolution)
      u.resolution = resolution;
    awaited<calls::call_log> a;
    caf::anon_send(rt->company("acme"), update_call{id, u, who(), a.cb()});
    return a.get();
  }
  result<tickets::ticket> ticket(const std::string& id) {
    awaited<tickets::ticket> a;
    caf::anon_send(rt->company("acme"), get_ticket{id, a.cb()});
    return a.get();
  }
  std::size_t tick() { return testing::tick_timers(*rt); }
  std::vector<event> events_of(const std::string& id) {
    std::vector<event> out;
    auto seqs = rt->store().entity_seqs(id);
    EXPECT_TRUE(seqs.ok());
    for (auto seq : seqs.value())
      out.push_back(rt->store().event_at(seq).value());
    return out;
  }
  std::size_t count(const std::string& id, const std::string& type) {
    std::size_t n = 0;
    for (auto& e : events_of(id))
      n += e.type == type;
    return n;
  }
  bool assigned_to(const std::string& call_id, const std::string& rep_id) {
    return eventually([&] {
      auto c = call(call_id);
      return c.ok() && c->assigned_to == rep_id;
    });
  }

  testing::temp_dir dir;
  manual_clock clk;
  std::unique_ptr<runtime> rt;
};

TEST_F(calls_flow, an_ndr_call_is_assigned_to_a_rep_of_its_territory) {
  auto south = rep("s@x.in", "south");
  auto north = rep("n@x.in", "north");
  auto o = ndr("N1", "north");
  ASSERT_TRUE(o.ok()) << o.err().message;
  EXPECT_EQ(o->call_log_id, "CALL-000001");
  EXPECT_TRUE(assigned_to(o->call_log_id, north));
  // The same NDR event again: the same ids, nothing new.
  auto again = ndr("N1", "north");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->call_log_id, o->call_log_id);
  EXPECT_EQ(again->ticket_id, o->ticket_id);
  EXPECT_EQ(count(o->call_log_id, "call.created"), 1u);
  (void)south;
}

TEST_F(calls_flow, callbacks_double_then_the_last_failure_escalates) {
  auto r = rep("a@x.in");
  auto id = ndr("N1")->call_log_id;
  ASSERT_TRUE(assigned_to(id, r));
  auto c = outcome(id, "no-answer");
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->attempts, 1u);
  EXPECT_EQ(c->scheduled_for, clk.wall_now() + retry); // 1 x delay
  EXPECT_EQ(outcome(id, "completed", "x").err().code, errc::conflict); // waiting for its callback

  clk.advance(retry - 1);
  EXPECT_EQ(tick(), 0u);
  clk.advance(1);
  EXPECT_EQ(tick(), 1u);
  ASSERT_TRUE(eventually([&] { return call(id)->st == calls::status::pending; }));
  ASSERT_TRUE(assigned_to(id, r)); // handed out again

  c = outcome(id, "disconnected");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->attempts, 2u);
  EXPECT_EQ(c->scheduled_for, clk.wall_now() + 2 * retry); // 2 x delay
  clk.advance(2 * retry);
  EXPECT_EQ(tick(), 1u);
  ASSERT_TRUE(assigned_to(id, r));

  c = outcome(id, "no-answer"); // the third and last attempt
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c->attempts, 3u);
  ASSERT_FALSE(c->support_ticket_id.empty());
  EXPECT_FALSE(c->awaiting_callback);
  auto t = ticket(c->support_ticket_id);
  ASSERT_TRUE(t.ok()) << t.err().message;
  EXPECT_EQ(t->related_call_log_id, id);
  EXPECT_EQ(t->shipment_id, "SHP-N1");
  EXPECT_EQ(outcome(id, "in-progress").err().code, errc::conflict);
  clk.advance(100 * retry);
  EXPECT_EQ(tick(), 0u); // no callback is left
  EXPECT_EQ(count(id, "call.callback_due"), 2u);
  EXPECT_EQ(count(id, "call.escalated"), 1u);
}

TEST_F(calls_flow, a_restart_with_pending_callbacks_fires_each_once) {
  auto r = rep("a@x.in");
  auto due_while_down = ndr("N1")->call_log_id;
  auto due_later = ndr("N2")->call_log_id;
  ASSERT_TRUE(assigned_to(due_while_down, r));
  ASSERT_TRUE(assigned_to(due_later, r));
  ASSERT_TRUE(outcome(due_while_down, "no-answer").ok());
  clk.advance(1000);
  ASSERT_TRUE(outcome(due_later, "no-answer").ok());
  rt.reset();
  clk.advance(retry - 500); // the first is due now; the second half a second later
  start();
  ASSERT_TRUE(eventually([&] { return call(due_while_down)->st == calls::status::pending; }));
  EXPECT_EQ(call(due_later)->st, calls::status::no_answer);
  EXPECT_EQ(tick(), 0u);
  clk.advance(500);
  EXPECT_EQ(tick(), 1u);
  ASSERT_TRUE(eventually([&] { return call(due_later)->st == calls::status::pending; }));
  restart();
  clk.advance(10 * retry);
  EXPECT_EQ(tick(), 0u);
  EXPECT_EQ(count(due_while_down, "call.callback_due"), 1u);
  EXPECT_EQ(count(due_later, "call.callback_due"), 1u);
  // Both wait for the rep again, and are handed out once each.
  ASSERT_TRUE(assigned_to(due_while_down, r));
  ASSERT_TRUE(assigned_to(due_later, r));
  EXPECT_EQ(count(due_while_down, "call.assigned"), 2u);
  EXPECT_EQ(count(due_later, "call.assigned"), 2u);
}

TEST_F(calls_flow, calls_wait_for_a_rep_and_survive_a_restart_unassigned_or_assigned) {
  auto a = ndr("N1")->call_log_id;
  auto b = ndr("N2")->call_log_id;
  EXPECT_TRUE(call(a)->assigned_to.empty()); // no rep yet: it waits
  auto r = rep("a@x.in", "north", 1);
  ASSERT_TRUE(eventually([&] { return call(a)->assigned_to == r || call(b)->assigned_to == r; }));
  restart();
  // After the restart nothing is lost or doubled: one is assigned, one still waits (capacity 1).
  auto ca = call(a), cb = call(b);
  EXPECT_NE(ca->assigned_to.empty(), cb->assigned_to.empty());
  auto first = ca->assigned_to.empty() ? b : a;
  auto second = ca->assigned_to.empty() ? a : b;
  ASSERT_TRUE(outcome(first, "completed", "delivered tomorrow").ok());
  ASSERT_TRUE(assigned_to(second, r)); // the freed capacity takes the waiting call
  EXPECT_EQ(count(first, "call.assigned"), 1u);
  EXPECT_EQ(count(second, "call.assigned"), 1u);
  // Going offline hands the pending call back.
  ASSERT_TRUE(set_availability(r, "offline").ok());
  ASSERT_TRUE(eventually([&] { return call(second)->assigned_to.empty(); }));
  auto other = rep("b@x.in", "south");
  ASSERT_TRUE(assigned_to(second, other)); // no rep of its territory: anyone available
}

TEST_F(calls_flow, back_to_back_rep_changes_all_land_while_its_actor_comes_and_goes) {
  auto r = rep("a@x.in");
  // Each change activates the rep's actor, which passivates once its write is done: changes
  // that arrive while it stops wait for the next one, and none is lost.
  // One after another (each sent when the last is answered, as a client would), and then a
  // burst without waiting.
  for (int i = 0; i < 30; ++i) {
    reps::update_cmd u;
    u.availability = i % 2 ? "busy" : "available";
    u.territory = "T" + std::to_string(i);
    awaited<reps::rep> a;
    caf::anon_send(rt->company("acme"), update_rep{r, u, who(), a.cb()});
    auto got = a.get();
    ASSERT_TRUE(got.ok()) << i << ": " << got.err().message;
  }
  std::vector<awaited<reps::rep>> answers(30);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    reps::update_cmd u;
    u.availability = i % 2 ? "busy" : "available";
    u.territory = "T" + std::to_string(30 + i);
    caf::anon_send(rt->company("acme"), update_rep{r, u, who(), answers[i].cb()});
  }
  for (auto& a : answers) {
    auto got = a.get();
    ASSERT_TRUE(got.ok()) << got.err().message;
  }
  restart();
  awaited<rep_view> v;
  caf::anon_send(rt->company("acme"), get_rep{r, false, v.cb()});
  auto got = v.get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->r.territory, "T59");
  EXPECT_EQ(got->r.avail, reps::availability::busy);
  EXPECT_EQ(count(r, "rep.updated"), 60u);
}

TEST_F(calls_flow, tickets_go_by_skill_where_the_company_turns_it_on_and_share_capacity_with_calls) {
  auto make_rep = [&](const char* email, std::vector<std::string> skills) {
    reps::create_cmd c;
    c.name = "Rep";
    c.email = email;
    c.phone = "9876543210";
    c.territory = "north";
    c.skills = std::move(skills);
    c.max_open_items = 1;
    awaited<reps::rep> a;
    caf::anon_send(rt->company("acme"), create_rep{c, who(), a.cb()});
    return a.get()->id;
  };
  auto make_ticket = [&](const char* category) {
    tickets::create_cmd c;
    c.category = category;
    c.subject = "Help";
    awaited<tickets::ticket> a;
    caf::anon_send(rt->company("acme"), create_ticket{c, who(), a.cb()});
    return a.get()->id;
  };
  auto settings = [&](bool on) {
    awaited<bool> a;
    caf::anon_send(rt->company("acme"), dispatch_settings{on, who(), a.cb()});
    return a.get();
  };
  auto assignee = [&](const std::string& id) { return ticket(id)->assigned_to; };
  auto biller = make_rep("b@x.in", {"billing"});
  auto courier = make_rep("c@x.in", {"logistics", "other"});
  auto t1 = make_ticket("billing");
  EXPECT_TRUE(assignee(t1).empty()); // off by default
  ASSERT_TRUE(settings(true).ok());
  ASSERT_TRUE(eventually([&] { return assignee(t1) == biller; }));
  auto t2 = make_ticket("logistics");
  ASSERT_TRUE(eventually([&] { return assignee(t2) == courier; }));
  auto t3 = make_ticket("billing"); // the biller is at capacity: it waits
  auto cid = ndr("N1")->call_log_id; // both are at capacity: the call waits too
  EXPECT_TRUE(assignee(t3).empty());
  EXPECT_TRUE(call(cid).value().assigned_to.empty());
  tickets::update_cmd done;
  done.status = "resolved";
  awaited<tickets::ticket> a;
  caf::anon_send(rt->company("acme"), update_ticket{t1, done, who(), a.cb()});
  ASSERT_TRUE(a.get().ok());
  // The freed place goes to the oldest waiting work the biller can take: the call (calls first).
  ASSERT_TRUE(assigned_to(cid, biller));
  EXPECT_TRUE(assignee(t3).empty());
  ASSERT_TRUE(outcome(cid, "completed", "ok").ok());
  ASSERT_TRUE(eventually([&] { return assignee(t3) == biller; }));
  restart();
  EXPECT_EQ(assignee(t3), biller);
  EXPECT_EQ(count(t3, "ticket.assigned"), 1u);
  EXPECT_EQ(count(t1, "ticket.assigned"), 1u);
  // Off again: new tickets wait for a person to assign them. The courier, freed, takes the next
  // call rather than the ticket that came before it.
  ASSERT_TRUE(settings(false).ok());
  caf::anon_send(rt->company("acme"), update_ticket{t2, done, who(), awaited<tickets::ticket>{}.cb()});
  ASSERT_TRUE(eventually([&] { return ticket(t2)->st == tickets::status::resolved; }));
  auto t4 = make_ticket("other");
  auto c2 = ndr("N2")->call_log_id;
  ASSERT_TRUE(assigned_to(c2, courier));
  EXPECT_TRUE(assignee(t4).empty());
}

} // namespace
} // namespace crm::actors
