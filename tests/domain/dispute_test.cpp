// Disputes: the workflow, refunds and the approval limit, notes and the timeline, automatic
// creation, replay, and the company's dispute index (lists and metrics).
#include <gtest/gtest.h>

#include <set>

#include "domain/dispute.hpp"
#include "domain/dispute_index.hpp"
#include "domain/time_format.hpp"

namespace crm::disputes {
namespace {

const millis t0 = 1'795'000'000'000;
const authority agent{false, 500'000};  // limit 5000 rupees
const authority manager{true, 500'000};

event as_event(const event_draft& d, std::uint64_t seq) {
  return event{seq, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}};
}

std::vector<std::string> types_of(const std::vector<event_draft>& ds) {
  std::vector<std::string> out;
  for (auto& d : ds)
    out.push_back(d.type);
  return out;
}

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& s) {
  simdjson::dom::element e;
  EXPECT_FALSE(p.parse(s).get(e)) << s;
  return e;
}

struct fixture {
  dispute d;
  std::uint64_t seq = 0;
  origin who{"acme", "KEY-000001", t0};
  std::vector<event> log;

  explicit fixture(std::int64_t claim_paise = 1'000'000, std::string id = "DSP-000001") {
    create_cmd c;
    c.type = "damaged-goods";
    c.related_order_id = "ORD-1";
    c.shipment_id = "SHP-1";
    c.description = "Box crushed";
    c.claim_paise = claim_paise;
    c.customer_email = "a@b.in";
    feed(decide_create(c, id, who));
  }
  void feed(const result<std::vector<event_draft>>& r) {
    ASSERT_TRUE(r.ok()) << r.err().message;
    for (auto& dr : r.value()) {
      log.push_back(as_event(dr, ++seq));
      ASSERT_TRUE(apply(d, log.back()));
    }
  }
  result<std::vector<event_draft>> put(update_cmd u, const authority& a = agent) {
    who.now += 1000;
    auto r = decide_update(d, u, a, who);
    if (r.ok())
      feed(r);
    return r;
  }
  result<std::vector<event_draft>> put_status(const char* s, const authority& a = agent) {
    update_cmd u;
    u.status = s;
    return put(u, a);
  }
  result<std::vector<event_draft>> resolve(const char* res, std::optional<std::int64_t> refund,
                                           const authority& a = agent) {
    who.now += 1000;
    auto r = decide_resolve(d, resolve_cmd{res, refund}, a, who);
    if (r.ok())
      feed(r);
    return r;
  }
  /// Brings the dispute to `s` (resolved with "rejected").
  void reach(status s) {
    if (s >= status::decision) {
      ASSERT_TRUE(put_status("decision").ok());
    }
    if (s >= status::resolved) {
      ASSERT_TRUE(resolve("rejected", std::nullopt).ok());
    }
    if (s >= status::closed) {
      ASSERT_TRUE(put_status("closed").ok());
    }
    ASSERT_EQ(d.st, s);
  }
};

void expect_error(const result<std::vector<event_draft>>& r, errc code, const std::string& field = {}) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, code) << r.err().message;
  if (!field.empty()) {
    std::set<std::string> fields;
    for (auto& p : r.err().details)
      fields.insert(p.field);
    EXPECT_TRUE(fields.count(field)) << r.err().message;
  }
}

const status all_statuses[] = {status::investigation, status::decision, status::resolved, status::closed};

// --- names and the workflow -------------------------------------------------------------------

TEST(dispute_names, round_trip) {
  for (int i = 0; i < type_count; ++i)
    EXPECT_EQ(parse_type(to_string(static_cast<type>(i))), static_cast<type>(i));
  for (int i = 0; i < status_count; ++i)
    EXPECT_EQ(parse_status(to_string(static_cast<status>(i))), static_cast<status>(i));
  EXPECT_EQ(parse_resolution("refund"), resolution::refund);
  EXPECT_EQ(parse_resolution("replacement"), resolution::replacement);
  EXPECT_EQ(parse_resolution("rejected"), resolution::rejected);
  EXPECT_FALSE(parse_resolution(""));
  EXPECT_FALSE(parse_type("damaged_goods"));
  EXPECT_STREQ(to_string(resolution::none), "");
}

TEST(dispute_workflow, transition_table_is_one_step_forward) {
  for (auto a : all_statuses)
    for (auto b : all_statuses)
      EXPECT_EQ(transition_allowed(a, b), static_cast<int>(b) == static_cast<int>(a) + 1)
        << to_string(a) << " -> " << to_string(b);
}

TEST(dispute_workflow, every_pair_through_put) {
  for (auto from : all_statuses)
    for (auto to : all_statuses) {
      fixture f;
      f.reach(from);
      update_cmd u;
      u.status = to_string(to);
      if (to == status::resolved)
        u.resolution = "rejected";
      auto r = f.put(u);
      if (static_cast<int>(to) == static_cast<int>(from) + 1) {
        EXPECT_TRUE(r.ok()) << to_string(from) << " -> " << to_string(to) << ": " << r.err().message;
        EXPECT_EQ(f.d.st, to);
      } else {
        expect_error(r, errc::conflict);
        EXPECT_EQ(f.d.st, from);
      }
    }
}

TEST(dispute_workflow, status_changed_and_resolved_events) {
  fixture f;
  auto r = f.put_status("decision");
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.status_changed"}));
  update_cmd u;
  u.status = "resolved";
  u.resolution = "rejected";
  r = f.put(u);
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.resolved"}));
  EXPECT_EQ(f.d.res, resolution::rejected);
  EXPECT_EQ(f.d.resolved_at, f.who.now);
  EXPECT_FALSE(f.d.refund_paise);
  r = f.put_status("closed");
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.status_changed"}));
  EXPECT_EQ(f.d.resolved_at, f.who.now - 1000);
}

