#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "domain/lead.hpp"
#include "domain/lead_index.hpp"
#include "domain/ticket_index.hpp"
#include "domain/time_format.hpp"

using namespace crm;
using namespace crm::leads;

namespace {

const millis t0 = 1'795'000'000'000;
constexpr millis minute = 60'000;
constexpr millis hour = 60 * minute;

event as_event(const event_draft& d, std::uint64_t seq = 0) {
  return event{seq, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}};
}

create_cmd basic_cmd() {
  create_cmd c;
  c.name = "Asha Rao";
  c.email = "asha@example.com";
  c.phone = "+91 98765 43210";
  c.source = "referral";
  c.territory = "North";
  c.estimated_value_paise = 10'000'00; // 10k rupees
  return c;
}

std::vector<std::string> fields_of(const error& e) {
  std::vector<std::string> out;
  for (auto& d : e.details)
    out.push_back(d.field);
  return out;
}

using fields = std::vector<std::string>;

/// One lead driven through decide/apply, with its event log.
struct fixture {
  lead l;
  std::vector<event> log;
  std::uint64_t seq = 0;
  origin who{"acme", "KEY-000001", t0};

  explicit fixture(const create_cmd& c = basic_cmd(), const std::string& id = "LEAD-000001",
                   const std::string& assignee = "") {
    auto r = decide_create(c, id, assignee, who);
    EXPECT_TRUE(r.ok());
    if (r.ok())
      take(r.value());
  }
  void take(const std::vector<event_draft>& ds) {
    for (auto& d : ds) {
      log.push_back(as_event(d, ++seq));
      EXPECT_TRUE(apply(l, log.back()));
    }
  }
  result<std::vector<event_draft>> update(const update_cmd& u, millis at) {
    who.now = at;
    auto r = decide_update(l, u, who);
    if (r.ok())
      take(r.value());
    return r;
  }
  result<std::vector<event_draft>> set_status(const std::string& s, millis at = t0) {
    update_cmd u;
    u.status = s;
    return update(u, at);
  }
  result<std::vector<event_draft>> add_note(const std::string& text, millis at = t0) {
    update_cmd u;
    u.notes = text;
    return update(u, at);
  }
  result<std::vector<event_draft>> assign(const std::string& rep, millis at = t0) {
    update_cmd u;
    u.assigned_to = rep;
    return update(u, at);
  }
  result<std::vector<event_draft>> convert(const std::string& order, millis at = t0) {
    who.now = at;
    auto r = decide_convert(l, convert_cmd{order}, who);
    if (r.ok())
      take(r.value());
    return r;
  }
};

const status all_statuses[] = {status::prospect, status::qualified,   status::proposal,
                               status::negotiation, status::won,     status::lost};

/// A lead brought to `s` by one status change from prospect (or none).
fixture at_status(status s) {
  fixture f;
  if (s != status::prospect) {
    lead& l = f.l;
    auto d = event_draft{"acme", l.id, "lead.status_changed", "KEY-000001", t0,
                         json::object([&](json::writer& w) {
                           json::kv(w, "from", "prospect");
                           json::kv(w, "to", to_string(s));
                         })};
    f.take({d});
  }
  EXPECT_EQ(f.l.st, s);
  return f;
}

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& text) {
  simdjson::dom::element e;
  EXPECT_FALSE(p.parse(text).get(e)) << text;
  return e;
}

} // namespace

// -- the funnel rules ----------------------------------------------------------------------------

TEST(lead_funnel_rules, transition_allowed_is_forward_or_lost_from_an_open_status) {
  using S = status;
  std::set<std::pair<S, S>> allowed;
  const S open[] = {S::prospect, S::qualified, S::proposal, S::negotiation};
  for (auto a : open) {
    for (auto b : all_statuses)
      if (b == S::lost || static_cast<int>(b) > static_cast<int>(a))
        allowed.insert({a, b});
  }
  EXPECT_EQ(allowed.size(), 14u); // 10 forward steps, 4 to lost
  for (auto a : all_statuses)
    for (auto b : all_statuses)
      EXPECT_EQ(transition_allowed(a, b), allowed.count({a, b}) == 1)
        << to_string(a) << " -> " << to_string(b);
}

TEST(lead_funnel_rules, every_pair_through_decide_update) {
  for (auto from : all_statuses)
    for (auto to : all_statuses) {
      auto f = at_status(from);
      auto r = f.set_status(to_string(to), t0 + hour);
      bool forward = is_open(from) && (to == status::lost || static_cast<int>(to) > static_cast<int>(from));
      ASSERT_EQ(r.ok(), forward) << to_string(from) << " -> " << to_string(to);
      if (forward) {
        EXPECT_EQ(f.l.st, to);
        ASSERT_EQ(r.value().size(), 1u);
        EXPECT_EQ(r.value()[0].type, "lead.status_changed");
      } else {
        EXPECT_EQ(r.err().code, errc::conflict);
        EXPECT_EQ(r.err().message, std::string("cannot change status from ") + to_string(from)
                                     + " to " + to_string(to));
        EXPECT_EQ(f.l.st, from);
      }
    }
}

TEST(lead_funnel_rules, forward_skips_are_allowed_and_going_back_is_not) {
  fixture f;
  ASSERT_TRUE(f.set_status("negotiation").ok());
  EXPECT_EQ(f.l.furthest, status::negotiation);
  EXPECT_EQ(f.set_status("qualified").err().code, errc::conflict);
  EXPECT_EQ(f.set_status("negotiation").err().code, errc::conflict);
  ASSERT_TRUE(f.set_status("won").ok());
  EXPECT_EQ(f.l.furthest, status::won);
  EXPECT_FALSE(f.l.converted_at.has_value());
}

TEST(lead_funnel_rules, lost_from_every_open_status_keeps_the_furthest_stage) {
  for (auto from : {status::prospect, status::qualified, status::proposal, status::negotiation}) {
    auto f = at_status(from);
    ASSERT_TRUE(f.set_status("lost").ok()) << to_string(from);
    EXPECT_EQ(f.l.st, status::lost);
    EXPECT_EQ(f.l.furthest, from);
  }
}

TEST(lead_funnel_rules, an_unknown_status_is_422_listing_the_allowed_ones) {
  fixture f;
  auto r = f.set_status("open");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::invalid);
  EXPECT_EQ(fields_of(r.err()), fields{"status"});
  EXPECT_EQ(r.err().details[0].problem,
            "must be one of prospect, qualified, proposal, negotiation, won, lost");
}

TEST(lead_funnel_rules, won_and_lost_take_notes_but_no_assignee_or_status) {
  for (auto final_status : {status::won, status::lost}) {
    auto f = at_status(final_status);
    auto a = f.assign("REP-000002");
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.err().code, errc::conflict);
    auto u = f.assign("");
    ASSERT_FALSE(u.ok());
    EXPECT_EQ(u.err().code, errc::conflict);
    auto n = f.add_note("called back after the decision", t0 + hour);
    ASSERT_TRUE(n.ok()) << n.err().message;
    EXPECT_EQ(f.l.notes.size(), 1u);
    EXPECT_EQ(f.l.st, final_status);
  }
}

TEST(lead_funnel_rules, a_bad_value_is_422_before_the_workflow_409) {
  auto f = at_status(status::won);
  update_cmd u;
  u.status = "qualified";
  u.notes = "";
  auto r = f.update(u, t0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::invalid);
  EXPECT_EQ(fields_of(r.err()), fields{"notes"});
}

