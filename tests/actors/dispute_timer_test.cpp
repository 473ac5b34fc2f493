// The dispute a ticket gets when still unresolved --dispute-after its creation: driven by a
// manual clock, once, also across restarts.
#include <gtest/gtest.h>

#include "actors/runtime.hpp"
#include "storage/store.hpp"
#include "testing/await.hpp"
#include "testing/temp_dir.hpp"

namespace crm::actors {
namespace {

using testing::awaited;

constexpr millis hour = 3'600'000;

class dispute_timers : public ::testing::Test {
protected:
  void start() {
    auto o = testing::manual_options(dir.str());
    o.cfg.sla.resolve = 100 * hour; // out of the way
    o.cfg.dispute_after = 48 * hour;
    o.cfg.escalate_after = 0; // escalation_test.cpp has it
    auto r = runtime::start(o, clk, nullptr);
    ASSERT_TRUE(r.ok()) << r.err().message;
    rt = std::move(r.value());
  }
  void SetUp() override { start(); }

  tickets::origin who() const { return {"acme", "KEY-000001", clk.wall_now()}; }

  tickets::ticket create(std::string subject) {
    awaited<tickets::ticket> a;
    tickets::create_cmd c;
    c.category = "logistics";
    c.subject = std::move(subject);
    c.shipment_id = "SHP-1";
    c.related_order_id = "ORD-1";
    c.cust = tickets::customer{"Ravi", "ravi@example.com", "9876543210"};
    caf::anon_send(rt->company("acme"), create_ticket{c, who(), a.cb()});
    auto t = a.get();
    EXPECT_TRUE(t.ok());
    return t.ok() ? t.value() : tickets::ticket{};
  }
  std::shared_ptr<const tickets::ticket> ticket(const std::string& id) {
    return rt->view("acme")->read([&](const company_data& d) { return d.tickets.find(id); });
  }
  std::vector<disputes::dispute> disputes_of(const std::string& ticket_id) {
    std::vector<disputes::dispute> out;
    rt->view("acme")->read([&](const company_data& d) {
      d.disputes.for_each([&](const disputes::dispute& x) {
        if (x.related_support_ticket_id == ticket_id)
          out.push_back(x);
      });
    });
    return out;
  }
  std::size_t tick() { return testing::tick_timers(*rt); }

  testing::temp_dir dir;
  manual_clock clk;
  std::unique_ptr<runtime> rt;
};

TEST_F(dispute_timers, an_unresolved_ticket_gets_one_dispute_when_its_time_comes) {
  auto t = create("Parcel arrived damaged");
  clk.advance(48 * hour - 1);
  tick();
  EXPECT_TRUE(disputes_of(t.id).empty());
  clk.advance(1);
  EXPECT_EQ(tick(), 1u);
  ASSERT_TRUE(testing::eventually([&] { return !ticket(t.id)->related_dispute_id.empty(); }));
  auto ds = disputes_of(t.id);
  ASSERT_EQ(ds.size(), 1u);
  auto& x = ds.front();
  EXPECT_EQ(ticket(t.id)->related_dispute_id, x.id);
  EXPECT_TRUE(x.automatic);
  EXPECT_EQ(x.t, disputes::type::damaged_goods);
  EXPECT_EQ(x.st, disputes::status::investigation);
  EXPECT_EQ(x.shipment_id, "SHP-1");
  EXPECT_EQ(x.related_order_id, "ORD-1");
  EXPECT_EQ(x.customer_email, "ravi@example.com");
  EXPECT_EQ(x.created_at, t.created_at + 48 * hour);
  // Once: nothing more comes due, and the log holds one creation, with the ticket's link.
  clk.advance(40 * hour); // the SLA (100 h) aside, nothing more comes due
  EXPECT_EQ(tick(), 0u);
  EXPECT_EQ(disputes_of(t.id).size(), 1u);
  EXPECT_EQ(rt->store().entity_seqs(x.id).value().size(), 1u);
  EXPECT_EQ(rt->store().entity_seqs(t.id).value().size(), 2u); // created, linked
}

TEST_F(dispute_timers, a_ticket_resolved_in_time_never_gets_one) {
  auto t = create("Where is my parcel");
  awaited<tickets::ticket> a;
  tickets::update_cmd c;
  c.status = "resolved";
  caf::anon_send(rt->company("acme"), update_ticket{t.id, c, who(), a.cb()});
  ASSERT_TRUE(a.get().ok());
  clk.advance(48 * hour);
  EXPECT_EQ(tick(), 1u); // the timer fires, finds it resolved, and is gone
  ASSERT_TRUE(testing::eventually([&] {
    std::size_t rows = 0;
    rt->store().scan(storage::cf::timers, "", [&](std::string_view, std::string_view) {
      ++rows;
      return true;
    });
    return rows == 0;
  }));
  EXPECT_TRUE(disputes_of(t.id).empty());
  EXPECT_TRUE(ticket(t.id)->related_dispute_id.empty());
}

TEST_F(dispute_timers, a_deadline_passed_while_down_opens_it_at_start_once) {
  auto lost = create("Parcel lost in transit");
  auto late = create("Delivery is late");
  rt.reset();
  clk.advance(49 * hour);
  start();
  EXPECT_EQ(rt->recovery().timers_fired, 2u);
  auto a = disputes_of(lost.id), b = disputes_of(late.id);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a.front().t, disputes::type::lost_shipment);
  EXPECT_EQ(b.front().t, disputes::type::delayed_delivery);
  EXPECT_EQ(ticket(lost.id)->related_dispute_id, a.front().id);
  EXPECT_NE(a.front().id, b.front().id);
  rt.reset();
  start();
  EXPECT_EQ(rt->recovery().timers_fired, 0u);
  EXPECT_EQ(disputes_of(lost.id).size(), 1u);
  EXPECT_EQ(disputes_of(late.id).size(), 1u);
  // New disputes continue the numbering.
  EXPECT_EQ(rt->environment().new_dispute_id(), "DSP-000003");
}

} // namespace
} // namespace crm::actors