TEST(dispute_workflow, validation_comes_before_the_workflow) {
  fixture f;
  f.reach(status::closed);
  update_cmd u;
  u.status = "done";
  expect_error(f.put(u), errc::invalid, "status");
  expect_error(f.put(update_cmd{}), errc::invalid, "body");
  u = {};
  u.notes = "";
  expect_error(f.put(u), errc::invalid, "notes");
  u = {};
  u.refund_paise = 2'000'000; // above the claim
  expect_error(f.put(u), errc::invalid, "refundAmount");
  u = {};
  u.resolution = "refund";
  u.refund_paise = -1;
  expect_error(f.put(u), errc::invalid, "refundAmount");
  u = {};
  u.resolution = "maybe";
  expect_error(f.put(u), errc::invalid, "resolution");
  // Well-formed: the workflow answers.
  u = {};
  u.resolution = "refund";
  expect_error(f.put(u), errc::conflict);
  expect_error(f.resolve("refund", 2'000'000), errc::invalid, "refundAmount");
  expect_error(f.resolve("refund", 100), errc::conflict);
}

TEST(dispute_workflow, a_closed_dispute_takes_notes_only) {
  fixture f;
  f.reach(status::closed);
  update_cmd u;
  u.notes = "customer called again";
  EXPECT_TRUE(f.put(u).ok());
  u.resolution = "rejected";
  expect_error(f.put(u), errc::conflict);
  EXPECT_EQ(f.d.note_count, 1u);
}