TEST(lead_funnel_rules, update_validates_each_field_and_an_empty_body) {
  fixture f;
  auto empty = f.update(update_cmd{}, t0);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.err().code, errc::invalid);
  EXPECT_EQ(fields_of(empty.err()), fields{"body"});

  update_cmd u;
  u.status = "bogus";
  u.assigned_to = std::string(101, 'r');
  u.notes = std::string(10001, 'n');
  auto r = f.update(u, t0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(fields_of(r.err()), (fields{"status", "assignedTo", "notes"}));

  update_cmd ok;
  ok.assigned_to = std::string(100, 'r');
  ok.notes = std::string(10000, 'n');
  EXPECT_TRUE(f.update(ok, t0).ok());
}

TEST(lead_funnel_rules, update_events_come_in_order_and_skip_no_change) {
  fixture f(basic_cmd(), "LEAD-000007", "REP-000001");
  EXPECT_EQ(f.l.assigned_to, "REP-000001");
  update_cmd u;
  u.assigned_to = "REP-000002";
  u.notes = "asked for a quote";
  u.status = "proposal";
  auto r = f.update(u, t0 + minute);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r.value()[0].type, "lead.assigned");
  EXPECT_EQ(r.value()[1].type, "lead.note_added");
  EXPECT_EQ(r.value()[2].type, "lead.status_changed");
  EXPECT_EQ(r.value()[0].data, R"({"from":"REP-000001","to":"REP-000002"})");
  EXPECT_EQ(r.value()[2].data, R"({"from":"prospect","to":"proposal"})");
  EXPECT_EQ(f.l.assigned_to, "REP-000002");
  ASSERT_EQ(f.l.notes.size(), 1u);
  EXPECT_EQ(f.l.notes[0].id, "LEAD-000007-N1");
  EXPECT_EQ(f.l.notes[0].author, "KEY-000001");
  EXPECT_EQ(f.l.notes[0].created_at, t0 + minute);

  auto same = f.assign("REP-000002");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same.value().empty());

  auto unassign = f.assign("");
  ASSERT_TRUE(unassign.ok());
  ASSERT_EQ(unassign.value().size(), 1u);
  EXPECT_EQ(unassign.value()[0].data, R"({"from":"REP-000002","to":null})");
  EXPECT_EQ(f.l.assigned_to, "");
}

TEST(lead_funnel_rules, a_note_past_the_most_is_409) {
  fixture f;
  for (std::size_t i = 0; i < max_notes; ++i)
    f.l.notes.push_back(note{"N", "x", "KEY-000001", t0});
  auto r = f.add_note("one more");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::conflict);
  EXPECT_EQ(fields_of(r.err()), fields{"notes"});
}

TEST(lead_funnel_rules, convert_wins_an_open_lead_once) {
  for (auto from : {status::prospect, status::qualified, status::proposal, status::negotiation}) {
    auto f = at_status(from);
    auto r = f.convert("ORD-42", t0 + 2 * hour);
    ASSERT_TRUE(r.ok()) << to_string(from);
    ASSERT_EQ(r.value().size(), 1u);
    EXPECT_EQ(r.value()[0].type, "lead.converted");
    EXPECT_EQ(r.value()[0].data, R"({"orderId":"ORD-42"})");
    EXPECT_EQ(f.l.st, status::won);
    EXPECT_EQ(f.l.furthest, status::won);
    EXPECT_EQ(f.l.converted_order_id, "ORD-42");
    EXPECT_EQ(f.l.converted_at, t0 + 2 * hour);

    auto again = f.convert("ORD-43");
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.err().code, errc::conflict);
    EXPECT_EQ(again.err().message, "the lead is won already");
    EXPECT_EQ(f.l.converted_order_id, "ORD-42");
  }
}

TEST(lead_funnel_rules, convert_of_a_lost_lead_is_409_and_a_bad_order_id_422) {
  auto f = at_status(status::lost);
  auto r = f.convert("ORD-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::conflict);
  EXPECT_EQ(r.err().message, "the lead is lost already");

  for (const std::string& bad : std::vector<std::string>{"", "ORD 1", std::string(65, 'A'), "ORD/1"}) {
    auto b = f.convert(bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.err().code, errc::invalid) << bad;
    EXPECT_EQ(fields_of(b.err()), fields{"orderId"});
  }
}

// -- validation ----------------------------------------------------------------------------------

TEST(lead_validation, a_complete_command_and_the_minimal_ones_pass) {
  EXPECT_FALSE(validate(basic_cmd()).has_value());
  auto email_only = basic_cmd();
  email_only.phone.clear();
  EXPECT_FALSE(validate(email_only).has_value());
  auto phone_only = basic_cmd();
  phone_only.email.clear();
  phone_only.phone = "(+91) 98765-43210";
  EXPECT_FALSE(validate(phone_only).has_value());
  create_cmd minimal;
  minimal.name = "N";
  minimal.phone = "0123456789";
  minimal.source = "marketing";
  EXPECT_FALSE(validate(minimal).has_value());
  auto zero = basic_cmd();
  zero.estimated_value_paise = 0;
  EXPECT_FALSE(validate(zero).has_value());
}

TEST(lead_validation, each_bad_field_is_named) {
  struct bad_case {
    const char* what;
    void (*edit)(create_cmd&);
    const char* field;
  };
  const bad_case cases[] = {
    {"no name", [](create_cmd& c) { c.name.clear(); }, "name"},
    {"long name", [](create_cmd& c) { c.name = std::string(201, 'a'); }, "name"},
    {"bad email", [](create_cmd& c) { c.email = "asha@"; }, "email"},
    {"email with space", [](create_cmd& c) { c.email = "asha rao@example.com"; }, "email"},
    {"phone letters", [](create_cmd& c) { c.phone = "98765x43210"; }, "phone"},
    {"phone too long", [](create_cmd& c) { c.phone = "+91 98765 43210 00000"; }, "phone"},
    {"phone few digits", [](create_cmd& c) { c.phone = "+91 98765"; }, "phone"},
    {"no contact", [](create_cmd& c) { c.phone.clear(); c.email.clear(); }, "email"},
    {"no source", [](create_cmd& c) { c.source.clear(); }, "source"},
    {"bad source", [](create_cmd& c) { c.source = "cold-call"; }, "source"},
    {"long territory", [](create_cmd& c) { c.territory = std::string(101, 't'); }, "territory"},
    {"bad ticket id", [](create_cmd& c) { c.related_support_ticket_id = "TKT 1"; }, "relatedSupportTicketId"},
    {"negative value", [](create_cmd& c) { c.estimated_value_paise = -1; }, "estimatedValue"},
    {"long assignee", [](create_cmd& c) { c.assigned_to = std::string(101, 'r'); }, "assignedTo"},
  };
  for (auto& k : cases) {
    auto c = basic_cmd();
    k.edit(c);
    auto err = validate(c);
    ASSERT_TRUE(err.has_value()) << k.what;
    EXPECT_EQ(err->code, errc::invalid) << k.what;
    EXPECT_EQ(fields_of(*err), fields{k.field}) << k.what;
    auto r = decide_create(c, "LEAD-000001", "", origin{"acme", "KEY-000001", t0});
    ASSERT_FALSE(r.ok()) << k.what;
    EXPECT_EQ(r.err().code, errc::invalid) << k.what;
  }
  create_cmd none;
  none.source = "referral";
  auto err = validate(none);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(fields_of(*err), (fields{"name", "email"}));
  EXPECT_EQ(err->details[1].problem, "email or phone is required");
}

TEST(lead_validation, bounds_are_inclusive) {
  auto c = basic_cmd();
  c.name = std::string(200, 'a');
  c.phone = "+91 (98765) 43210-00"; // 20 characters
  c.territory = std::string(100, 't');
  c.assigned_to = std::string(100, 'r');
  c.related_support_ticket_id = "TKT-000001";
  EXPECT_FALSE(validate(c).has_value());
  c.name = std::string(200, 'a') + "\xC3\xA9"; // 201 characters
  EXPECT_TRUE(validate(c).has_value());
  c.name = std::string(198, 'a') + "\xC3\xA9\xC3\xA9"; // 200 characters, 202 bytes
  EXPECT_FALSE(validate(c).has_value());
}

TEST(lead_validation, decide_create_writes_one_event_with_the_assignee) {
  origin who{"acme", "KEY-000001", t0};
  auto r = decide_create(basic_cmd(), "LEAD-000003", "REP-000009", who);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().size(), 1u);
  auto& created = r.value()[0];
  EXPECT_EQ(created.type, "lead.created");
  EXPECT_EQ(created.entity, "LEAD-000003");
  EXPECT_EQ(created.company_id, "acme");
  EXPECT_EQ(created.at, t0);
  EXPECT_EQ(created.data,
            R"({"leadId":"LEAD-000003","name":"Asha Rao","email":"asha@example.com",)"
            R"("phone":"+91 98765 43210","source":"referral","territory":"North",)"
            R"("estimatedValue":10000,"assignedTo":"REP-000009"})");
  lead l;
  ASSERT_TRUE(apply(l, event{1, t0, "acme", "LEAD-000003", created.type, "KEY-000001", created.data, {}, {}}));
  EXPECT_EQ(l.assigned_to, "REP-000009");

  auto unassigned = decide_create(basic_cmd(), "LEAD-000004", "", who);
  ASSERT_TRUE(unassigned.ok());
  ASSERT_EQ(unassigned.value().size(), 1u);
  EXPECT_EQ(unassigned.value()[0].data.find("assignedTo"), std::string::npos);
  lead u;
  ASSERT_TRUE(apply(u, event{1, t0, "acme", "LEAD-000004", "lead.created", "KEY-000001", unassigned.value()[0].data, {}, {}}));
  EXPECT_EQ(u.assigned_to, "");
}

