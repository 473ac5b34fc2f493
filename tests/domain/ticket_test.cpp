#include <gtest/gtest.h>

#include "domain/ndr.hpp"
#include "domain/replay.hpp"
#include "domain/ticket.hpp"
#include "domain/time_format.hpp"

namespace crm::tickets {
namespace {

const millis t0 = 1'795'000'000'000;

std::vector<event> as_events(const std::vector<event_draft>& ds, std::uint64_t& seq) {
  std::vector<event> out;
  for (auto& d : ds)
    out.push_back(event{++seq, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
  return out;
}

struct fixture {
  ticket t;
  std::uint64_t seq = 0;
  sla_policy sla;
  origin who{"acme", "KEY-000001", t0};

  explicit fixture(std::string prio = "medium") {
    create_cmd c;
    c.category = "billing";
    c.priority = prio;
    c.subject = "Refund";
    auto r = decide_create(c, "TKT-000001", who, sla);
    EXPECT_TRUE(r.ok());
    for (auto& e : as_events(r.value(), seq))
      EXPECT_TRUE(apply(t, e));
  }
  result<std::vector<event_draft>> set_status(const char* s, millis at) {
    update_cmd u;
    u.status = s;
    who.now = at;
    auto r = decide_update(t, u, who);
    if (r.ok())
      for (auto& e : as_events(r.value(), seq))
        apply(t, e);
    return r;
  }
};

TEST(workflow, allows_exactly_the_contract_transitions) {
  using S = status;
  const S all[] = {S::open, S::in_progress, S::resolved, S::closed};
  std::set<std::pair<S, S>> allowed = {
    {S::open, S::in_progress}, {S::open, S::resolved}, {S::open, S::closed},
    {S::in_progress, S::resolved}, {S::in_progress, S::closed},
    {S::resolved, S::closed}, {S::resolved, S::in_progress}};
  for (auto a : all)
    for (auto b : all)
      EXPECT_EQ(transition_allowed(a, b), allowed.count({a, b}) == 1)
        << to_string(a) << " -> " << to_string(b);
}

TEST(workflow, forbidden_change_is_conflict_and_unknown_status_is_invalid) {
  fixture f;
  ASSERT_TRUE(f.set_status("closed", t0 + 1).ok());
  auto r = f.set_status("open", t0 + 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::conflict);
  fixture g;
  auto bad = g.set_status("done", t0 + 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().code, errc::invalid);
  ASSERT_EQ(bad.err().details.size(), 1u);
  EXPECT_EQ(bad.err().details[0].field, "status");
}

TEST(workflow, stamps_resolved_closed_and_first_response) {
  fixture f;
  EXPECT_FALSE(f.t.first_response_at);
  ASSERT_TRUE(f.set_status("in-progress", t0 + 10).ok());
  EXPECT_EQ(f.t.first_response_at, t0 + 10);
  ASSERT_TRUE(f.set_status("resolved", t0 + 20).ok());
  EXPECT_EQ(f.t.resolved_at, t0 + 20);
  ASSERT_TRUE(f.set_status("in-progress", t0 + 30).ok()); // reopen
  EXPECT_FALSE(f.t.resolved_at);
  EXPECT_EQ(f.t.last_resolution_at, t0 + 20);
  ASSERT_TRUE(f.set_status("closed", t0 + 40).ok());
  EXPECT_EQ(f.t.closed_at, t0 + 40);
  EXPECT_EQ(f.t.first_response_at, t0 + 10);
}

TEST(workflow, a_customer_note_is_a_first_response_an_internal_one_is_not) {
  fixture f;
  note_cmd n{"checking", "internal"};
  auto r = decide_note(f.t, n, f.who);
  ASSERT_TRUE(r.ok());
  for (auto& e : as_events(r.value(), f.seq))
    apply(f.t, e);
  EXPECT_FALSE(f.t.first_response_at);
  n.type = "customer";
  f.who.now = t0 + 5;
  r = decide_note(f.t, n, f.who);
  for (auto& e : as_events(r.value(), f.seq))
    apply(f.t, e);
  EXPECT_EQ(f.t.first_response_at, t0 + 5);
  ASSERT_EQ(f.t.notes.size(), 2u);
  EXPECT_EQ(f.t.notes[1].id, "TKT-000001-N2");
}

TEST(validation, names_every_bad_field) {
  create_cmd c;
  c.category = "shipping";
  c.priority = "urgent";
  c.subject = std::string(201, 'x');
  c.cust = customer{"A", "not-an-email", ""};
  auto err = validate(c);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, errc::invalid);
  std::set<std::string> fields;
  for (auto& d : err->details)
    fields.insert(d.field);
  EXPECT_EQ(fields, (std::set<std::string>{"category", "priority", "subject", "customer.email"}));
}

TEST(validation, subject_counts_characters_not_bytes) {
  create_cmd c;
  c.category = "other";
  c.subject.clear();
  for (int i = 0; i < 200; ++i)
    c.subject += "\xe0\xa4\x95"; // Devanagari KA: 3 bytes, one character
  EXPECT_FALSE(validate(c));
  c.subject.clear();
  EXPECT_TRUE(validate(c));
}

TEST(validation, emails) {
  EXPECT_TRUE(valid_email("a@b.in"));
  EXPECT_TRUE(valid_email("first.last+tag@mail.example.co.in"));
  EXPECT_FALSE(valid_email("a@b"));
  EXPECT_FALSE(valid_email("@b.in"));
  EXPECT_FALSE(valid_email("a b@c.in"));
  EXPECT_FALSE(valid_email("a@@b.in"));
  EXPECT_FALSE(valid_email("a@b..in"));
}

TEST(sla, due_from_created_at_with_per_priority_override) {
  sla_policy p;
  p.resolve = 24 * 3'600'000LL;
  p.by_priority[static_cast<int>(priority::critical)] = 4 * 3'600'000LL;
  EXPECT_EQ(p.due(priority::medium, t0), t0 + 24 * 3'600'000LL);
  EXPECT_EQ(p.due(priority::critical, t0), t0 + 4 * 3'600'000LL);
}

TEST(sla, breach_is_decided_once_at_the_deadline_and_never_when_done) {
  fixture f;
  origin sys{"acme", "system", f.t.sla_due_at - 1};
  EXPECT_TRUE(decide_sla_check(f.t, sys).empty());
  sys.now = f.t.sla_due_at;
  auto ds = decide_sla_check(f.t, sys);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].type, "ticket.sla_breached");
  for (auto& e : as_events(ds, f.seq))
    apply(f.t, e);
  EXPECT_TRUE(f.t.sla_breached);
  EXPECT_TRUE(decide_sla_check(f.t, sys).empty());
  fixture g;
  ASSERT_TRUE(g.set_status("resolved", t0 + 1).ok());
  EXPECT_TRUE(decide_sla_check(g.t, {"acme", "system", g.t.sla_due_at + 1}).empty());
}

TEST(codec, snapshot_round_trips_the_whole_state) {
  fixture f;
  ASSERT_TRUE(f.set_status("in-progress", t0 + 10).ok());
  auto n = decide_note(f.t, {"hello \"world\"", "customer"}, f.who);
  for (auto& e : as_events(n.value(), f.seq))
    apply(f.t, e);
  f.t.cust = customer{"Asha", "asha@example.in", "+919876543210"};
  auto snap = to_snapshot(f.t);
  EXPECT_EQ(snap.find("hello"), std::string::npos); // notes stay in their events
  bool notes_in_events = false;
  auto back = from_snapshot(snap, &notes_in_events);
  ASSERT_TRUE(back);
  EXPECT_TRUE(notes_in_events);
  EXPECT_TRUE(back->notes.empty());
  EXPECT_EQ(back->note_count, 1u);
  for (auto& e : as_events(n.value(), f.seq)) // what load_ticket does with the events up to it
    if (auto note = note_of(e))
      back->notes.push_back(*note);
  EXPECT_EQ(*back, f.t);
}

TEST(codec, replay_of_the_events_gives_the_live_state) {
  fixture f;
  std::vector<event> log;
  std::uint64_t seq = 0;
  create_cmd c;
  c.category = "technical";
  c.subject = "App crash";
  origin o{"acme", "KEY-1", t0};
  ticket live;
  auto apply_all = [&](const std::vector<event_draft>& ds) {
    for (auto& e : as_events(ds, seq)) {
      apply(live, e);
      log.push_back(e);
    }
  };
  apply_all(decide_create(c, "TKT-000009", o, sla_policy{}).value());
  update_cmd u;
  u.status = "in-progress";
  u.assigned_to = "REP-000001";
  u.priority = "high";
  u.notes = "on it";
  o.now += 100;
  apply_all(decide_update(live, u, o).value());
  o.now += 100;
  apply_all(decide_note(live, {"call me", "customer"}, o).value());
  replay_state rs;
  for (auto& e : log)
    rs.apply(e);
  EXPECT_EQ(rs.tickets.at("TKT-000009"), live);
  EXPECT_EQ(rs.max_ticket_number, 9u);
}

TEST(ndr, priority_grows_with_attempts_and_cod) {
  ndr::ndr_event e;
  e.ndr_event_id = "N1";
  e.attempt = 1;
  EXPECT_EQ(ndr::priority_for(e), priority::low);
  e.attempt = 2;
  EXPECT_EQ(ndr::priority_for(e), priority::medium);
  e.attempt = 3;
  EXPECT_EQ(ndr::priority_for(e), priority::high);
  e.attempt = 7;
  EXPECT_EQ(ndr::priority_for(e), priority::critical);
  e.attempt = 1;
  e.payment_mode = "cod";
  e.cod_paise = 1999'00;
  EXPECT_EQ(ndr::priority_for(e), priority::low);
  e.cod_paise = 2000'00;
  EXPECT_EQ(ndr::priority_for(e), priority::medium);
  e.cod_paise = 10000'00;
  EXPECT_EQ(ndr::priority_for(e), priority::high);
  e.attempt = 3;
  EXPECT_EQ(ndr::priority_for(e), priority::critical);
}

TEST(ndr, validation_and_ticket) {
  ndr::ndr_event e;
  e.attempt = 0;
  e.payment_mode = "card";
  e.action = "fly";
  auto err = ndr::validate(e);
  ASSERT_TRUE(err);
  std::set<std::string> fields;
  for (auto& d : err->details)
    fields.insert(d.field);
  EXPECT_EQ(fields, (std::set<std::string>{"ndrEventId", "attempt", "paymentMode", "action"}));
  e = {};
  e.ndr_event_id = "N1";
  e.reason = "Customer not available";
  e.awb = "AWB9";
  e.order_id = "ORD-1";
  auto c = ndr::ticket_for(e);
  EXPECT_EQ(c.category, "logistics");
  EXPECT_EQ(c.related_ndr_event_id, "N1");
  EXPECT_EQ(c.related_order_id, "ORD-1");
  EXPECT_EQ(c.subject, "NDR: Customer not available (AWB AWB9)");
  EXPECT_FALSE(validate(c));
}

} // namespace
} // namespace crm::tickets