TEST(dispute_workflow, the_resolution_is_set_in_decision) {
  fixture f;
  update_cmd u;
  u.resolution = "refund";
  expect_error(f.put(u), errc::conflict, "resolution");
  u = {};
  u.refund_paise = 100;
  expect_error(f.put(u), errc::conflict, "refundAmount");
  ASSERT_TRUE(f.put_status("decision").ok());
  u = {};
  u.resolution = "refund";
  u.refund_paise = 250'000;
  auto r = f.put(u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.decision_set"}));
  EXPECT_EQ(f.d.st, status::decision);
  EXPECT_EQ(f.d.res, resolution::refund);
  EXPECT_EQ(f.d.refund_paise, 250'000);
  EXPECT_FALSE(f.d.resolved_at);
  // The refund alone changes, the resolution stays.
  u = {};
  u.refund_paise = 260'000;
  ASSERT_TRUE(f.put(u).ok());
  EXPECT_EQ(f.d.res, resolution::refund);
  EXPECT_EQ(f.d.refund_paise, 260'000);
  // Another resolution drops the refund.
  u = {};
  u.resolution = "replacement";
  ASSERT_TRUE(f.put(u).ok());
  EXPECT_EQ(f.d.res, resolution::replacement);
  EXPECT_FALSE(f.d.refund_paise);
  // A refund with it is 422.
  u = {};
  u.refund_paise = 100;
  expect_error(f.put(u), errc::invalid, "refundAmount");
  // The status alone resolves with what decision set.
  r = f.put_status("resolved");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(types_of(r.value()),
            (std::vector<std::string>{"dispute.resolved", "dispute.replacement_requested"}));
  EXPECT_EQ(f.d.res, resolution::replacement);
}

TEST(dispute_workflow, a_refund_may_be_set_before_the_resolution) {
  fixture f;
  f.reach(status::decision);
  update_cmd u;
  u.refund_paise = 1000;
  ASSERT_TRUE(f.put(u).ok());
  EXPECT_EQ(f.d.res, resolution::none);
  EXPECT_EQ(f.d.refund_paise, 1000);
  u = {};
  u.status = "resolved";
  u.resolution = "refund";
  auto r = f.put(u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(f.d.refund_paise, 1000);
}

TEST(dispute_workflow, resolving_needs_a_resolution) {
  fixture f;
  f.reach(status::decision);
  expect_error(f.put_status("resolved"), errc::invalid, "resolution");
  expect_error(f.resolve("", std::nullopt), errc::invalid, "resolution");
  expect_error(f.resolve("refunded", std::nullopt), errc::invalid, "resolution");
  EXPECT_EQ(f.d.st, status::decision);
}

TEST(dispute_workflow, resolve_from_decision_only) {
  fixture f;
  expect_error(f.resolve("rejected", std::nullopt), errc::conflict);
  f.reach(status::decision);
  auto r = f.resolve("rejected", std::nullopt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.resolved"}));
  expect_error(f.resolve("rejected", std::nullopt), errc::conflict);
  // A bad body to a resolved dispute is 422, not 409.
  expect_error(f.resolve("rejected", 100), errc::invalid, "refundAmount");
}

// --- refunds ------------------------------------------------------------------------------------

TEST(dispute_refund, above_the_claim_zero_or_with_another_resolution_is_invalid) {
  fixture f(100'000); // claim 1000 rupees
  f.reach(status::decision);
  expect_error(f.resolve("refund", 100'001), errc::invalid, "refundAmount");
  expect_error(f.resolve("refund", 0), errc::invalid, "refundAmount");
  expect_error(f.resolve("refund", std::nullopt), errc::invalid, "refundAmount");
  expect_error(f.resolve("replacement", 100), errc::invalid, "refundAmount");
  expect_error(f.resolve("rejected", 100), errc::invalid, "refundAmount");

  update_cmd u;
  u.status = "resolved";
  u.resolution = "refund";
  u.refund_paise = 100'001;
  expect_error(f.put(u), errc::invalid, "refundAmount");
  u.refund_paise = 0;
  expect_error(f.put(u), errc::invalid, "refundAmount");
  u.refund_paise.reset();
  expect_error(f.put(u), errc::invalid, "refundAmount");
  u.resolution = "replacement";
  u.refund_paise = 100;
  expect_error(f.put(u), errc::invalid, "refundAmount");
  // Setting one in decision checks the claim too.
  u = {};
  u.refund_paise = 100'001;
  expect_error(f.put(u), errc::invalid, "refundAmount");
  EXPECT_EQ(f.d.st, status::decision);
  EXPECT_EQ(f.d.version, 2u);

  auto r = f.resolve("refund", 100'000); // exactly the claim
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.resolved", "dispute.refund_requested"}));
  EXPECT_EQ(f.d.refund_paise, 100'000);
}

TEST(dispute_refund, refund_requested_carries_the_order_and_shipment) {
  fixture f;
  f.reach(status::decision);
  auto r = f.resolve("refund", 123'456);
  ASSERT_TRUE(r.ok());
  simdjson::dom::parser p;
  auto e = parse(p, r.value()[1].data);
  EXPECT_EQ(double(e["refundAmount"]), 1234.56);
  EXPECT_EQ(std::string_view(e["relatedOrderId"]), "ORD-1");
  EXPECT_EQ(std::string_view(e["shipmentId"]), "SHP-1");
  auto res = parse(p, r.value()[0].data);
  EXPECT_EQ(std::string_view(res["resolution"]), "refund");
  EXPECT_EQ(double(res["refundAmount"]), 1234.56);
  // *_requested changes nothing but the version.
  EXPECT_EQ(f.d.timeline.back().type, "resolved");
  EXPECT_EQ(f.d.version, 4u);
}

// --- the approval limit -------------------------------------------------------------------------

TEST(dispute_limit, resolve_agent_at_the_limit_manager_above) {
  {
    fixture f;
    f.reach(status::decision);
    EXPECT_TRUE(f.resolve("refund", 500'000).ok()); // exactly at the limit
  }
  {
    fixture f;
    f.reach(status::decision);
    auto r = f.resolve("refund", 500'001);
    expect_error(r, errc::forbidden, "refundAmount");
    EXPECT_NE(r.err().message.find("5000"), std::string::npos) << r.err().message;
    EXPECT_EQ(f.d.st, status::decision);
    EXPECT_TRUE(f.resolve("refund", 500'001, manager).ok());
    EXPECT_EQ(f.d.refund_paise, 500'001);
  }
}

TEST(dispute_limit, put_status_resolved_agent_at_the_limit_manager_above) {
  update_cmd u;
  u.status = "resolved";
  u.resolution = "refund";
  {
    fixture f;
    f.reach(status::decision);
    u.refund_paise = 500'000;
    EXPECT_TRUE(f.put(u).ok());
  }
  {
    fixture f;
    f.reach(status::decision);
    u.refund_paise = 600'000;
    expect_error(f.put(u), errc::forbidden);
    EXPECT_TRUE(f.put(u, manager).ok());
    EXPECT_EQ(f.d.st, status::resolved);
  }
}

TEST(dispute_limit, applies_to_a_refund_set_earlier_in_decision) {
  fixture f;
  f.reach(status::decision);
  update_cmd u;
  u.resolution = "refund";
  u.refund_paise = 700'000;
  ASSERT_TRUE(f.put(u).ok()); // setting it needs no authority; resolving does
  expect_error(f.put_status("resolved"), errc::forbidden);
  update_cmd lower;
  lower.status = "resolved";
  lower.refund_paise = 500'000; // the body's refund wins over the one set in decision
  ASSERT_TRUE(f.put(lower).ok());
  EXPECT_EQ(f.d.refund_paise, 500'000);

  fixture g;
  g.reach(status::decision);
  ASSERT_TRUE(g.put(u).ok());
  ASSERT_TRUE(g.put_status("resolved", manager).ok());
  EXPECT_EQ(g.d.refund_paise, 700'000);
}

TEST(dispute_limit, the_workflow_comes_before_the_role) {
  fixture f;
  expect_error(f.resolve("refund", 900'000), errc::conflict);
  update_cmd u;
  u.status = "resolved";
  u.resolution = "refund";
  u.refund_paise = 900'000;
  expect_error(f.put(u), errc::conflict);
}

TEST(dispute_limit, other_resolutions_ignore_it) {
  fixture f;
  f.reach(status::decision);
  update_cmd u;
  u.refund_paise = 900'000;
  ASSERT_TRUE(f.put(u).ok());
  u = {};
  u.status = "resolved";
  u.resolution = "rejected";
  ASSERT_TRUE(f.put(u).ok());
  EXPECT_EQ(f.d.res, resolution::rejected);
  EXPECT_FALSE(f.d.refund_paise);
}

// --- notes and the timeline ---------------------------------------------------------------------

TEST(dispute_notes, ids_count_and_events_order) {
  fixture f;
  update_cmd u;
  u.notes = "first";
  auto r = f.put(u);
  ASSERT_TRUE(r.ok());
  simdjson::dom::parser p;
  EXPECT_EQ(std::string_view(parse(p, r.value()[0].data)["noteId"]), "DSP-000001-N1");
  f.reach(status::decision);
  u.status = "resolved";
  u.resolution = "refund";
  u.refund_paise = 1000;
  u.notes = "second";
  r = f.put(u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(types_of(r.value()),
            (std::vector<std::string>{"dispute.note_added", "dispute.resolved", "dispute.refund_requested"}));
  EXPECT_EQ(std::string_view(parse(p, r.value()[0].data)["noteId"]), "DSP-000001-N2");
  EXPECT_EQ(f.d.note_count, 2u);

  fixture g;
  g.reach(status::decision);
  update_cmd both;
  both.resolution = "rejected";
  both.notes = "why";
  r = g.put(both);
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.decision_set", "dispute.note_added"}));
  both = {};
  both.status = "resolved";
  both.notes = "done";
  r = g.put(both);
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.note_added", "dispute.resolved"}));
  both.status = "closed";
  r = g.put(both);
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.note_added", "dispute.status_changed"}));
}

TEST(dispute_notes, past_the_most_is_conflict) {
  fixture f;
  f.d.note_count = max_notes;
  update_cmd u;
  u.notes = "one more";
  expect_error(f.put(u), errc::conflict, "notes");
  u.notes = std::string(10001, 'x');
  expect_error(f.put(u), errc::invalid, "notes");
}

TEST(dispute_timeline, lists_every_event_but_the_requests) {
  fixture f;
  update_cmd u;
  u.notes = "looking";
  ASSERT_TRUE(f.put(u).ok());
  f.reach(status::decision);
  u = {};
  u.resolution = "refund";
  u.refund_paise = 1000;
  ASSERT_TRUE(f.put(u).ok());
  ASSERT_TRUE(f.put_status("resolved").ok());
  ASSERT_TRUE(f.put_status("closed").ok());
  std::vector<std::string> types;
  for (auto& e : f.d.timeline)
    types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{"created", "note_added", "status_changed", "decision_set",
                                             "resolved", "status_changed"}));
  EXPECT_EQ(f.d.version, 7u); // refund_requested counts as an event
  EXPECT_EQ(f.d.last_seq, 7u);
  auto& tl = f.d.timeline;
  EXPECT_EQ(tl[0].actor, "KEY-000001");
  EXPECT_EQ(tl[0].at, t0);
  EXPECT_EQ(tl[1].note, "looking");
  EXPECT_EQ(tl[2].from, "investigation");
  EXPECT_EQ(tl[2].to, "decision");
  EXPECT_EQ(tl[3].res, resolution::refund);
  EXPECT_EQ(tl[3].refund_paise, 1000);
  EXPECT_EQ(tl[4].from, "decision");
  EXPECT_EQ(tl[4].to, "resolved");
  EXPECT_EQ(tl[4].refund_paise, 1000);
  EXPECT_EQ(tl[5].to, "closed");

  simdjson::dom::parser p;
  auto j = parse(p, to_json(f.d, true));
  simdjson::dom::array arr = j["timeline"];
  ASSERT_EQ(arr.size(), 6u);
  auto keys = [](simdjson::dom::object o) {
    std::set<std::string> out;
    for (auto field : o)
      out.insert(std::string(field.key));
    return out;
  };
  using S = std::set<std::string>;
  EXPECT_EQ(keys(arr.at(0)), (S{"at", "type", "actor"}));
  EXPECT_EQ(keys(arr.at(1)), (S{"at", "type", "actor", "note"}));
  EXPECT_EQ(keys(arr.at(2)), (S{"at", "type", "actor", "from", "to"}));
  EXPECT_EQ(keys(arr.at(3)), (S{"at", "type", "actor", "resolution", "refundAmount"}));
  EXPECT_EQ(keys(arr.at(4)), (S{"at", "type", "actor", "from", "to", "resolution", "refundAmount"}));
  EXPECT_EQ(std::string_view(arr.at(0)["at"]), format_time(t0));
  EXPECT_EQ(double(arr.at(4)["refundAmount"]), 10.0);
  EXPECT_EQ(std::string_view(arr.at(1)["note"]), "looking");
  EXPECT_TRUE(parse(p, to_json(f.d, false))["timeline"].error());
}

// --- create, JSON, replay -----------------------------------------------------------------------

TEST(dispute_create, names_every_bad_field) {
  create_cmd c;
  c.type = "broken";
  c.related_order_id = "ORD 1";
  c.shipment_id = std::string(65, 'a');
  c.related_support_ticket_id = "TKT/1";
  c.description = std::string(10001, 'x');
  auto err = validate(c);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, errc::invalid);
  std::set<std::string> fields;
  for (auto& d : err->details)
    fields.insert(d.field);
  EXPECT_EQ(fields, (std::set<std::string>{"type", "relatedOrderId", "shipmentId", "relatedSupportTicketId",
                                           "description", "claimAmount"}));
  for (auto& d : err->details)
    if (d.field == "type") {
      EXPECT_EQ(d.problem, "must be one of damaged-goods, lost-shipment, delayed-delivery, quality-issue");
    }
  c = {};
  c.claim_paise = 0;
  err = validate(c);
  ASSERT_TRUE(err);
  fields.clear();
  for (auto& d : err->details)
    fields.insert(d.field);
  EXPECT_EQ(fields, (std::set<std::string>{"type", "claimAmount"}));
  c.type = "lost-shipment";
  c.claim_paise = 1;
  EXPECT_FALSE(validate(c));
  auto r = decide_create(c, "DSP-000002", origin{"acme", "KEY-1", t0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.created"}));
  c.claim_paise.reset();
  EXPECT_FALSE(decide_create(c, "DSP-000002", origin{"acme", "KEY-1", t0}).ok());
}

TEST(dispute_json, the_api_shape) {
  fixture f(123'456);
  simdjson::dom::parser p;
  auto j = parse(p, to_json(f.d, false));
  EXPECT_EQ(std::string_view(j["disputeId"]), "DSP-000001");
  EXPECT_EQ(std::string_view(j["companyId"]), "acme");
  EXPECT_EQ(std::string_view(j["type"]), "damaged-goods");
  EXPECT_EQ(std::string_view(j["relatedOrderId"]), "ORD-1");
  EXPECT_TRUE(j["relatedSupportTicketId"].is_null());
  EXPECT_EQ(std::string_view(j["shipmentId"]), "SHP-1");
  EXPECT_EQ(std::string_view(j["description"]), "Box crushed");
  EXPECT_EQ(double(j["claimAmount"]), 1234.56);
  EXPECT_EQ(std::string_view(j["status"]), "investigation");
  EXPECT_TRUE(j["resolution"].is_null());
  EXPECT_TRUE(j["refundAmount"].is_null());
  EXPECT_FALSE(bool(j["automatic"]));
  EXPECT_EQ(std::string_view(j["createdAt"]), format_time(t0));
  EXPECT_EQ(std::string_view(j["updatedAt"]), format_time(t0));
  EXPECT_TRUE(j["resolvedAt"].is_null());
  EXPECT_NE(to_json(f.d, false).find("\"claimAmount\":1234.56"), std::string::npos);

  f.reach(status::decision);
  ASSERT_TRUE(f.resolve("refund", 100'050).ok());
  auto s = to_json(f.d, false);
  EXPECT_NE(s.find("\"refundAmount\":1000.50"), std::string::npos) << s;
  j = parse(p, s);
  EXPECT_EQ(std::string_view(j["resolution"]), "refund");
  EXPECT_EQ(std::string_view(j["resolvedAt"]), format_time(f.who.now));
}

TEST(dispute_replay, events_rebuild_an_equal_dispute) {
  fixture f;
  update_cmd u;
  u.notes = "n1";
  ASSERT_TRUE(f.put(u).ok());
  f.reach(status::decision);
  u = {};
  u.resolution = "refund";
  u.refund_paise = 99'999;
  ASSERT_TRUE(f.put(u).ok());
  ASSERT_TRUE(f.put_status("resolved").ok());
  u = {};
  u.notes = "n2";
  u.status = "closed";
  ASSERT_TRUE(f.put(u).ok());

  dispute again;
  for (auto& e : f.log)
    ASSERT_TRUE(apply(again, e));
  EXPECT_EQ(again, f.d);
  EXPECT_EQ(to_json(again, true), to_json(f.d, true));

  // Unknown types change nothing; unreadable data is refused.
  auto before = again;
  EXPECT_TRUE(apply(again, event{99, t0 + 99'999, "acme", "DSP-000001", "dispute.escalated", "x", "{}", {}, {}}));
  EXPECT_TRUE(apply(again, event{99, t0 + 99'999, "acme", "DSP-000001", "x", "x", "{}", {}, {}}));
  EXPECT_EQ(again, before);
  EXPECT_FALSE(apply(again, event{99, t0, "acme", "DSP-000001", "dispute.note_added", "x", "{", {}, {}}));
}

// --- automatic disputes -------------------------------------------------------------------------

tickets::ticket ticket_of(std::string subject, std::string description,
                          tickets::category cat = tickets::category::other) {
  tickets::ticket t;
  t.id = "TKT-000007";
  t.company_id = "acme";
  t.subject = std::move(subject);
  t.description = std::move(description);
  t.cat = cat;
  t.created_at = t0;
  return t;
}

TEST(dispute_automatic, infers_the_type_from_words_and_category) {
  using tickets::category;
  EXPECT_EQ(infer_type(ticket_of("Parcel DAMAGED", "")), type::damaged_goods);
  EXPECT_EQ(infer_type(ticket_of("Help", "the box has damage on it")), type::damaged_goods);
  EXPECT_EQ(infer_type(ticket_of("Order lost", "")), type::lost_shipment);
  EXPECT_EQ(infer_type(ticket_of("Item missing", "", category::logistics)), type::lost_shipment);
  EXPECT_EQ(infer_type(ticket_of("Not delivered yet", "")), type::lost_shipment);
  // The phrase, not the two words anywhere: a late delivery is not a lost shipment.
  EXPECT_EQ(infer_type(ticket_of("Package delivered late, customer not happy", "", category::logistics)),
            type::delayed_delivery);
  EXPECT_EQ(infer_type(ticket_of("Parcel NOT  delivered!", "")), type::lost_shipment);
  EXPECT_EQ(infer_type(ticket_of("Help", "It was NOT delivered!")), type::lost_shipment);
  EXPECT_EQ(infer_type(ticket_of("Poor quality", "")), type::quality_issue);
  EXPECT_EQ(infer_type(ticket_of("Defective charger", "", category::logistics)), type::quality_issue);
  EXPECT_EQ(infer_type(ticket_of("Wrong item sent", "", category::logistics)), type::quality_issue);
  EXPECT_EQ(infer_type(ticket_of("Where is my order", "", category::logistics)), type::delayed_delivery);
  EXPECT_EQ(infer_type(ticket_of("Where is my order", "", category::billing)), type::quality_issue);
  EXPECT_EQ(infer_type(ticket_of("damaged and lost", "")), type::damaged_goods); // the first rule wins
  EXPECT_EQ(infer_type(ticket_of("Delivered", "", category::logistics)), type::delayed_delivery);
}

TEST(dispute_automatic, opens_a_linked_dispute_with_no_claim) {
  auto t = ticket_of("Parcel lost", "never came", tickets::category::logistics);
  t.related_order_id = "ORD-9";
  t.shipment_id = "SHP-9";
  t.cust = tickets::customer{"Asha", "asha@example.in", "9999999999"};
  origin sys{"acme", "system", t0 + 3'600'000};
  auto drafts = decide_automatic(t, "DSP-000003", sys);
  ASSERT_EQ(types_of(drafts), (std::vector<std::string>{"dispute.created"}));
  EXPECT_EQ(drafts[0].actor, "system");
  EXPECT_EQ(drafts[0].entity, "DSP-000003");
  EXPECT_EQ(drafts[0].company_id, "acme");
  EXPECT_EQ(drafts[0].at, t0 + 3'600'000);
  dispute d;
  ASSERT_TRUE(apply(d, as_event(drafts[0], 1)));
  EXPECT_EQ(d.id, "DSP-000003");
  EXPECT_TRUE(d.automatic);
  EXPECT_EQ(d.t, type::lost_shipment);
  EXPECT_EQ(d.related_support_ticket_id, "TKT-000007");
  EXPECT_EQ(d.related_order_id, "ORD-9");
  EXPECT_EQ(d.shipment_id, "SHP-9");
  EXPECT_EQ(d.customer_email, "asha@example.in");
  EXPECT_EQ(d.claim_paise, 0);
  EXPECT_EQ(d.st, status::investigation);
  EXPECT_EQ(d.created_at, t0 + 3'600'000);
  EXPECT_NE(d.description.find("TKT-000007"), std::string::npos);
  EXPECT_NE(d.description.find(format_time(t0)), std::string::npos);
  ASSERT_EQ(d.timeline.size(), 1u);
  EXPECT_EQ(d.timeline[0].actor, "system");

  t.cust.reset();
  d = {};
  ASSERT_TRUE(apply(d, as_event(decide_automatic(t, "DSP-000004", sys)[0], 2)));
  EXPECT_EQ(d.customer_email, "");
  simdjson::dom::parser p;
  EXPECT_TRUE(bool(parse(p, to_json(d, false))["automatic"]));
}

// --- the index ----------------------------------------------------------------------------------

dispute make(int n, millis created, status st = status::investigation, type t = type::damaged_goods,
             std::int64_t claim = 100'000) {
  dispute d;
  char id[16];
  std::snprintf(id, sizeof id, "DSP-%06d", n);
  d.id = id;
  d.company_id = "acme";
  d.created_at = created;
  d.updated_at = created;
  d.st = st;
  d.t = t;
  d.claim_paise = claim;
  return d;
}

dispute resolved(dispute d, millis after, resolution res, std::optional<std::int64_t> refund = {}) {
  d.st = status::resolved;
  d.res = res;
  d.refund_paise = refund;
  d.resolved_at = d.created_at + after;
  d.updated_at = *d.resolved_at;
  return d;
}

std::vector<std::string> ids(const list_page& p) {
  std::vector<std::string> out;
  for (auto& d : p.items)
    out.push_back(d->id);
  return out;
}

TEST(dispute_index, put_find_and_replace) {
  dispute_index idx;
  idx.put(make(1, 100));
  EXPECT_EQ(idx.size(), 1u);
  ASSERT_TRUE(idx.find("DSP-000001"));
  EXPECT_FALSE(idx.find("DSP-000002"));
  EXPECT_FALSE(idx.find("XYZ-000001")); // same number, another id
  EXPECT_TRUE(idx.contains("DSP-000001"));
  auto d = make(1, 100, status::decision);
  d.updated_at = 500;
  idx.put(d);
  EXPECT_EQ(idx.size(), 1u);
  EXPECT_EQ(idx.find("DSP-000001")->st, status::decision);
  auto m = idx.compute(std::nullopt, std::nullopt);
  EXPECT_EQ(m.by_status[static_cast<int>(status::investigation)], 0u);
  EXPECT_EQ(m.by_status[static_cast<int>(status::decision)], 1u);
  list_query q;
  q.sort_by = "updatedAt";
  EXPECT_EQ(idx.list(q).total, 1u);
  EXPECT_EQ(idx.list(q).items.size(), 1u);
  int seen = 0;
  idx.for_each([&](const dispute&) { ++seen; });
  EXPECT_EQ(seen, 1);
}

TEST(dispute_index, parse_sort) {
  list_query q;
  EXPECT_TRUE(parse_sort("claimAmount", q));
  EXPECT_EQ(q.sort_by, "claimAmount");
  EXPECT_FALSE(q.descending);
  EXPECT_TRUE(parse_sort("-updatedAt", q));
  EXPECT_EQ(q.sort_by, "updatedAt");
  EXPECT_TRUE(q.descending);
  EXPECT_TRUE(parse_sort("createdAt", q));
  EXPECT_FALSE(parse_sort("status", q));
  EXPECT_FALSE(parse_sort("-", q));
  EXPECT_FALSE(parse_sort("", q));
}

TEST(dispute_index, filters_by_status_type_and_stall) {
  dispute_index idx;
  idx.put(make(1, 1000, status::investigation, type::damaged_goods));
  idx.put(make(2, 2000, status::decision, type::lost_shipment));
  idx.put(make(3, 3000, status::investigation, type::lost_shipment));
  idx.put(resolved(make(4, 4000, status::decision, type::quality_issue), 10, resolution::rejected));
  list_query q;
  q.statuses = {status::investigation};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000003", "DSP-000001"}));
  EXPECT_EQ(idx.list(q).total, 2u);
  q.types = {type::lost_shipment};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000003"}));
  q.statuses = {status::investigation, status::decision};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000003", "DSP-000002"}));
  q = {};
  q.types = {type::quality_issue, type::damaged_goods};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000004", "DSP-000001"}));

  // Stalled: in investigation for at least stall_after at now.
  q = {};
  q.stall_after = 2000;
  q.now = 4000;
  q.stalled = true;
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000001"})); // 3 is 1000 in; 2 is in decision
  q.now = 5000;
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000003", "DSP-000001"}));
  EXPECT_EQ(idx.list(q).total, 2u);
  q.stalled = false;
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000004", "DSP-000002"}));
  q.now = 2999;
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"DSP-000004", "DSP-000003", "DSP-000002", "DSP-000001"}));

  EXPECT_TRUE(stalled(make(9, 0), 100, 100));
  EXPECT_FALSE(stalled(make(9, 0), 99, 100));
  EXPECT_FALSE(stalled(make(9, 0, status::decision), 1000, 100));
}

TEST(dispute_index, sorts_both_ways_with_ties_by_number) {
  dispute_index idx;
  idx.put(make(10, 300, status::investigation, type::damaged_goods, 500));
  idx.put(make(2, 100, status::investigation, type::damaged_goods, 700));
  idx.put(make(3, 100, status::investigation, type::damaged_goods, 500));
  idx.put(make(1, 200, status::investigation, type::damaged_goods, 500));
  auto d = make(4, 50, status::decision, type::damaged_goods, 100);
  d.updated_at = 1000;
  idx.put(d);
  list_query q; // -createdAt by default
  EXPECT_EQ(ids(idx.list(q)),
            (std::vector<std::string>{"DSP-000010", "DSP-000001", "DSP-000003", "DSP-000002", "DSP-000004"}));
  q.descending = false;
  EXPECT_EQ(ids(idx.list(q)),
            (std::vector<std::string>{"DSP-000004", "DSP-000002", "DSP-000003", "DSP-000001", "DSP-000010"}));
  ASSERT_TRUE(parse_sort("claimAmount", q));
  EXPECT_EQ(ids(idx.list(q)),
            (std::vector<std::string>{"DSP-000004", "DSP-000001", "DSP-000003", "DSP-000010", "DSP-000002"}));
  ASSERT_TRUE(parse_sort("-claimAmount", q));
  EXPECT_EQ(ids(idx.list(q)),
            (std::vector<std::string>{"DSP-000002", "DSP-000010", "DSP-000003", "DSP-000001", "DSP-000004"}));
  ASSERT_TRUE(parse_sort("-updatedAt", q));
  EXPECT_EQ(ids(idx.list(q)),
            (std::vector<std::string>{"DSP-000004", "DSP-000010", "DSP-000001", "DSP-000003", "DSP-000002"}));
  ASSERT_TRUE(parse_sort("updatedAt", q));
  EXPECT_EQ(ids(idx.list(q)),
            (std::vector<std::string>{"DSP-000002", "DSP-000003", "DSP-000001", "DSP-000010", "DSP-000004"}));
}

TEST(dispute_index, pages_never_overlap) {
  dispute_index idx;
  for (int n = 1; n <= 23; ++n)
    idx.put(make(n, 1000 + (n % 4) * 10, n % 2 ? status::investigation : status::decision));
  for (bool desc : {true, false})
    for (bool filter : {false, true}) {
      list_query q;
      q.descending = desc;
      q.limit = 5;
      if (filter)
        q.statuses = {status::investigation};
      std::set<std::string> seen;
      std::size_t count = 0;
      std::size_t expected = filter ? 12u : 23u;
      for (q.page = 1; q.page <= 6; ++q.page) {
        auto p = idx.list(q);
        EXPECT_EQ(p.total, expected);
        for (auto& id : ids(p))
          seen.insert(id);
        count += p.items.size();
        if (q.page == 6) {
          EXPECT_TRUE(p.items.empty());
        }
      }
      EXPECT_EQ(count, expected);
      EXPECT_EQ(seen.size(), expected);
    }
}

TEST(dispute_index, metrics_hand_counted) {
  dispute_index idx;
  EXPECT_EQ(to_json(idx.compute(std::nullopt, std::nullopt)),
            "{\"byType\":{\"damaged-goods\":0,\"lost-shipment\":0,\"delayed-delivery\":0,\"quality-issue\":0},"
            "\"byStatus\":{\"investigation\":0,\"decision\":0,\"resolved\":0,\"closed\":0},"
            "\"avgResolutionMs\":null,\"refundTotal\":0}");
  idx.put(make(1, 1000, status::investigation, type::damaged_goods));
  idx.put(resolved(make(2, 2000, status::decision, type::lost_shipment), 3000, resolution::refund, 123'456));
  auto closed = resolved(make(3, 3000, status::decision, type::lost_shipment), 5000, resolution::refund, 44);
  closed.st = status::closed;
  idx.put(closed);
  idx.put(resolved(make(4, 4000, status::decision, type::quality_issue), 1000, resolution::replacement));
  auto decided = make(5, 5000, status::decision, type::delayed_delivery);
  decided.res = resolution::refund;
  decided.refund_paise = 10'000; // set in decision, not resolved: not in the total
  idx.put(decided);

  auto all = idx.compute(std::nullopt, std::nullopt);
  EXPECT_EQ(all.by_type, (std::array<std::uint64_t, 4>{1, 2, 1, 1}));
  EXPECT_EQ(all.by_status, (std::array<std::uint64_t, 4>{1, 1, 2, 1}));
  ASSERT_TRUE(all.avg_resolution_ms);
  EXPECT_DOUBLE_EQ(*all.avg_resolution_ms, 3000.0); // (3000 + 5000 + 1000) / 3
  EXPECT_EQ(all.refund_total_paise, 123'500);       // 1234.56 + 0.44
  EXPECT_EQ(to_json(all),
            "{\"byType\":{\"damaged-goods\":1,\"lost-shipment\":2,\"delayed-delivery\":1,\"quality-issue\":1},"
            "\"byStatus\":{\"investigation\":1,\"decision\":1,\"resolved\":2,\"closed\":1},"
            "\"avgResolutionMs\":3000,\"refundTotal\":1235}");

  // The same from a fold over all time.
  auto folded = idx.compute(millis{0}, std::nullopt);
  EXPECT_EQ(folded.by_type, all.by_type);
  EXPECT_EQ(folded.by_status, all.by_status);
  EXPECT_EQ(folded.avg_resolution_ms, all.avg_resolution_ms);
  EXPECT_EQ(folded.refund_total_paise, all.refund_total_paise);

  // Created within [2000, 3000]: disputes 2 and 3.
  auto some = idx.compute(millis{2000}, millis{3000});
  EXPECT_EQ(some.by_type, (std::array<std::uint64_t, 4>{0, 2, 0, 0}));
  EXPECT_EQ(some.by_status, (std::array<std::uint64_t, 4>{0, 0, 1, 1}));
  EXPECT_DOUBLE_EQ(*some.avg_resolution_ms, 4000.0);
  EXPECT_EQ(some.refund_total_paise, 123'500);
  // Only a bound at one end.
  auto late = idx.compute(millis{4000}, std::nullopt);
  EXPECT_EQ(late.by_type, (std::array<std::uint64_t, 4>{0, 0, 1, 1}));
  EXPECT_EQ(late.refund_total_paise, 0);
  EXPECT_DOUBLE_EQ(*late.avg_resolution_ms, 1000.0);
  auto early = idx.compute(std::nullopt, millis{1000});
  EXPECT_EQ(early.by_type, (std::array<std::uint64_t, 4>{1, 0, 0, 0}));
  EXPECT_FALSE(early.avg_resolution_ms);
  EXPECT_NE(to_json(early).find("\"avgResolutionMs\":null"), std::string::npos);

  // Replacing keeps the running sums exact: dispute 2 moves to closed, 5 gets resolved.
  auto two = resolved(make(2, 2000, status::decision, type::lost_shipment), 3000, resolution::refund, 123'456);
  two.st = status::closed;
  idx.put(two);
  idx.put(resolved(decided, 2000, resolution::refund, 10'000));
  all = idx.compute(std::nullopt, std::nullopt);
  EXPECT_EQ(all.by_status, (std::array<std::uint64_t, 4>{1, 0, 2, 2}));
  EXPECT_EQ(all.refund_total_paise, 133'500);
  EXPECT_DOUBLE_EQ(*all.avg_resolution_ms, 2750.0); // (3000 + 5000 + 1000 + 2000) / 4
  folded = idx.compute(millis{0}, millis{1'000'000});
  EXPECT_EQ(folded.by_status, all.by_status);
  EXPECT_EQ(folded.refund_total_paise, all.refund_total_paise);
  EXPECT_NE(to_json(all).find("\"refundTotal\":1335}"), std::string::npos) << to_json(all);
}

} // namespace
} // namespace crm::disputes

namespace crm::disputes {
namespace {

// An automatic dispute starts with claim 0: staff set the claim before a refund can be decided.
TEST(dispute_claim, the_claim_is_set_before_a_resolution_and_bounds_the_refund) {
  fixture f(100);
  tickets::ticket t;
  t.id = "TKT-000009";
  t.cat = tickets::category::logistics;
  f.d = {};
  f.log.clear();
  f.feed(decide_automatic(t, "DSP-000002", f.who));
  EXPECT_EQ(f.d.claim_paise, 0);
  update_cmd u;
  u.claim_paise = 0;
  auto r = f.put(u);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::invalid);
  u.claim_paise = 250'000;
  ASSERT_TRUE(f.put(u).ok());
  EXPECT_EQ(f.d.claim_paise, 250'000);
  EXPECT_EQ(f.d.timeline.back().type, "claim_set");
  ASSERT_TRUE(f.put_status("decision").ok());
  update_cmd both; // a new claim and a refund within it, in one request
  both.claim_paise = 300'000;
  both.resolution = "refund";
  both.refund_paise = 300'000;
  r = f.put(both);
  ASSERT_TRUE(r.ok()) << r.err().message;
  EXPECT_EQ(types_of(r.value()), (std::vector<std::string>{"dispute.claim_set", "dispute.decision_set"}));
  update_cmd lower; // below the refund set in decision
  lower.claim_paise = 100'000;
  r = f.put(lower);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::invalid);
  ASSERT_TRUE(f.resolve("refund", 300'000).ok());
  update_cmd late;
  late.claim_paise = 400'000;
  r = f.put(late);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::conflict);
  dispute replayed; // the claim is rebuilt from the log
  for (auto& e : f.log)
    ASSERT_TRUE(apply(replayed, e));
  EXPECT_EQ(replayed, f.d);
}

} // namespace
} // namespace crm::disputes