TEST(lead_validation, a_log_written_before_the_assignee_moved_into_lead_created_still_folds) {
  // Until 2026-12-03 a lead placed at creation was two events: lead.created without assignedTo,
  // then lead.assigned {from: null, to}.
  lead l;
  ASSERT_TRUE(apply(l, event{1, t0, "acme", "LEAD-000005", "lead.created", "KEY-000001",
                             R"({"leadId":"LEAD-000005","name":"Old","phone":"9100000005","source":"referral","territory":"North"})",
                             {}, {}}));
  EXPECT_EQ(l.assigned_to, "");
  ASSERT_TRUE(apply(l, event{2, t0, "acme", "LEAD-000005", "lead.assigned", "KEY-000001",
                             R"({"from":null,"to":"REP-000009"})", {}, {}}));
  EXPECT_EQ(l.assigned_to, "REP-000009");
  EXPECT_EQ(l.version, 2u);
}

// -- scoring -------------------------------------------------------------------------------------

TEST(lead_scoring, engagement_is_five_per_interaction_up_to_25) {
  lead l;
  const std::pair<std::uint32_t, int> cases[] = {{0, 0}, {1, 5}, {4, 20}, {5, 25}, {6, 25}, {100, 25}};
  for (auto [n, points] : cases) {
    l.interactions = n;
    EXPECT_EQ(score_of(l).engagement, points) << n;
  }
}

TEST(lead_scoring, response_time_boundaries) {
  lead l;
  l.created_at = t0;
  EXPECT_EQ(score_of(l).response_time, 0);
  const std::pair<millis, int> cases[] = {
    {0, 20},          {hour, 20},          {hour + 1, 15},   {4 * hour, 15},
    {4 * hour + 1, 10}, {24 * hour, 10}, {24 * hour + 1, 5}, {30 * 24 * hour, 5}};
  for (auto [after, points] : cases) {
    l.first_contact_at = t0 + after;
    EXPECT_EQ(score_of(l).response_time, points) << after;
  }
}

