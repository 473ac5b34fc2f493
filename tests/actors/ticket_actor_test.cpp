#include <gtest/gtest.h>

#include <filesystem>

#include "actors/runtime.hpp"
#include "storage/store.hpp"
#include "actors/ticket_actor.hpp"
#include "domain/replay.hpp"
#include "testing/await.hpp"
#include "testing/temp_dir.hpp"

namespace crm::actors {
namespace {

using testing::awaited;

class ticket_actors : public ::testing::Test {
protected:
  void start() {
    auto o = testing::manual_options(dir.str());
    o.cfg.sla.resolve = 3'600'000;
    o.cfg.passivate_after = 60'000;
    auto r = runtime::start(o, clk, nullptr);
    ASSERT_TRUE(r.ok()) << r.err().message;
    rt = std::move(r.value());
  }
  void restart() {
    rt.reset();
    start();
  }
  void SetUp() override { start(); }

  tickets::origin who() const { return {"acme", "KEY-000001", clk.wall_now()}; }

  result<tickets::ticket> create(std::string subject = "Parcel not delivered") {
    awaited<tickets::ticket> a;
    tickets::create_cmd c;
    c.category = "logistics";
    c.subject = std::move(subject);
    caf::anon_send(rt->company("acme"), create_ticket{c, who(), a.cb()});
    return a.get();
  }
  result<tickets::ticket> get(const std::string& id, const std::string& company = "acme") {
    awaited<tickets::ticket> a;
    caf::anon_send(rt->company(company), get_ticket{id, a.cb()});
    return a.get();
  }
  result<tickets::ticket> update(const std::string& id, tickets::update_cmd c) {
    awaited<tickets::ticket> a;
    caf::anon_send(rt->company("acme"), update_ticket{id, std::move(c), who(), a.cb()});
    return a.get();
  }
  std::size_t tick() { return testing::tick_timers(*rt); }
  std::size_t sweep() {
    caf::scoped_actor self{rt->system()};
    std::size_t n = 0;
    self->request(rt->company("acme"), caf::infinite, sweep_atom::value, 1)
      .receive([&](std::size_t k) { n = k; }, [](caf::error&) {});
    return n;
  }

  testing::temp_dir dir;
  manual_clock clk;
  std::unique_ptr<runtime> rt;
};

TEST_F(ticket_actors, a_created_ticket_reads_back_at_once) {
  auto t = create();
  ASSERT_TRUE(t.ok()) << t.err().message;
  EXPECT_EQ(t->id, "TKT-000001");
  auto g = get(t->id);
  ASSERT_TRUE(g.ok()) << g.err().message;
  EXPECT_EQ(g->subject, "Parcel not delivered");
  EXPECT_EQ(g->st, tickets::status::open);
}

// A clean stop writes the memtables out once every write is in (the next start reads tables
// instead of replaying the write-ahead log), and what was answered reads back after it.
TEST_F(ticket_actors, a_clean_stop_leaves_the_log_in_tables) {
  auto t = create();
  ASSERT_TRUE(t.ok()) << t.err().message;
  auto ssts = [&] {
    int n = 0;
    for (auto& f : std::filesystem::directory_iterator(dir.str()))
      n += f.path().extension() == ".sst";
    return n;
  };
  EXPECT_EQ(ssts(), 0);
  rt.reset();
  EXPECT_GE(ssts(), 1);
  start();
  auto g = get(t->id);
  ASSERT_TRUE(g.ok()) << g.err().message;
  EXPECT_EQ(g->subject, "Parcel not delivered");
}

TEST_F(ticket_actors, another_company_sees_not_found) {
  auto t = create();
  ASSERT_TRUE(t.ok());
  auto g = get(t->id, "globex");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.err().code, errc::not_found);
}

TEST_F(ticket_actors, sla_breach_fires_once_with_a_manual_clock) {
  auto t = create();
  ASSERT_TRUE(t.ok());
  clk.advance(3'599'000);
  tick();
  EXPECT_FALSE(get(t->id)->sla_breached);
  clk.advance(1'000);
  EXPECT_EQ(tick(), 1u);
  ASSERT_TRUE(testing::eventually([&] { return get(t->id)->sla_breached; }));
  clk.advance(10'000);
  EXPECT_EQ(tick(), 0u);
  auto seqs = rt->store().entity_seqs(t->id).value();
  EXPECT_EQ(seqs.size(), 2u); // created, sla_breached
}

TEST_F(ticket_actors, resolved_tickets_never_breach) {
  auto t = create();
  tickets::update_cmd c;
  c.status = "resolved";
  ASSERT_TRUE(update(t->id, c).ok());
  clk.advance(7'200'000);
  tick();
  EXPECT_FALSE(get(t->id)->sla_breached);
}

TEST_F(ticket_actors, a_deadline_passed_while_down_fires_once_at_start) {
  auto t = create();
  ASSERT_TRUE(t.ok());
  rt.reset();
  clk.advance(3'600'001);
  start();
  auto g = get(t->id);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(g->sla_breached);
  EXPECT_EQ(rt->recovery().timers_fired, 1u);
  restart();
  EXPECT_EQ(rt->recovery().timers_fired, 0u);
  EXPECT_EQ(rt->store().entity_seqs(t->id).value().size(), 2u);
}

TEST_F(ticket_actors, passivated_tickets_reload_with_nothing_lost) {
  auto t = create();
  tickets::update_cmd c;
  c.status = "in-progress";
  ASSERT_TRUE(update(t->id, c).ok());
  EXPECT_EQ(rt->resident_tickets(), 1);
  clk.advance(60'000);
  EXPECT_EQ(sweep(), 1u);
  // Messages sent while it stops are buffered and answered by the reloaded actor.
  tickets::update_cmd c2;
  c2.priority = "critical";
  auto u = update(t->id, c2);
  ASSERT_TRUE(u.ok()) << u.err().message;
  auto g = get(t->id);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->st, tickets::status::in_progress);
  EXPECT_EQ(g->prio, tickets::priority::critical);
  EXPECT_TRUE(testing::eventually([&] { return rt->resident_tickets() == 1; }));
}

TEST_F(ticket_actors, closed_tickets_leave_memory) {
  auto t = create();
  tickets::update_cmd c;
  c.status = "closed";
  ASSERT_TRUE(update(t->id, c).ok());
  EXPECT_TRUE(testing::eventually([&] { return rt->resident_tickets() == 0; }));
  auto g = get(t->id);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->st, tickets::status::closed);
}

TEST_F(ticket_actors, ids_continue_after_restart) {
  ASSERT_TRUE(create().ok());
  ASSERT_TRUE(create().ok());
  restart();
  auto t = create();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id, "TKT-000003");
}

} // namespace
} // namespace crm::actors