TEST(lead_scoring, value_boundaries_in_rupees) {
  lead l;
  const std::pair<std::int64_t, int> cases[] = {
    {0, 0},           {1, 10},          {9'999'99, 10},   {10'000'00, 15},   {49'999'99, 15},
    {50'000'00, 20},  {99'999'99, 20},  {1'00'000'00, 25}, {4'99'999'99, 25}, {5'00'000'00, 30},
    {1'00'00'000'00, 30}};
  for (auto [paise, points] : cases) {
    l.estimated_value_paise = paise;
    EXPECT_EQ(score_of(l).value, points) << paise;
  }
}

TEST(lead_scoring, source_points) {
  lead l;
  const std::pair<source, int> cases[] = {{source::referral, 25},
                                          {source::inbound_inquiry, 20},
                                          {source::support_ticket, 15},
                                          {source::marketing, 10}};
  for (auto [s, points] : cases) {
    l.src = s;
    EXPECT_EQ(score_of(l).source, points) << to_string(s);
  }
  l = lead{};
  l.src = source::referral;
  l.interactions = 9;
  l.created_at = t0;
  l.first_contact_at = t0;
  l.estimated_value_paise = 5'00'000'00;
  EXPECT_EQ(score_of(l).total(), 100);
}

TEST(lead_scoring, recomputed_after_a_note_and_a_status_change) {
  fixture f; // referral 25, 10k rupees 15
  EXPECT_EQ(f.l.factors, (score_factors{0, 0, 15, 25}));
  EXPECT_EQ(f.l.score, 40);

  ASSERT_TRUE(f.add_note("first call", t0 + 2 * hour).ok());
  EXPECT_EQ(f.l.first_contact_at, t0 + 2 * hour);
  EXPECT_EQ(f.l.factors, (score_factors{5, 15, 15, 25}));
  EXPECT_EQ(f.l.score, 60);

  ASSERT_TRUE(f.set_status("qualified", t0 + 30 * hour).ok());
  EXPECT_EQ(f.l.first_contact_at, t0 + 2 * hour);
  EXPECT_EQ(f.l.interactions, 2u);
  EXPECT_EQ(f.l.factors, (score_factors{10, 15, 15, 25}));
  EXPECT_EQ(f.l.score, 65);

  ASSERT_TRUE(f.assign("REP-000001", t0 + 31 * hour).ok());
  EXPECT_EQ(f.l.score, 65);

  ASSERT_TRUE(f.convert("ORD-1", t0 + 40 * hour).ok());
  EXPECT_EQ(f.l.interactions, 3u);
  EXPECT_EQ(f.l.score, 70);
}

TEST(lead_scoring, a_status_change_is_a_first_contact_and_system_notes_are_not) {
  fixture f;
  f.who.actor = "system";
  ASSERT_TRUE(f.add_note("auto-acknowledged", t0 + minute).ok());
  EXPECT_FALSE(f.l.first_contact_at.has_value());
  EXPECT_EQ(f.l.factors.engagement, 5);
  EXPECT_EQ(f.l.factors.response_time, 0);
  f.who.actor = "KEY-000002";
  ASSERT_TRUE(f.set_status("qualified", t0 + 3 * hour).ok());
  EXPECT_EQ(f.l.first_contact_at, t0 + 3 * hour);
  EXPECT_EQ(f.l.factors.response_time, 15);
}

TEST(lead_scoring, replay_rebuilds_an_equal_lead) {
  fixture f(basic_cmd(), "LEAD-000005", "REP-000001");
  ASSERT_TRUE(f.add_note("intro call", t0 + 20 * minute).ok());
  ASSERT_TRUE(f.set_status("proposal", t0 + hour).ok());
  ASSERT_TRUE(f.assign("REP-000002", t0 + 2 * hour).ok());
  ASSERT_TRUE(f.add_note("sent the proposal", t0 + 3 * hour).ok());
  ASSERT_TRUE(f.convert("ORD-77", t0 + 5 * hour).ok());
  ASSERT_TRUE(f.add_note("thank-you call", t0 + 6 * hour).ok());

  lead replayed;
  for (auto& e : f.log)
    ASSERT_TRUE(apply(replayed, e));
  EXPECT_EQ(replayed, f.l);
  EXPECT_EQ(replayed.version, f.log.size());
  EXPECT_EQ(replayed.last_seq, f.log.back().seq);
  EXPECT_EQ(replayed.updated_at, t0 + 6 * hour);
  EXPECT_EQ(replayed.score, 5 * 5 + 20 + 15 + 25);
}

TEST(lead_scoring, apply_ignores_unknown_types_and_refuses_bad_data) {
  fixture f;
  auto before = f.l;
  EXPECT_TRUE(apply(f.l, event{9, t0 + hour, "acme", f.l.id, "lead.merged", "system", "{}", {}, {}}));
  EXPECT_EQ(f.l, before);
  EXPECT_FALSE(apply(f.l, event{9, t0 + hour, "acme", f.l.id, "lead.note_added", "system", "{", {}, {}}));
  EXPECT_FALSE(apply(f.l, event{9, t0 + hour, "acme", f.l.id, "lead.status_changed", "KEY-1",
                                R"({"from":"prospect","to":"closed"})", {}, {}}));
}

TEST(lead_scoring, apply_reads_created_events_with_fields_left_out_or_null) {
  lead l;
  ASSERT_TRUE(apply(l, event{1, t0, "acme", "LEAD-000002", "lead.created", "KEY-1",
                             R"({"leadId":"LEAD-000002","name":"B","email":null,"phone":"9876543210",)"
                             R"("source":"marketing","territory":null,"estimatedValue":1234.5})",
                             {}, {}}));
  EXPECT_EQ(l.id, "LEAD-000002");
  EXPECT_EQ(l.email, "");
  EXPECT_EQ(l.territory, "");
  EXPECT_EQ(l.src, source::marketing);
  EXPECT_EQ(l.estimated_value_paise, 1234'50);
  EXPECT_EQ(l.score, 10 + 10);
  ASSERT_TRUE(apply(l, event{2, t0, "acme", "LEAD-000002", "lead.created", "KEY-1",
                             R"({"leadId":"LEAD-000002","name":"B","source":"referral","estimatedValue":70000})",
                             {}, {}}));
  EXPECT_EQ(l.estimated_value_paise, 70'000'00);
}

TEST(lead_scoring, write_json_has_the_api_shape) {
  fixture f(basic_cmd(), "LEAD-000001", "REP-000001");
  ASSERT_TRUE(f.add_note("hello", t0 + minute).ok());
  simdjson::dom::parser p;
  auto j = parse(p, to_json(f.l, false));
  EXPECT_EQ(json::get_str(j, "id"), "LEAD-000001");
  EXPECT_EQ(json::get_str(j, "companyId"), "acme");
  EXPECT_EQ(json::get_str(j, "name"), "Asha Rao");
  EXPECT_EQ(json::get_str(j, "email"), "asha@example.com");
  EXPECT_EQ(json::get_str(j, "phone"), "+91 98765 43210");
  EXPECT_EQ(json::get_str(j, "source"), "referral");
  EXPECT_EQ(json::get_str(j, "territory"), "North");
  EXPECT_TRUE(j["relatedSupportTicketId"].is_null());
  EXPECT_EQ(double(j["estimatedValue"]), 10000.0);
  EXPECT_EQ(json::get_str(j, "status"), "prospect");
  EXPECT_EQ(json::get_str(j, "assignedTo"), "REP-000001");
  EXPECT_EQ(int64_t(j["score"]), 65);
  EXPECT_EQ(int64_t(j["scoreFactors"]["engagement"]), 5);
  EXPECT_EQ(int64_t(j["scoreFactors"]["responseTime"]), 20);
  EXPECT_EQ(int64_t(j["scoreFactors"]["value"]), 15);
  EXPECT_EQ(int64_t(j["scoreFactors"]["source"]), 25);
  EXPECT_TRUE(j["convertedOrderId"].is_null());
  EXPECT_TRUE(j["convertedAt"].is_null());
  EXPECT_EQ(json::get_str(j, "createdAt"), format_time(t0));
  EXPECT_EQ(json::get_str(j, "updatedAt"), format_time(t0 + minute));
  EXPECT_TRUE(j["notes"].error() == simdjson::NO_SUCH_FIELD);

  ASSERT_TRUE(f.convert("ORD-1", t0 + hour).ok());
  auto k = parse(p, to_json(f.l, true));
  EXPECT_EQ(json::get_str(k, "status"), "won");
  EXPECT_EQ(json::get_str(k, "convertedOrderId"), "ORD-1");
  EXPECT_EQ(json::get_str(k, "convertedAt"), format_time(t0 + hour));
  simdjson::dom::array notes;
  ASSERT_FALSE(k["notes"].get(notes));
  ASSERT_EQ(notes.size(), 1u);
  auto n = notes.at(0).value();
  EXPECT_EQ(json::get_str(n, "noteId"), "LEAD-000001-N1");
  EXPECT_EQ(json::get_str(n, "note"), "hello");
  EXPECT_EQ(json::get_str(n, "author"), "KEY-000001");
  EXPECT_EQ(json::get_str(n, "createdAt"), format_time(t0 + minute));

  create_cmd bare;
  bare.name = "C";
  bare.phone = "9876543210";
  bare.source = "marketing";
  fixture g(bare, "LEAD-000002");
  auto b = parse(p, to_json(g.l, false));
  EXPECT_TRUE(b["email"].is_null());
  EXPECT_TRUE(b["territory"].is_null());
  EXPECT_TRUE(b["assignedTo"].is_null());
  EXPECT_EQ(int64_t(b["estimatedValue"]), 0);
}

// -- duplicate keys ------------------------------------------------------------------------------

TEST(lead_keys, phones_match_on_their_last_ten_digits) {
  EXPECT_EQ(phone_key("9876543210"), "9876543210");
  EXPECT_EQ(phone_key("+91 98765 43210"), "9876543210");
  EXPECT_EQ(phone_key("+91-98765-43210"), "9876543210");
  EXPECT_EQ(phone_key("(+91) 98765 43210"), "9876543210");
  EXPECT_EQ(phone_key("098765 43210"), "9876543210");
  EXPECT_EQ(phone_key("0091 9876543210"), "9876543210");
  EXPECT_NE(phone_key("9876543211"), phone_key("9876543210"));
  EXPECT_EQ(phone_key("987654321"), "");
  EXPECT_EQ(phone_key(""), "");
  EXPECT_EQ(phone_key("+--()  "), "");
}

TEST(lead_keys, emails_match_case_insensitively_and_trimmed) {
  EXPECT_EQ(email_key("asha@example.com"), "asha@example.com");
  EXPECT_EQ(email_key("Asha@Example.COM"), "asha@example.com");
  EXPECT_EQ(email_key("  ASHA@EXAMPLE.COM\t"), "asha@example.com");
  EXPECT_EQ(email_key(""), "");
  EXPECT_EQ(email_key("   "), "");
  EXPECT_EQ(email_key("J\xC3\x89@x.in"), "j\xC3\x89@x.in"); // ASCII only
}

// -- lead_index ----------------------------------------------------------------------------------

namespace {

std::string lead_id(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "LEAD-%06d", n);
  return buf;
}

lead make_lead(int n, status st, std::string territory, source src, std::string assignee, int score,
               millis created = 0) {
  lead l;
  l.id = lead_id(n);
  l.company_id = "acme";
  l.name = "Lead " + std::to_string(n);
  l.email = "lead" + std::to_string(n) + "@example.com";
  l.phone = "+91 90000 " + std::to_string(10000 + n);
  l.st = st;
  l.territory = std::move(territory);
  l.src = src;
  l.assigned_to = std::move(assignee);
  l.score = score;
  l.created_at = created ? created : t0 + n * minute;
  l.updated_at = l.created_at;
  l.estimated_value_paise = n * 1000'00;
  return l;
}

/// The hand-counted set: 12 leads.
lead_index hand_set() {
  using S = status;
  using R = source;
  lead_index ix;
  ix.put(make_lead(1, S::prospect, "North", R::referral, "REP-1", 50));
  ix.put(make_lead(2, S::prospect, "North", R::marketing, "REP-2", 30));
  ix.put(make_lead(3, S::qualified, "South", R::referral, "REP-1", 50));
  ix.put(make_lead(4, S::proposal, "North", R::inbound_inquiry, "", 70));
  ix.put(make_lead(5, S::negotiation, "East", R::support_ticket, "REP-2", 30));
  ix.put(make_lead(6, S::won, "North", R::referral, "REP-1", 90));
  ix.put(make_lead(7, S::lost, "South", R::marketing, "REP-3", 10));
  ix.put(make_lead(8, S::prospect, "South", R::inbound_inquiry, "", 50));
  ix.put(make_lead(9, S::qualified, "North", R::marketing, "REP-2", 40));
  ix.put(make_lead(10, S::won, "East", R::inbound_inquiry, "REP-3", 80));
  ix.put(make_lead(11, S::lost, "North", R::referral, "REP-1", 20));
  ix.put(make_lead(12, S::proposal, "South", R::support_ticket, "REP-2", 60));
  return ix;
}

std::vector<int> numbers(const list_page& p) {
  std::vector<int> out;
  for (auto& l : p.items)
    out.push_back(static_cast<int>(tickets::id_number(l->id)));
  return out;
}

using funnel_counts = std::array<std::uint64_t, status_count>;

list_query query(int limit = 100) {
  list_query q;
  q.limit = limit;
  return q;
}

} // namespace

TEST(lead_index, no_filter_counts_everything_and_pages_by_newest) {
  auto ix = hand_set();
  EXPECT_EQ(ix.size(), 12u);
  auto p = ix.list(query(5));
  EXPECT_EQ(p.total, 12u);
  EXPECT_EQ(p.funnel, (funnel_counts{3, 2, 2, 1, 2, 2}));
  EXPECT_EQ(numbers(p), (std::vector<int>{12, 11, 10, 9, 8}));
}

TEST(lead_index, filters_select_and_count_all_pages) {
  auto ix = hand_set();
  struct filter_case {
    const char* what;
    list_query q;
    std::vector<int> ids; // newest first
    funnel_counts funnel;
  };
  auto q = [](auto edit) {
    auto x = query(100);
    edit(x);
    return x;
  };
  using S = status;
  const filter_case cases[] = {
    {"territory", q([](list_query& x) { x.territories = {"North"}; }), {11, 9, 6, 4, 2, 1}, {2, 1, 1, 0, 1, 1}},
    {"status", q([](list_query& x) { x.statuses = {S::prospect, S::won}; }), {10, 8, 6, 2, 1}, {3, 0, 0, 0, 2, 0}},
    {"status and territory",
     q([](list_query& x) {
       x.statuses = {S::prospect, S::qualified};
       x.territories = {"North"};
     }),
     {9, 2, 1},
     {2, 1, 0, 0, 0, 0}},
    {"source", q([](list_query& x) { x.sources = {source::referral}; }), {11, 6, 3, 1}, {1, 1, 0, 0, 1, 1}},
    {"unassigned", q([](list_query& x) { x.assigned_to = {"null"}; }), {8, 4}, {1, 0, 1, 0, 0, 0}},
    {"one rep", q([](list_query& x) { x.assigned_to = {"REP-2"}; }), {12, 9, 5, 2}, {1, 1, 1, 1, 0, 0}},
    {"one rep and status",
     q([](list_query& x) {
       x.assigned_to = {"REP-1"};
       x.statuses = {S::won, S::lost};
     }),
     {11, 6},
     {0, 0, 0, 0, 1, 1}},
    {"two filters",
     q([](list_query& x) {
       x.territories = {"North"};
       x.sources = {source::referral};
     }),
     {11, 6, 1},
     {1, 0, 0, 0, 1, 1}},
    {"two territories", q([](list_query& x) { x.territories = {"North", "East"}; }),
     {11, 10, 9, 6, 5, 4, 2, 1}, {2, 1, 1, 1, 2, 1}},
    {"a rep or unassigned", q([](list_query& x) { x.assigned_to = {"REP-1", "null"}; }),
     {11, 8, 6, 4, 3, 1}, {2, 1, 1, 0, 1, 1}},
    {"unknown territory", q([](list_query& x) { x.territories = {"West"}; }), {}, {}},
    {"unknown rep", q([](list_query& x) { x.assigned_to = {"REP-9"}; }), {}, {}},
    {"all three",
     q([](list_query& x) {
       x.territories = {"South"};
       x.sources = {source::marketing};
       x.assigned_to = {"REP-3"};
     }),
     {7},
     {0, 0, 0, 0, 0, 1}},
  };
  for (auto& c : cases) {
    auto p = ix.list(c.q);
    EXPECT_EQ(numbers(p), c.ids) << c.what;
    EXPECT_EQ(p.total, c.ids.size()) << c.what;
    EXPECT_EQ(p.funnel, c.funnel) << c.what;
    // A small page counts the same.
    auto small = c.q;
    small.limit = 1;
    auto s = ix.list(small);
    EXPECT_EQ(s.total, c.ids.size()) << c.what;
    EXPECT_EQ(s.funnel, c.funnel) << c.what;
    EXPECT_EQ(s.items.size(), c.ids.empty() ? 0u : 1u) << c.what;
  }
}

TEST(lead_index, sorts_by_score_both_ways_with_ties_by_id) {
  auto ix = hand_set();
  auto q = query(100);
  ASSERT_TRUE(parse_sort("-score", q));
  EXPECT_EQ(numbers(ix.list(q)), (std::vector<int>{6, 10, 4, 12, 8, 3, 1, 9, 5, 2, 11, 7}));
  ASSERT_TRUE(parse_sort("score", q));
  EXPECT_EQ(numbers(ix.list(q)), (std::vector<int>{7, 11, 2, 5, 9, 1, 3, 8, 12, 4, 10, 6}));
  q.statuses = {status::prospect, status::qualified};
  EXPECT_EQ(numbers(ix.list(q)), (std::vector<int>{2, 9, 1, 3, 8}));
}

TEST(lead_index, sorts_by_created_updated_and_value) {
  auto ix = hand_set();
  auto l = *ix.find(lead_id(3));
  l.updated_at = t0 + 100 * minute;
  ix.put(l);
  auto q = query(4);
  ASSERT_TRUE(parse_sort("createdAt", q));
  EXPECT_EQ(numbers(ix.list(q)), (std::vector<int>{1, 2, 3, 4}));
  ASSERT_TRUE(parse_sort("-updatedAt", q));
  EXPECT_EQ(numbers(ix.list(q)), (std::vector<int>{3, 12, 11, 10}));
  ASSERT_TRUE(parse_sort("-estimatedValue", q));
  EXPECT_EQ(numbers(ix.list(q)), (std::vector<int>{12, 11, 10, 9}));
  ASSERT_TRUE(parse_sort("estimatedValue", q));
  EXPECT_EQ(numbers(ix.list(q)), (std::vector<int>{1, 2, 3, 4}));
}

TEST(lead_index, parse_sort_takes_four_fields) {
  list_query q;
  EXPECT_TRUE(parse_sort("score", q));
  EXPECT_EQ(q.sort_by, "score");
  EXPECT_FALSE(q.descending);
  EXPECT_TRUE(parse_sort("-estimatedValue", q));
  EXPECT_EQ(q.sort_by, "estimatedValue");
  EXPECT_TRUE(q.descending);
  EXPECT_TRUE(parse_sort("updatedAt", q));
  EXPECT_TRUE(parse_sort("-createdAt", q));
  EXPECT_FALSE(parse_sort("name", q));
  EXPECT_FALSE(parse_sort("", q));
  EXPECT_FALSE(parse_sort("-", q));
  EXPECT_FALSE(parse_sort("--score", q));
  EXPECT_EQ(q.sort_by, "createdAt");
  EXPECT_TRUE(q.descending);
}

TEST(lead_index, pages_never_overlap) {
  auto ix = hand_set();
  for (const char* sort : {"-score", "score", "-createdAt", "estimatedValue"}) {
    for (bool filtered : {false, true}) {
      auto q = query(5);
      ASSERT_TRUE(parse_sort(sort, q));
      if (filtered)
        q.statuses = {status::prospect, status::qualified, status::proposal, status::negotiation};
      auto all = query(100);
      all.sort_by = q.sort_by;
      all.descending = q.descending;
      all.statuses = q.statuses;
      auto whole = numbers(ix.list(all));
      std::vector<int> joined;
      for (int page = 1; page <= 4; ++page) {
        q.page = page;
        auto p = ix.list(q);
        EXPECT_EQ(p.total, whole.size());
        for (int n : numbers(p))
          joined.push_back(n);
      }
      EXPECT_EQ(joined, whole) << sort << (filtered ? " filtered" : "");
      EXPECT_EQ(std::set<int>(joined.begin(), joined.end()).size(), joined.size());
    }
  }
}

TEST(lead_index, put_replaces_and_find_checks_the_whole_id) {
  auto ix = hand_set();
  auto l = *ix.find(lead_id(1));
  l.st = status::won;
  l.score = 99;
  ix.put(l);
  EXPECT_EQ(ix.size(), 12u);
  EXPECT_EQ(ix.find(lead_id(1))->st, status::won);
  auto p = ix.list(query(1));
  EXPECT_EQ(p.funnel, (funnel_counts{2, 2, 2, 1, 3, 2}));
  auto q = query(1);
  ASSERT_TRUE(parse_sort("-score", q));
  EXPECT_EQ(numbers(ix.list(q)), std::vector<int>{1});
  q.territories = {"North"};
  EXPECT_EQ(ix.list(q).funnel, (funnel_counts{1, 1, 1, 0, 2, 1}));
  EXPECT_EQ(ix.find("LEAD-000099"), nullptr);
  EXPECT_EQ(ix.find("TKT-000001"), nullptr);
  EXPECT_FALSE(ix.contains("LEAD-000013"));
  EXPECT_TRUE(ix.contains("LEAD-000012"));
}

TEST(lead_index, open_keys_leave_when_a_lead_is_won) {
  lead_index ix;
  auto a = make_lead(1, status::prospect, "North", source::referral, "REP-1", 10);
  a.phone = "+91 98765 43210";
  a.email = "Asha@Example.com";
  ix.put(a);
  ASSERT_NE(ix.open_with_phone(phone_key("98765-43210")), nullptr);
  EXPECT_EQ(ix.open_with_phone(phone_key("9876543210"))->id, a.id);
  EXPECT_EQ(ix.open_with_email(email_key(" asha@EXAMPLE.com"))->id, a.id);
  EXPECT_EQ(ix.open_with_phone(phone_key("9876543211")), nullptr);
  EXPECT_EQ(ix.open_with_phone(""), nullptr);
  EXPECT_EQ(ix.open_with_email(""), nullptr);

  a.st = status::qualified;
  ix.put(a);
  EXPECT_EQ(ix.open_with_phone("9876543210")->st, status::qualified);

  a.st = status::won;
  ix.put(a);
  EXPECT_EQ(ix.open_with_phone("9876543210"), nullptr);
  EXPECT_EQ(ix.open_with_email("asha@example.com"), nullptr);

  auto b = make_lead(2, status::lost, "North", source::referral, "REP-1", 10);
  b.phone = "9876543210";
  ix.put(b);
  EXPECT_EQ(ix.open_with_phone("9876543210"), nullptr);
}

TEST(lead_index, two_open_leads_share_a_phone_and_one_closes) {
  lead_index ix;
  auto a = make_lead(1, status::prospect, "North", source::referral, "", 10);
  a.phone = "+91 98765 43210";
  auto b = make_lead(2, status::qualified, "South", source::marketing, "", 10);
  b.phone = "98765-43210";
  b.email = a.email;
  ix.put(a);
  ix.put(b);
  EXPECT_EQ(ix.open_with_phone("9876543210")->id, a.id); // the oldest
  a.st = status::lost;
  ix.put(a);
  EXPECT_EQ(ix.open_with_phone("9876543210")->id, b.id);
  EXPECT_EQ(ix.open_with_email(email_key(a.email))->id, b.id);
  b.st = status::won;
  ix.put(b);
  EXPECT_EQ(ix.open_with_phone("9876543210"), nullptr);
  EXPECT_EQ(ix.open_with_email(email_key(a.email)), nullptr);
}

TEST(lead_index, the_funnel_counts_what_counting_every_lead_counts_over_any_period) {
  lead_index ix;
  std::mt19937 rng(5);
  std::vector<lead> all;
  for (int n = 1; n <= 400; ++n) {
    auto l = make_lead(n, status::prospect, "North", source::referral, "", 10, t0 + (rng() % 100) * minute);
    all.push_back(l);
    ix.put(l);
  }
  auto check = [&](std::optional<millis> from, std::optional<millis> to) {
    funnel want, got;
    want.from = got.from = from;
    want.to = got.to = to;
    for (auto& l : all)
      count(want, l);
    ix.count_funnel(got);
    for (int s = 0; s < status_count; ++s)
      ASSERT_EQ(got.stages[s], want.stages[s]) << "stage " << s << " from " << from.value_or(-1) << " to " << to.value_or(-1);
  };
  // Leads move forward (skipping stages), some to won or lost, and are counted again each round.
  for (int round = 0; round < 4; ++round) {
    for (auto& l : all) {
      if (rng() % 3 != 0 || l.st == status::won || l.st == status::lost)
        continue;
      auto next = static_cast<status>(std::min<int>(static_cast<int>(l.st) + 1 + static_cast<int>(rng() % 2),
                                                    static_cast<int>(status::lost)));
      l.st = next;
      if (next != status::lost && next > l.furthest)
        l.furthest = next;
      ix.put(l);
    }
    check(std::nullopt, std::nullopt);
    check(t0 + 30 * minute, std::nullopt);
    check(std::nullopt, t0 + 30 * minute);
    check(t0 + 10 * minute, t0 + 10 * minute); // one minute exactly, both ends inclusive
    check(t0 + 20 * minute + 1, t0 + 80 * minute - 1);
    check(t0 + 200 * minute, std::nullopt); // after every lead
    check(t0 + 50 * minute, t0 + 40 * minute); // an empty period
  }
}

TEST(lead_index, many_open_leads_sharing_a_key_close_in_any_order) {
  // allowDuplicate lets any number of open leads share a phone: each still names the oldest
  // open one, through the moves between one lead per key and several.
  lead_index ix;
  std::mt19937 rng(9);
  std::vector<lead> all;
  for (int n = 1; n <= 3000; ++n) {
    auto l = make_lead(n, status::prospect, "North", source::referral, "", 10);
    l.phone = n % 3 ? "98765 43210" : "+91 98765 43211";
    l.email = "same@example.com";
    all.push_back(l);
  }
  std::shuffle(all.begin(), all.end(), rng);
  for (auto& l : all)
    ix.put(l);
  auto oldest = [&](const std::string& phone) {
    std::string best;
    std::uint64_t at = UINT64_MAX;
    for (auto& l : all)
      if (l.st == status::prospect && phone_key(l.phone) == phone && tickets::id_number(l.id) < at) {
        at = tickets::id_number(l.id);
        best = l.id;
      }
    return best;
  };
  auto id_of = [](const std::shared_ptr<const lead>& l) { return l ? l->id : std::string(); };
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i].st = i % 2 ? status::won : status::lost;
    ix.put(all[i]);
    if (i % 97 == 0 || i + 3 >= all.size()) {
      ASSERT_EQ(id_of(ix.open_with_phone("9876543210")), oldest("9876543210")) << i;
      ASSERT_EQ(id_of(ix.open_with_phone("9876543211")), oldest("9876543211")) << i;
    }
  }
  EXPECT_EQ(ix.open_with_phone("9876543210"), nullptr);
  EXPECT_EQ(ix.open_with_email("same@example.com"), nullptr);
  all[5].st = status::prospect; // open again through put: back to one lead for the key
  ix.put(all[5]);
  EXPECT_EQ(id_of(ix.open_with_email("same@example.com")), all[5].id);
}

TEST(lead_index, the_oldest_by_number_is_named_whatever_the_order_put) {
  lead_index ix;
  auto later = make_lead(7, status::prospect, "North", source::referral, "", 10);
  later.email = "Asha@Example.com";
  auto older = make_lead(3, status::prospect, "North", source::referral, "", 10);
  older.email = "asha@example.com";
  auto other = make_lead(5, status::prospect, "North", source::referral, "", 10);
  other.email = "ravi@example.com";
  ix.put(later);
  ix.put(other);
  ix.put(older);
  EXPECT_EQ(ix.open_with_email("asha@example.com")->id, older.id);
  EXPECT_EQ(ix.open_with_email("ravi@example.com")->id, other.id);
  EXPECT_EQ(ix.open_with_email("asha@example.co"), nullptr);
  older.email = "asha@example.org";
  ix.put(older);
  EXPECT_EQ(ix.open_with_email("asha@example.com")->id, later.id);
  EXPECT_EQ(ix.open_with_email("asha@example.org")->id, older.id);
}

TEST(lead_index, a_changed_phone_or_email_moves_its_key) {
  lead_index ix;
  auto a = make_lead(1, status::prospect, "North", source::referral, "", 10);
  a.phone = "9876543210";
  ix.put(a);
  a.phone = "9123456789";
  a.email = "new@example.com";
  ix.put(a);
  EXPECT_EQ(ix.open_with_phone("9876543210"), nullptr);
  EXPECT_EQ(ix.open_with_phone("9123456789")->id, a.id);
  EXPECT_EQ(ix.open_with_email("lead1@example.com"), nullptr);
  EXPECT_EQ(ix.open_with_email("new@example.com")->id, a.id);
}