namespace crm::actors {
namespace {

TEST_F(ticket_actors, snapshot_plus_tail_equals_full_replay) {
  rt.reset();
  auto o = testing::manual_options(dir.str());
  o.cfg.snapshot_every = 3;
  rt = std::move(runtime::start(o, clk, nullptr).value());
  auto t = create();
  ASSERT_TRUE(t.ok());
  for (int i = 0; i < 7; ++i) {
    awaited<tickets::note> a;
    caf::anon_send(rt->company("acme"),
                   add_note{t->id, tickets::note_cmd{"note " + std::to_string(i), "internal"}, who(), a.cb()});
    ASSERT_TRUE(a.get().ok());
    clk.advance(1000);
  }
  tickets::update_cmd c;
  c.status = "resolved";
  ASSERT_TRUE(update(t->id, c).ok());
  auto snap = rt->store().get(storage::cf::snapshots, t->id).value();
  ASSERT_TRUE(snap); // 9 events, a snapshot every 3
  EXPECT_EQ(storage::get_be64(*snap), rt->store().entity_seqs(t->id).value()[8]);
  auto loaded = load_ticket(rt->store(), t->id);
  ASSERT_TRUE(loaded);
  replay_state rs;
  rt->store().scan_events(1, UINT64_MAX, [&](std::uint64_t seq, std::string_view v) {
    auto e = decode_stored(v);
    e->seq = seq;
    rs.apply(*e);
    return true;
  });
  EXPECT_EQ(*loaded, rs.tickets.at(t->id));
  EXPECT_EQ(*loaded, *get(t->id));
}

} // namespace
} // namespace crm::actors

namespace crm::actors {
namespace {

TEST_F(ticket_actors, idempotency_records_expire_after_a_day) {
  auto& idem = rt->idempotency();
  idempotency_store::answer a;
  ASSERT_EQ(idem.begin("acme", "k1", "fp", a), idempotency_store::verdict::proceed);
  std::promise<void> written;
  idem.complete("acme", "k1", 201, "{}", [&] { written.set_value(); });
  written.get_future().wait();
  EXPECT_EQ(idem.begin("acme", "k1", "fp", a), idempotency_store::verdict::replay);
  EXPECT_EQ(idem.begin("acme", "k1", "other", a), idempotency_store::verdict::mismatch);
  clk.advance(idempotency_store::ttl + 1);
  EXPECT_EQ(idem.prune(), 1u);
  EXPECT_EQ(idem.size(), 0u);
  rt->journal().flush();
  EXPECT_FALSE(rt->store().get(storage::cf::indexes, storage::idempotency_key("acme", "k1")).value());
  EXPECT_EQ(idem.begin("acme", "k1", "other", a), idempotency_store::verdict::proceed);
}

TEST_F(ticket_actors, idempotency_records_survive_a_restart) {
  idempotency_store::answer a;
  ASSERT_EQ(rt->idempotency().begin("acme", "k2", "fp", a), idempotency_store::verdict::proceed);
  std::promise<void> written;
  rt->idempotency().complete("acme", "k2", 201, "{\"x\":1}", [&] { written.set_value(); });
  written.get_future().wait();
  restart();
  ASSERT_EQ(rt->idempotency().begin("acme", "k2", "fp", a), idempotency_store::verdict::replay);
  EXPECT_EQ(a.status, 201);
  EXPECT_EQ(a.body, "{\"x\":1}");
}

} // namespace
} // namespace crm::actors

namespace crm::actors {
namespace {

TEST_F(ticket_actors, new_tickets_start_passivated_and_activate_on_change) {
  auto t = create();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(rt->resident_tickets(), 0); // created by the registry, no actor yet
  auto g = get(t->id);                  // served whole from the index: no notes
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->subject, t->subject);
  EXPECT_EQ(rt->resident_tickets(), 0);
  awaited<tickets::note> n;
  caf::anon_send(rt->company("acme"), add_note{t->id, {"first", "customer"}, who(), n.cb()});
  ASSERT_TRUE(n.get().ok());
  EXPECT_EQ(rt->resident_tickets(), 1); // activated by the change
  clk.advance(60'000);
  EXPECT_EQ(sweep(), 1u);
  ASSERT_TRUE(testing::eventually([&] { return rt->resident_tickets() == 0; }));
  g = get(t->id); // has notes: the actor is loaded again to answer
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->notes.size(), 1u);
  EXPECT_EQ(g->notes[0].text, "first");
  EXPECT_EQ(rt->resident_tickets(), 1);
}

} // namespace
} // namespace crm::actors