TEST(lead_index, open_of_follows_reassignment_and_closing) {
  lead_index ix;
  auto a = make_lead(1, status::prospect, "North", source::referral, "REP-1", 10);
  auto b = make_lead(2, status::proposal, "North", source::referral, "REP-1", 10);
  auto c = make_lead(3, status::won, "North", source::referral, "REP-1", 10);
  ix.put(a);
  ix.put(b);
  ix.put(c);
  EXPECT_EQ(ix.open_of("REP-1"), 2u);
  EXPECT_EQ(ix.open_of("REP-2"), 0u);
  EXPECT_EQ(ix.open_of(""), 0u);

  a.assigned_to = "REP-2";
  ix.put(a);
  EXPECT_EQ(ix.open_of("REP-1"), 1u);
  EXPECT_EQ(ix.open_of("REP-2"), 1u);

  b.st = status::lost;
  ix.put(b);
  EXPECT_EQ(ix.open_of("REP-1"), 0u);

  a.assigned_to.clear();
  ix.put(a);
  EXPECT_EQ(ix.open_of("REP-2"), 0u);
  auto q = query();
  q.assigned_to = {"null"};
  EXPECT_EQ(ix.list(q).total, 1u);
  q.assigned_to = {"REP-1"};
  EXPECT_EQ(ix.list(q).funnel, (funnel_counts{0, 0, 0, 0, 1, 1}));
}

TEST(lead_index, every_query_agrees_with_a_plain_scan) {
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::string territories[] = {"North", "South", ""};
  const std::string reps[] = {"", "REP-1", "REP-2", "REP-3"};
  lead_index ix;
  std::map<int, lead> truth;
  for (int n = 1; n <= 300; ++n) {
    auto l = make_lead(n, static_cast<status>(pick(6)), territories[pick(3)],
                       static_cast<source>(pick(4)), reps[pick(4)], pick(5) * 10,
                       t0 + pick(40) * minute);
    l.updated_at = l.created_at + pick(10) * minute;
    l.estimated_value_paise = pick(3) * 100;
    l.phone = "98765" + std::to_string(10000 + pick(50));
    truth[n] = l;
    ix.put(l);
  }
  for (int i = 0; i < 200; ++i) { // changes to leads already there
    auto& l = truth[1 + pick(300)];
    l.st = static_cast<status>(pick(6));
    l.assigned_to = reps[pick(4)];
    l.score = pick(5) * 10;
    l.updated_at += pick(100) * minute;
    ix.put(l);
  }
  ASSERT_EQ(ix.size(), 300u);
  const char* sorts[] = {"createdAt", "-createdAt", "updatedAt", "-updatedAt",
                         "score",     "-score",     "estimatedValue", "-estimatedValue"};
  for (int i = 0; i < 600; ++i) {
    list_query q;
    q.limit = 1 + pick(30);
    q.page = 1 + pick(5);
    ASSERT_TRUE(parse_sort(sorts[pick(8)], q));
    for (int k = pick(3); k > 0; --k)
      q.statuses.push_back(static_cast<status>(pick(6)));
    if (pick(2))
      for (int k = 1 + pick(2); k > 0; --k)
        q.territories.push_back(territories[pick(3)]);
    if (pick(3) == 0)
      for (int k = 1 + pick(2); k > 0; --k)
        q.sources.push_back(static_cast<source>(pick(4)));
    if (pick(2))
      for (int k = 1 + pick(2); k > 0; --k)
        q.assigned_to.push_back(pick(4) == 0 ? "null" : reps[1 + pick(3)]);

    auto in = [](const auto& set, const auto& v) {
      return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
    };
    std::vector<std::pair<std::pair<std::int64_t, std::uint64_t>, int>> hits;
    funnel_counts expected_funnel{};
    for (auto& [n, l] : truth) {
      if (!in(q.statuses, l.st) || !in(q.territories, l.territory) || !in(q.sources, l.src)
          || !in(q.assigned_to, l.assigned_to.empty() ? std::string("null") : l.assigned_to))
        continue;
      std::int64_t v = q.sort_by == "createdAt"   ? l.created_at
                       : q.sort_by == "updatedAt" ? l.updated_at
                       : q.sort_by == "score"     ? l.score
                                                  : l.estimated_value_paise;
      hits.push_back({{v, static_cast<std::uint64_t>(n)}, n});
      expected_funnel[static_cast<int>(l.st)] += 1;
    }
    std::sort(hits.begin(), hits.end());
    if (q.descending)
      std::reverse(hits.begin(), hits.end());
    std::vector<int> expected;
    for (std::size_t k = static_cast<std::size_t>((q.page - 1) * q.limit);
         k < hits.size() && expected.size() < static_cast<std::size_t>(q.limit); ++k)
      expected.push_back(hits[k].second);

    auto p = ix.list(q);
    ASSERT_EQ(p.total, hits.size()) << i;
    ASSERT_EQ(p.funnel, expected_funnel) << i;
    ASSERT_EQ(numbers(p), expected) << i;
  }
  std::map<std::string, std::size_t> open_of;
  std::map<std::string, int> oldest_open_phone;
  for (auto& [n, l] : truth)
    if (is_open(l.st)) {
      if (!l.assigned_to.empty())
        open_of[l.assigned_to] += 1;
      oldest_open_phone.try_emplace(phone_key(l.phone), n);
    }
  for (auto& r : reps)
    EXPECT_EQ(ix.open_of(r), r.empty() ? 0u : open_of[r]) << r;
  for (int k = 0; k < 50; ++k) {
    auto key = phone_key("98765" + std::to_string(10000 + k));
    auto found = ix.open_with_phone(key);
    auto it = oldest_open_phone.find(key);
    if (it == oldest_open_phone.end())
      EXPECT_EQ(found, nullptr) << key;
    else
      EXPECT_EQ(found ? found->id : "", lead_id(it->second)) << key;
  }
}

// -- the funnel report ---------------------------------------------------------------------------

namespace {

/// A lead created at `created` that went through `steps` ("won!" converts).
lead walked(int n, millis created, std::vector<std::string> steps) {
  create_cmd c = basic_cmd();
  fixture f(c, lead_id(n));
  f.l.created_at = created; // the period test needs distinct creation times
  for (auto& s : steps) {
    auto r = s == "won!" ? f.convert("ORD-" + std::to_string(n), created + hour) : f.set_status(s, created + hour);
    EXPECT_TRUE(r.ok()) << n << " " << s;
  }
  return f.l;
}

} // namespace

TEST(lead_funnel_report, counts_skipped_stages_as_passed_and_lost_as_now) {
  const millis from = t0 + 10 * hour, to = t0 + 16 * hour;
  const lead leads[] = {
    walked(1, from, {}),                                              // prospect
    walked(2, from + hour, {"qualified"}),                            // qualified
    walked(3, from + 2 * hour, {"negotiation"}),                      // skips two
    walked(4, from + 3 * hour, {"won!"}),                             // converted from prospect
    walked(5, from + 4 * hour, {"lost"}),                             // lost at prospect
    walked(6, from + 5 * hour, {"qualified", "proposal", "lost"}),    // lost after proposal
    walked(7, to, {"qualified", "negotiation", "won"}),               // won by status, on the bound
    walked(8, from - 1, {"won!"}),                                    // before the period
    walked(9, to + 1, {"qualified"}),                                 // after it
  };
  EXPECT_EQ(leads[2].furthest, status::negotiation);
  EXPECT_EQ(leads[5].furthest, status::proposal);
  EXPECT_EQ(leads[5].st, status::lost);

  funnel f;
  f.from = from;
  f.to = to;
  for (auto& l : leads)
    count(f, l);
  const std::uint64_t expected[status_count] = {7, 5, 4, 3, 2, 2};
  for (int s = 0; s < status_count; ++s)
    EXPECT_EQ(f.stages[s], expected[s]) << to_string(static_cast<status>(s));

  simdjson::dom::parser p;
  auto j = parse(p, to_json(f));
  EXPECT_EQ(json::get_str(j, "from"), format_time(from));
  EXPECT_EQ(json::get_str(j, "to"), format_time(to));
  EXPECT_EQ(int64_t(j["stages"]["prospect"]), 7);
  EXPECT_EQ(int64_t(j["stages"]["qualified"]), 5);
  EXPECT_EQ(int64_t(j["stages"]["proposal"]), 4);
  EXPECT_EQ(int64_t(j["stages"]["negotiation"]), 3);
  EXPECT_EQ(int64_t(j["stages"]["won"]), 2);
  EXPECT_EQ(int64_t(j["stages"]["lost"]), 2);
  EXPECT_EQ(double(j["conversionRates"]["prospectToQualified"]), 0.7143);
  EXPECT_EQ(double(j["conversionRates"]["qualifiedToProposal"]), 0.8);
  EXPECT_EQ(double(j["conversionRates"]["proposalToNegotiation"]), 0.75);
  EXPECT_EQ(double(j["conversionRates"]["negotiationToWon"]), 0.6667);

  funnel all_time;
  for (auto& l : leads)
    count(all_time, l);
  EXPECT_EQ(all_time.stages[static_cast<int>(status::prospect)], 9u);
  EXPECT_EQ(all_time.stages[static_cast<int>(status::won)], 3u);
  funnel open_start;
  open_start.from = to;
  for (auto& l : leads)
    count(open_start, l);
  EXPECT_EQ(open_start.stages[static_cast<int>(status::prospect)], 2u);
  auto k = parse(p, to_json(open_start));
  EXPECT_TRUE(k["to"].is_null());
  EXPECT_EQ(double(k["conversionRates"]["prospectToQualified"]), 1.0);
  EXPECT_EQ(double(k["conversionRates"]["negotiationToWon"]), 1.0);
}

TEST(lead_funnel_report, an_empty_period_has_zero_rates_and_null_bounds) {
  funnel f;
  simdjson::dom::parser p;
  auto j = parse(p, to_json(f));
  EXPECT_TRUE(j["from"].is_null());
  EXPECT_TRUE(j["to"].is_null());
  for (auto s : all_statuses)
    EXPECT_EQ(int64_t(j["stages"][to_string(s)]), 0);
  for (auto r : {"prospectToQualified", "qualifiedToProposal", "proposalToNegotiation", "negotiationToWon"})
    EXPECT_EQ(double(j["conversionRates"][r]), 0.0) << r;

  funnel g; // prospects only: the later rates have a zero denominator
  g.stages[0] = 3;
  g.stages[1] = 1;
  auto k = parse(p, to_json(g));
  EXPECT_EQ(double(k["conversionRates"]["prospectToQualified"]), 0.3333);
  EXPECT_EQ(double(k["conversionRates"]["qualifiedToProposal"]), 0.0);
  EXPECT_EQ(double(k["conversionRates"]["negotiationToWon"]), 0.0);
}
