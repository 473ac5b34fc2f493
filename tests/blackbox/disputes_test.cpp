// Disputes (CONTRACT section 8, docs/openapi.yaml paths /api/v1/disputes*) through the real
// binary: creation and validation, links to tickets, lists, the workflow by PUT and by
// /resolve, refund rules and the approval limit, metrics, stalled disputes, the shipment
// timeline, tenancy, roles, automatic disputes (also across SIGTERM and kill -9 restarts) and
// crm-audit replay/history of disputes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include "blackbox/fixture.hpp"

namespace crm::blackbox {
namespace {

using namespace std::chrono_literals;

const std::string disputes_path = "/api/v1/disputes";
const std::string tickets_path = "/api/v1/support/tickets";

std::int64_t int_of(simdjson::dom::element e, const char* k) {
  std::int64_t v = -1;
  if (e[k].get(v))
    return -1;
  return v;
}

/// A string field, "null" when it is JSON null, "<missing>" when absent or of another type.
std::string str_or_null(simdjson::dom::element e, const char* k) {
  auto f = e[k];
  if (f.error())
    return "<missing>";
  if (f.is_null())
    return "null";
  std::string_view v;
  if (f.get(v))
    return "<missing>";
  return std::string(v);
}

/// A number field in rupees; NaN when it is null, missing or not a number.
double money(simdjson::dom::element e, const char* k) {
  double v = 0;
  if (e[k].get(v))
    return std::nan("");
  return v;
}

/// The timeline of a GET answer: the entries' types, oldest first.
std::vector<std::string> timeline_types(const http_response& r) {
  std::vector<std::string> out;
  simdjson::dom::array t;
  if (r.json()["timeline"].get(t))
    return out;
  for (auto e : t)
    out.push_back(str_or_null(e, "type"));
  return out;
}

/// Whether the timeline has a status_changed entry from `from` to `to`.
bool has_status_change(const http_response& r, const std::string& from, const std::string& to) {
  simdjson::dom::array t;
  if (r.json()["timeline"].get(t))
    return false;
  for (auto e : t)
    if (str_or_null(e, "type") == "status_changed" && str_or_null(e, "from") == from && str_or_null(e, "to") == to)
      return true;
  return false;
}

std::map<std::string, std::int64_t> counts_of(simdjson::dom::element e, std::initializer_list<const char*> keys) {
  std::map<std::string, std::int64_t> out;
  for (auto k : keys)
    out[k] = int_of(e, k);
  return out;
}

std::map<std::string, std::int64_t> by_type(const http_response& m) {
  return counts_of(m.json()["byType"].value(), {"damaged-goods", "lost-shipment", "delayed-delivery", "quality-issue"});
}

std::map<std::string, std::int64_t> by_status(const http_response& m) {
  return counts_of(m.json()["byStatus"].value(), {"investigation", "decision", "resolved", "closed"});
}

class disputes : public server_suite {
protected:
  /// Opens a dispute and returns its id.
  std::string dispute(const std::string& key, const std::string& body = R"({"type":"damaged-goods","claimAmount":10000})") {
    auto r = as(key, "POST", disputes_path, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("disputeId");
  }
  std::string dispute_of(const std::string& key, const std::string& type, const std::string& claim) {
    return dispute(key, R"({"type":")" + type + R"(","claimAmount":)" + claim + "}");
  }
  http_response get(const std::string& key, const std::string& id) {
    auto r = as(key, "GET", disputes_path + "/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r;
  }
  int put(const std::string& key, const std::string& id, const std::string& body) {
    return as(key, "PUT", disputes_path + "/" + id, body).status;
  }
  int move(const std::string& key, const std::string& id, const std::string& status) {
    return put(key, id, R"({"status":")" + status + "\"}");
  }
  int resolve(const std::string& key, const std::string& id, const std::string& body) {
    return as(key, "POST", disputes_path + "/" + id + "/resolve", body).status;
  }
  std::string status_of(const std::string& key, const std::string& id) { return get(key, id).str("status"); }

  /// The ids of one list answer, in order.
  std::vector<std::string> ids(const std::string& key, const std::string& query) {
    std::vector<std::string> out;
    auto r = as(key, "GET", disputes_path + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    simdjson::dom::array items;
    if (!r.json()["disputes"].get(items))
      for (auto d : items)
        out.push_back(str_or_null(d, "disputeId"));
    return out;
  }
  std::int64_t total(const std::string& key, const std::string& query = {}) {
    auto r = as(key, "GET", disputes_path + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return int_of(r.json(), "total");
  }
};

// -- creation -------------------------------------------------------------------------------

TEST_F(disputes, create_answers_201_in_investigation_with_a_created_timeline_entry) {
  auto agent = key(company(), "agent");
  auto r = as(agent, "POST", disputes_path,
              R"({"type":"damaged-goods","claimAmount":1500.5,"relatedOrderId":"ORD-1","shipmentId":"SHP-1",)"
              R"("description":"box crushed"})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.str("disputeId");
  EXPECT_EQ(id.substr(0, 4), "DSP-");
  EXPECT_EQ(id.size(), 10u); // DSP-000001
  EXPECT_EQ(r.str("status"), "investigation");
  EXPECT_EQ(r.str("createdAt").size(), 24u);

  auto g = get(agent, id);
  EXPECT_EQ(g.str("disputeId"), id);
  EXPECT_EQ(g.str("companyId"), company());
  EXPECT_EQ(g.str("type"), "damaged-goods");
  EXPECT_EQ(g.str("relatedOrderId"), "ORD-1");
  EXPECT_EQ(g.str("shipmentId"), "SHP-1");
  EXPECT_EQ(g.str("description"), "box crushed");
  EXPECT_EQ(g.str("status"), "investigation");
  EXPECT_EQ(g.str("createdAt"), r.str("createdAt"));
  EXPECT_EQ(money(g.json(), "claimAmount"), 1500.5);
  EXPECT_TRUE(g.json()["resolution"].is_null());
  EXPECT_TRUE(g.json()["refundAmount"].is_null());
  EXPECT_TRUE(g.json()["resolvedAt"].is_null());
  EXPECT_TRUE(g.json()["relatedSupportTicketId"].is_null());
  bool automatic = true;
  EXPECT_FALSE(g.json()["automatic"].get(automatic));
  EXPECT_FALSE(automatic);
  simdjson::dom::array timeline;
  ASSERT_FALSE(g.json()["timeline"].get(timeline)) << g.body;
  ASSERT_EQ(timeline.size(), 1u) << g.body;
  EXPECT_EQ(str_or_null(timeline.at(0), "type"), "created");
  EXPECT_EQ(str_or_null(timeline.at(0), "at").size(), 24u);
  auto actor = str_or_null(timeline.at(0), "actor");
  EXPECT_TRUE(!actor.empty() && actor != "null" && actor != "<missing>") << g.body;
  EXPECT_EQ(as(agent, "GET", disputes_path + "/DSP-999999").status, 404);
}

TEST_F(disputes, an_invalid_body_is_422_naming_the_field) {
  auto agent = key(company(), "agent");
  auto foreign = ticket(key(company("b"), "agent"));
  const std::vector<std::pair<std::string, std::string>> cases = {
    {R"({"type":"damaged-goods"})", "claimAmount"},
    {R"({"type":"damaged-goods","claimAmount":null})", "claimAmount"},
    {R"({"type":"damaged-goods","claimAmount":0})", "claimAmount"},
    {R"({"type":"damaged-goods","claimAmount":-5})", "claimAmount"},
    {R"({"type":"damaged-goods","claimAmount":10.001})", "claimAmount"},
    {R"({"type":"damaged-goods","claimAmount":"100"})", "claimAmount"},
    {R"({"type":"stolen","claimAmount":100})", "type"},
    {R"({"claimAmount":100})", "type"},
    {R"({"type":"damaged-goods","claimAmount":100,"colour":"red"})", "colour"},
    {R"({"type":"damaged-goods","claimAmount":100,"relatedSupportTicketId":"TKT-999999"})", "relatedSupportTicketId"},
    {R"({"type":"damaged-goods","claimAmount":100,"relatedSupportTicketId":")" + foreign + "\"}", "relatedSupportTicketId"},
    {R"({"type":"damaged-goods","claimAmount":100,"shipmentId":"not an id!"})", "shipmentId"},
  };
  for (auto& [body, field] : cases) {
    auto r = as(agent, "POST", disputes_path, body);
    EXPECT_EQ(r.status, 422) << body << ": " << r.body;
    EXPECT_EQ(error_code(r), "validation_failed") << body;
    EXPECT_EQ(detail_fields(r), std::set<std::string>{field}) << body;
  }
  EXPECT_EQ(as(agent, "POST", disputes_path, R"({"type":)").status, 400);
  EXPECT_EQ(total(agent), 0);
  EXPECT_TRUE(as(key(company("b"), "agent"), "GET", tickets_path + "/" + foreign).json()["relatedDisputeId"].is_null());
}

TEST_F(disputes, a_dispute_from_a_ticket_links_both_ways_and_takes_its_shipment) {
  auto agent = key(company(), "agent");
  auto t = ticket(agent, R"({"category":"logistics","subject":"Parcel damaged","shipmentId":"SHP-9","relatedOrderId":"ORD-9"})");
  EXPECT_TRUE(as(agent, "GET", tickets_path + "/" + t).json()["relatedDisputeId"].is_null());
  auto id = dispute(agent, R"({"type":"damaged-goods","claimAmount":800,"relatedSupportTicketId":")" + t + "\"}");
  auto g = get(agent, id);
  EXPECT_EQ(g.str("relatedSupportTicketId"), t);
  EXPECT_EQ(g.str("shipmentId"), "SHP-9");
  EXPECT_EQ(g.str("relatedOrderId"), "ORD-9");
  auto tg = as(agent, "GET", tickets_path + "/" + t);
  ASSERT_EQ(tg.status, 200) << tg.body;
  EXPECT_EQ(tg.str("relatedDisputeId"), id);
  // The body's own shipment wins over the ticket's.
  auto t2 = ticket(agent, R"({"category":"logistics","subject":"Late","shipmentId":"SHP-10"})");
  auto id2 = dispute(agent, R"({"type":"delayed-delivery","claimAmount":50,"shipmentId":"SHP-11","relatedSupportTicketId":")" + t2 + "\"}");
  EXPECT_EQ(get(agent, id2).str("shipmentId"), "SHP-11");
  EXPECT_EQ(as(agent, "GET", tickets_path + "/" + t2).str("relatedDisputeId"), id2);
}

// -- lists ------------------------------------------------------------------------------------

class disputes_list : public disputes {
protected:
  /// d1 damaged-goods 300, d2 lost-shipment 100, d3 delayed-delivery 200 (in decision),
  /// d4 quality-issue 100.
  void SetUp() override {
    agent = key(company(), "agent");
    d1 = dispute_of(agent, "damaged-goods", "300");
    d2 = dispute_of(agent, "lost-shipment", "100");
    d3 = dispute_of(agent, "delayed-delivery", "200");
    d4 = dispute_of(agent, "quality-issue", "100");
    ASSERT_EQ(move(agent, d3, "decision"), 200);
  }
  std::string agent, d1, d2, d3, d4;
};

TEST_F(disputes_list, filters_select_by_status_and_type) {
  using v = std::vector<std::string>;
  EXPECT_EQ(ids(agent, ""), (v{d4, d3, d2, d1})); // -createdAt
  EXPECT_EQ(ids(agent, "?status=investigation"), (v{d4, d2, d1}));
  EXPECT_EQ(ids(agent, "?status=decision"), (v{d3}));
  EXPECT_EQ(ids(agent, "?status=investigation,decision"), (v{d4, d3, d2, d1}));
  EXPECT_EQ(ids(agent, "?status=resolved"), v{});
  EXPECT_EQ(ids(agent, "?type=lost-shipment"), (v{d2}));
  EXPECT_EQ(ids(agent, "?type=damaged-goods%2Cquality-issue"), (v{d4, d1}));
  EXPECT_EQ(ids(agent, "?type=damaged-goods&type=quality-issue"), (v{d4, d1}));
  EXPECT_EQ(ids(agent, "?status=investigation&type=damaged-goods,delayed-delivery"), (v{d1}));
  EXPECT_EQ(total(agent, "?status=investigation"), 3);
}

TEST_F(disputes_list, sort_by_claim_amount_breaks_ties_by_id) {
  using v = std::vector<std::string>;
  EXPECT_EQ(ids(agent, "?sortBy=claimAmount"), (v{d2, d4, d3, d1}));
  EXPECT_EQ(ids(agent, "?sortBy=-claimAmount"), (v{d1, d3, d4, d2}));
  EXPECT_EQ(ids(agent, "?sortBy=claimAmount&limit=3"), (v{d2, d4, d3}));
  EXPECT_EQ(ids(agent, "?sortBy=claimAmount&limit=3&page=2"), (v{d1}));
  auto r = as(agent, "GET", disputes_path + "?sortBy=claimAmount&limit=3");
  EXPECT_EQ(int_of(r.json(), "total"), 4);
  EXPECT_EQ(int_of(r.json(), "pages"), 2);
  // List items have no timeline.
  simdjson::dom::array items;
  ASSERT_FALSE(r.json()["disputes"].get(items)) << r.body;
  ASSERT_FALSE(items.size() == 0);
  EXPECT_TRUE(items.at(0)["timeline"].error()) << r.body;
}

TEST_F(disputes_list, bad_queries_are_rejected) {
  auto r = as(agent, "GET", disputes_path + "?colour=red");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_code(r), "bad_request");
  EXPECT_EQ(as(agent, "GET", disputes_path + "?status=open").status, 422);
  EXPECT_EQ(as(agent, "GET", disputes_path + "?type=stolen").status, 422);
  EXPECT_EQ(as(agent, "GET", disputes_path + "?sortBy=type").status, 422);
  EXPECT_EQ(as(agent, "GET", disputes_path + "?stalled=maybe").status, 400);
  EXPECT_EQ(as(agent, "GET", disputes_path + "?limit=0").status, 400);
  // With the default 48 h, nothing here is stalled.
  EXPECT_EQ(total(agent, "?stalled=true"), 0);
  EXPECT_EQ(total(agent, "?stalled=false"), 4);
}

// -- the workflow -----------------------------------------------------------------------------

TEST_F(disputes, put_moves_one_step_at_a_time) {
  auto agent = key(company(), "agent");
  auto id = dispute_of(agent, "damaged-goods", "1000");
  auto r = as(agent, "PUT", disputes_path + "/" + id, R"({"status":"resolved","resolution":"refund","refundAmount":100})");
  EXPECT_EQ(r.status, 409) << r.body; // investigation -> resolved skips decision
  EXPECT_EQ(error_code(r), "conflict");
  EXPECT_EQ(move(agent, id, "closed"), 409);
  EXPECT_EQ(status_of(agent, id), "investigation");

  r = as(agent, "PUT", disputes_path + "/" + id, R"({"status":"decision"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("disputeId"), id);
  EXPECT_NE(r.body.find(R"("updated":true)"), std::string::npos) << r.body;
  EXPECT_EQ(status_of(agent, id), "decision");
  EXPECT_EQ(move(agent, id, "investigation"), 409); // never back
  EXPECT_EQ(move(agent, id, "closed"), 409);        // decision -> closed skips resolved
  EXPECT_EQ(status_of(agent, id), "decision");

  ASSERT_EQ(put(agent, id, R"({"status":"resolved","resolution":"refund","refundAmount":400})"), 200);
  auto g = get(agent, id);
  EXPECT_EQ(g.str("status"), "resolved");
  EXPECT_EQ(g.str("resolution"), "refund");
  EXPECT_EQ(money(g.json(), "refundAmount"), 400.0);
  EXPECT_EQ(g.str("resolvedAt").size(), 24u);

  ASSERT_EQ(move(agent, id, "closed"), 200);
  g = get(agent, id);
  EXPECT_EQ(g.str("status"), "closed");
  auto types = timeline_types(g);
  ASSERT_FALSE(types.empty()) << g.body;
  EXPECT_EQ(types.front(), "created");
  EXPECT_TRUE(has_status_change(g, "investigation", "decision")) << g.body;
  EXPECT_TRUE(has_status_change(g, "resolved", "closed")) << g.body;
}

TEST_F(disputes, closed_is_final_and_the_body_is_validated_first) {
  auto agent = key(company(), "agent");
  auto id = dispute_of(agent, "quality-issue", "1000");
  ASSERT_EQ(move(agent, id, "decision"), 200);
  ASSERT_EQ(resolve(agent, id, R"({"resolution":"rejected"})"), 200);
  ASSERT_EQ(move(agent, id, "closed"), 200);
  for (auto& to : {"investigation", "decision", "resolved"})
    EXPECT_EQ(move(agent, id, to), 409) << to;
  auto r = as(agent, "PUT", disputes_path + "/" + id, R"({"status":"reopened"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"status"});
  // A refund above the claim is 422 on a closed dispute, not 409: validation first.
  r = as(agent, "PUT", disputes_path + "/" + id, R"({"status":"resolved","resolution":"refund","refundAmount":1000.01})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"refundAmount"});
  r = as(agent, "PUT", disputes_path + "/" + id, R"({"refundAmount":1000.01})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"refundAmount"});
  r = as(agent, "POST", disputes_path + "/" + id + "/resolve", R"({"resolution":"refund","refundAmount":1000.01})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(resolve(agent, id, R"({"resolution":"refund","refundAmount":10})"), 409);
  auto g = get(agent, id);
  EXPECT_EQ(g.str("status"), "closed");
  EXPECT_EQ(g.str("resolution"), "rejected");
  EXPECT_TRUE(g.json()["refundAmount"].is_null());
}

TEST_F(disputes, a_decision_is_set_in_decision_only_and_put_resolved_uses_it) {
  auto agent = key(company(), "agent");
  auto id = dispute_of(agent, "lost-shipment", "1000");
  EXPECT_EQ(put(agent, id, R"({"resolution":"replacement"})"), 409); // not in investigation
  ASSERT_EQ(move(agent, id, "decision"), 200);
  ASSERT_EQ(put(agent, id, R"({"resolution":"refund","refundAmount":250.75})"), 200);
  auto g = get(agent, id);
  EXPECT_EQ(g.str("status"), "decision");
  EXPECT_EQ(g.str("resolution"), "refund");
  EXPECT_EQ(money(g.json(), "refundAmount"), 250.75);
  auto types = timeline_types(g);
  EXPECT_TRUE(std::count(types.begin(), types.end(), "decision_set")) << g.body;
  ASSERT_EQ(move(agent, id, "resolved"), 200);
  g = get(agent, id);
  EXPECT_EQ(g.str("status"), "resolved");
  EXPECT_EQ(g.str("resolution"), "refund");
  EXPECT_EQ(money(g.json(), "refundAmount"), 250.75);
  EXPECT_FALSE(g.json()["resolvedAt"].is_null());
  EXPECT_EQ(put(agent, id, R"({"resolution":"rejected"})"), 409); // not in resolved either
}

TEST_F(disputes, notes_are_added_to_the_timeline) {
  auto agent = key(company(), "agent");
  auto id = dispute(agent);
  auto r = as(agent, "PUT", disputes_path + "/" + id, R"({"notes":"photos received from the customer"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto g = get(agent, id);
  EXPECT_EQ(g.str("status"), "investigation");
  simdjson::dom::array t;
  ASSERT_FALSE(g.json()["timeline"].get(t));
  ASSERT_EQ(t.size(), 2u) << g.body;
  EXPECT_EQ(str_or_null(t.at(1), "type"), "note_added");
  EXPECT_EQ(str_or_null(t.at(1), "note"), "photos received from the customer");
  EXPECT_EQ(put(agent, id, R"({"notes":""})"), 422);
  EXPECT_EQ(put(agent, id, R"({})"), 422);
  EXPECT_EQ(put(agent, "DSP-999999", R"({"notes":"x"})"), 404);
}

TEST_F(disputes, resolve_works_only_from_decision) {
  auto agent = key(company(), "agent");
  auto id = dispute_of(agent, "damaged-goods", "1000");
  auto r = as(agent, "POST", disputes_path + "/" + id + "/resolve", R"({"resolution":"rejected"})");
  EXPECT_EQ(r.status, 409) << r.body;
  // Validation before the workflow.
  EXPECT_EQ(resolve(agent, id, R"({"resolution":"refund","refundAmount":1000.01})"), 422);
  EXPECT_EQ(status_of(agent, id), "investigation");
  ASSERT_EQ(move(agent, id, "decision"), 200);
  r = as(agent, "POST", disputes_path + "/" + id + "/resolve", R"({})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"resolution"});
  r = as(agent, "POST", disputes_path + "/" + id + "/resolve", R"({"resolution":"voucher"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"resolution"});

  r = as(agent, "POST", disputes_path + "/" + id + "/resolve", R"({"resolution":"refund","refundAmount":999.99})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("disputeId"), id);
  EXPECT_EQ(r.str("status"), "resolved");
  EXPECT_EQ(r.str("resolvedAt").size(), 24u);
  auto g = get(agent, id);
  EXPECT_EQ(g.str("status"), "resolved");
  EXPECT_EQ(g.str("resolvedAt"), r.str("resolvedAt"));
  EXPECT_EQ(g.str("resolution"), "refund");
  EXPECT_EQ(money(g.json(), "refundAmount"), 999.99);
  auto types = timeline_types(g);
  EXPECT_TRUE(std::count(types.begin(), types.end(), "resolved")) << g.body;
  EXPECT_EQ(resolve(agent, "DSP-999999", R"({"resolution":"rejected"})"), 404);
}

TEST_F(disputes, resolving_twice_is_409) {
  auto agent = key(company(), "agent");
  auto id = dispute(agent);
  ASSERT_EQ(move(agent, id, "decision"), 200);
  ASSERT_EQ(resolve(agent, id, R"({"resolution":"replacement"})"), 200);
  auto first = get(agent, id);
  auto r = as(agent, "POST", disputes_path + "/" + id + "/resolve", R"({"resolution":"replacement"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(resolve(agent, id, R"({"resolution":"refund","refundAmount":10})"), 409);
  EXPECT_EQ(move(agent, id, "resolved"), 409);
  auto g = get(agent, id);
  EXPECT_EQ(g.str("resolution"), "replacement");
  EXPECT_EQ(g.str("resolvedAt"), first.str("resolvedAt"));
}

TEST_F(disputes, refund_rules_hold_on_resolve_and_on_put) {
  auto agent = key(company(), "agent");
  auto id = dispute_of(agent, "damaged-goods", "1000");
  ASSERT_EQ(move(agent, id, "decision"), 200);
  const std::vector<std::string> bad = {
    R"({"resolution":"refund","refundAmount":1000.01})", // above the claim
    R"({"resolution":"refund","refundAmount":0})",       // a refund needs an amount above 0
    R"({"resolution":"refund"})",
    R"({"resolution":"rejected","refundAmount":10})",    // an amount without a refund
    R"({"resolution":"replacement","refundAmount":10})",
    R"({"resolution":"refund","refundAmount":10.001})",  // at most two decimals
  };
  for (auto& body : bad) {
    auto r = as(agent, "POST", disputes_path + "/" + id + "/resolve", body);
    EXPECT_EQ(r.status, 422) << "resolve " << body << ": " << r.body;
    EXPECT_EQ(detail_fields(r), std::set<std::string>{"refundAmount"}) << body;
    auto with_status = R"({"status":"resolved",)" + body.substr(1);
    r = as(agent, "PUT", disputes_path + "/" + id, with_status);
    EXPECT_EQ(r.status, 422) << "PUT " << with_status << ": " << r.body;
    EXPECT_EQ(detail_fields(r), std::set<std::string>{"refundAmount"}) << with_status;
  }
  EXPECT_EQ(put(agent, id, R"({"refundAmount":1000.01})"), 422);
  auto g = get(agent, id);
  EXPECT_EQ(g.str("status"), "decision");
  EXPECT_TRUE(g.json()["refundAmount"].is_null());
  // The whole claim is allowed.
  ASSERT_EQ(resolve(agent, id, R"({"resolution":"refund","refundAmount":1000})"), 200);
  EXPECT_EQ(money(get(agent, id).json(), "refundAmount"), 1000.0);
}

// -- the approval limit (default 5000 rupees) -------------------------------------------------

TEST_F(disputes, an_agent_may_refund_exactly_the_limit) {
  auto agent = key(company(), "agent");
  auto id = dispute(agent); // claim 10000
  ASSERT_EQ(move(agent, id, "decision"), 200);
  auto r = as(agent, "POST", disputes_path + "/" + id + "/resolve", R"({"resolution":"refund","refundAmount":5000})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(money(get(agent, id).json(), "refundAmount"), 5000.0);
  auto by_put = dispute(agent);
  ASSERT_EQ(move(agent, by_put, "decision"), 200);
  EXPECT_EQ(put(agent, by_put, R"({"status":"resolved","resolution":"refund","refundAmount":5000})"), 200);
  // Without a refund the limit does not apply.
  auto replaced = dispute(agent);
  ASSERT_EQ(move(agent, replaced, "decision"), 200);
  EXPECT_EQ(resolve(agent, replaced, R"({"resolution":"replacement"})"), 200);
}

TEST_F(disputes, the_claim_may_change_before_a_resolution_and_bounds_the_refund) {
  auto agent = key(company(), "agent");
  auto id = dispute(agent); // claim 10000
  EXPECT_EQ(put(agent, id, R"({"claimAmount":0})"), 422);
  EXPECT_EQ(put(agent, id, R"({"claimAmount":2500.5})"), 200);
  auto r = get(agent, id);
  EXPECT_EQ(money(r.json(), "claimAmount"), 2500.5);
  EXPECT_EQ(timeline_types(r).back(), "claim_set");
  ASSERT_EQ(move(agent, id, "decision"), 200);
  EXPECT_EQ(resolve(agent, id, R"({"resolution":"refund","refundAmount":2600})"), 422); // above the claim
  EXPECT_EQ(put(agent, id, R"({"claimAmount":3000,"resolution":"refund","refundAmount":2600})"), 200);
  EXPECT_EQ(put(agent, id, R"({"claimAmount":2000})"), 422); // below the refund set in decision
  EXPECT_EQ(put(agent, id, R"({"status":"resolved"})"), 200);
  EXPECT_EQ(put(agent, id, R"({"claimAmount":4000})"), 409); // resolved: the claim is settled
  EXPECT_EQ(money(get(agent, id).json(), "refundAmount"), 2600.0);
}

TEST_F(disputes, an_agent_refund_above_the_limit_is_403_on_resolve_and_on_put) {
  auto agent = key(company(), "agent");
  auto manager = key(company(), "manager");
  auto a = dispute(agent);
  ASSERT_EQ(move(agent, a, "decision"), 200);
  auto r = as(agent, "POST", disputes_path + "/" + a + "/resolve", R"({"resolution":"refund","refundAmount":5000.01})");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(error_code(r), "forbidden");
  auto b = dispute(agent);
  ASSERT_EQ(move(agent, b, "decision"), 200);
  r = as(agent, "PUT", disputes_path + "/" + b, R"({"status":"resolved","resolution":"refund","refundAmount":5000.01})");
  EXPECT_EQ(r.status, 403) << r.body;
  // A refund a manager set in decision is still above the limit when the agent resolves.
  auto c = dispute(agent);
  ASSERT_EQ(move(agent, c, "decision"), 200);
  ASSERT_EQ(put(manager, c, R"({"resolution":"refund","refundAmount":6000})"), 200);
  EXPECT_EQ(move(agent, c, "resolved"), 403);
  for (auto& id : {a, b, c}) {
    auto g = get(agent, id);
    EXPECT_EQ(g.str("status"), "decision") << id;
    EXPECT_TRUE(g.json()["resolvedAt"].is_null()) << id;
  }
  // The workflow is consulted before the role: from investigation it is 409.
  auto d = dispute(agent);
  EXPECT_EQ(resolve(agent, d, R"({"resolution":"refund","refundAmount":6000})"), 409);
}

TEST_F(disputes, a_403_is_not_kept_for_the_idempotency_key_so_a_manager_may_retry_with_it) {
  // A 403 says who asked, not what was asked: the same request from a manager is not answered
  // with the agent's refusal.
  auto agent = key(company(), "agent");
  auto manager = key(company(), "manager");
  auto a = dispute(agent);
  ASSERT_EQ(move(agent, a, "decision"), 200);
  const std::string path = disputes_path + "/" + a + "/resolve";
  const std::string body = R"({"resolution":"refund","refundAmount":6000})";
  auto r = as(agent, "POST", path, body, {{"Idempotency-Key", "resolve-" + a}});
  EXPECT_EQ(r.status, 403) << r.body;
  r = as(manager, "POST", path, body, {{"Idempotency-Key", "resolve-" + a}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.count("idempotent-replayed"), 0u);
  EXPECT_EQ(r.str("status"), "resolved");
  // Kept from here on: the manager's answer is the one replayed, to anyone.
  auto again = as(agent, "POST", path, body, {{"Idempotency-Key", "resolve-" + a}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(again.body, r.body);
}

TEST_F(disputes, a_manager_or_an_admin_may_refund_above_the_limit) {
  auto agent = key(company(), "agent");
  auto manager = key(company(), "manager");
  auto admin = key(company(), "admin");
  auto a = dispute(agent);
  ASSERT_EQ(move(agent, a, "decision"), 200);
  auto r = as(manager, "POST", disputes_path + "/" + a + "/resolve", R"({"resolution":"refund","refundAmount":6000})");
  EXPECT_EQ(r.status, 200) << r.body;
  auto b = dispute(agent);
  ASSERT_EQ(move(agent, b, "decision"), 200);
  EXPECT_EQ(resolve(admin, b, R"({"resolution":"refund","refundAmount":6000})"), 200);
  auto c = dispute(agent);
  ASSERT_EQ(move(agent, c, "decision"), 200);
  EXPECT_EQ(put(manager, c, R"({"status":"resolved","resolution":"refund","refundAmount":6000})"), 200);
  auto d = dispute(agent);
  ASSERT_EQ(move(agent, d, "decision"), 200);
  EXPECT_EQ(put(admin, d, R"({"status":"resolved","resolution":"refund","refundAmount":6000})"), 200);
  for (auto& id : {a, b, c, d}) {
    auto g = get(agent, id);
    EXPECT_EQ(g.str("status"), "resolved") << id;
    EXPECT_EQ(money(g.json(), "refundAmount"), 6000.0) << id;
  }
}

// -- metrics ----------------------------------------------------------------------------------

TEST_F(disputes, metrics_count_by_type_and_status_and_sum_refunds_exactly) {
  auto agent = key(company(), "agent");
  auto viewer = key(company(), "viewer");
  auto d1 = dispute_of(agent, "damaged-goods", "2000");
  auto d2 = dispute_of(agent, "lost-shipment", "100");
  auto d3 = dispute_of(agent, "delayed-delivery", "50");
  dispute_of(agent, "damaged-goods", "10"); // stays in investigation
  auto d5 = dispute_of(agent, "quality-issue", "10");
  for (auto& id : {d1, d2, d3, d5})
    ASSERT_EQ(move(agent, id, "decision"), 200);
  auto before = as(viewer, "GET", disputes_path + "/metrics");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_TRUE(before.json()["avgResolutionMs"].is_null()) << before.body; // nothing resolved yet
  EXPECT_EQ(money(before.json(), "refundTotal"), 0.0);

  ASSERT_EQ(resolve(agent, d1, R"({"resolution":"refund","refundAmount":1234.56})"), 200);
  ASSERT_EQ(resolve(agent, d2, R"({"resolution":"refund","refundAmount":0.44})"), 200);
  ASSERT_EQ(resolve(agent, d3, R"({"resolution":"replacement"})"), 200);
  ASSERT_EQ(move(agent, d3, "closed"), 200);

  auto m = as(viewer, "GET", disputes_path + "/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(by_type(m), (std::map<std::string, std::int64_t>{
                          {"damaged-goods", 2}, {"lost-shipment", 1}, {"delayed-delivery", 1}, {"quality-issue", 1}}))
    << m.body;
  EXPECT_EQ(by_status(m), (std::map<std::string, std::int64_t>{
                            {"investigation", 1}, {"decision", 1}, {"resolved", 2}, {"closed", 1}}))
    << m.body;
  EXPECT_EQ(money(m.json(), "refundTotal"), 1235.0) << m.body; // exact: 123456 + 44 paise
  double avg = -1;
  ASSERT_FALSE(m.json()["avgResolutionMs"].get(avg)) << m.body;
  EXPECT_GE(avg, 0);

  // In another company, 0.1 + 0.2 rupees is 0.3 exactly (30 paise), not 0.30000000000000004.
  auto other = key(company("b"), "manager");
  for (auto amount : {"0.1", "0.2"}) {
    auto id = dispute_of(other, "lost-shipment", "1");
    ASSERT_EQ(move(other, id, "decision"), 200);
    ASSERT_EQ(resolve(other, id, std::string(R"({"resolution":"refund","refundAmount":)") + amount + "}"), 200);
  }
  auto mb = as(other, "GET", disputes_path + "/metrics");
  EXPECT_EQ(money(mb.json(), "refundTotal"), 0.3) << mb.body;
  EXPECT_EQ(by_type(mb)["damaged-goods"], 0);
  EXPECT_EQ(by_type(mb)["lost-shipment"], 2);
}

TEST_F(disputes, metrics_of_a_period_count_the_disputes_created_in_it) {
  auto agent = key(company(), "agent");
  auto id = dispute_of(agent, "lost-shipment", "100");
  ASSERT_EQ(move(agent, id, "decision"), 200);
  ASSERT_EQ(resolve(agent, id, R"({"resolution":"refund","refundAmount":12.34})"), 200);
  auto all = as(agent, "GET", disputes_path + "/metrics?from=2020-01-01T00:00:00.000Z&to=2099-01-01T00%3A00%3A00.000Z");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(by_type(all)["lost-shipment"], 1);
  EXPECT_EQ(by_status(all)["resolved"], 1);
  EXPECT_EQ(money(all.json(), "refundTotal"), 12.34);
  auto later = as(agent, "GET", disputes_path + "/metrics?from=2099-01-01T00:00:00.000Z");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(by_type(later), (std::map<std::string, std::int64_t>{
                              {"damaged-goods", 0}, {"lost-shipment", 0}, {"delayed-delivery", 0}, {"quality-issue", 0}}));
  EXPECT_EQ(by_status(later), (std::map<std::string, std::int64_t>{
                                {"investigation", 0}, {"decision", 0}, {"resolved", 0}, {"closed", 0}}));
  EXPECT_EQ(money(later.json(), "refundTotal"), 0.0);
  EXPECT_TRUE(later.json()["avgResolutionMs"].is_null());
  EXPECT_EQ(as(agent, "GET", disputes_path + "/metrics?from=yesterday").status, 400);
  EXPECT_EQ(as(agent, "GET", disputes_path + "/metrics?colour=red").status, 400);
}

// -- the shipment timeline --------------------------------------------------------------------

TEST_F(disputes, the_shipment_timeline_includes_the_disputes_events) {
  auto admin = key(company(), "admin");
  auto id = dispute(admin, R"({"type":"lost-shipment","claimAmount":500,"shipmentId":"SHP-D1"})");
  ASSERT_EQ(move(admin, id, "decision"), 200);
  auto r = as(key(company(), "viewer"), "GET", "/api/v1/shipments/SHP-D1/timeline");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::array events;
  ASSERT_FALSE(r.json()["events"].get(events)) << r.body;
  std::vector<std::string> types;
  std::set<std::string> entities;
  std::int64_t last = 0;
  for (auto e : events) {
    auto seq = int_of(e, "seq");
    EXPECT_GT(seq, last);
    last = seq;
    types.push_back(str_or_null(e, "type"));
    entities.insert(str_or_null(e, "entity"));
  }
  EXPECT_EQ(entities, std::set<std::string>{id}) << r.body;
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "dispute.created");
  EXPECT_TRUE(std::count(types.begin(), types.end(), "dispute.status_changed")) << r.body;

  // A dispute that takes its shipment from its ticket is on that shipment's timeline too.
  auto t = ticket(admin, R"({"category":"logistics","subject":"Where is it","shipmentId":"SHP-D2"})");
  auto id2 = dispute(admin, R"({"type":"delayed-delivery","claimAmount":50,"relatedSupportTicketId":")" + t + "\"}");
  auto r2 = as(admin, "GET", "/api/v1/shipments/SHP-D2/timeline");
  ASSERT_EQ(r2.status, 200) << r2.body;
  ASSERT_FALSE(r2.json()["events"].get(events)) << r2.body;
  bool dispute_created = false;
  std::set<std::string> entities2;
  for (auto e : events) {
    entities2.insert(str_or_null(e, "entity"));
    dispute_created |= str_or_null(e, "entity") == id2 && str_or_null(e, "type") == "dispute.created";
  }
  EXPECT_TRUE(dispute_created) << r2.body;
  EXPECT_TRUE(entities2.count(t)) << r2.body;
  // Another company sees nothing of it.
  EXPECT_EQ(as(key(company("b"), "admin"), "GET", "/api/v1/shipments/SHP-D1/timeline").body, R"({"events":[]})");
}

// -- tenancy and roles ------------------------------------------------------------------------

TEST_F(disputes, another_companys_dispute_is_404_and_not_listed) {
  auto admin = key(company(), "admin");
  auto id = dispute(admin);
  ASSERT_EQ(move(admin, id, "decision"), 200);
  auto stranger = key(company("b"), "admin");
  auto r = as(stranger, "GET", disputes_path + "/" + id);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(error_code(r), "not_found");
  EXPECT_EQ(put(stranger, id, R"({"notes":"x"})"), 404);
  EXPECT_EQ(move(stranger, id, "resolved"), 404);
  EXPECT_EQ(resolve(stranger, id, R"({"resolution":"rejected"})"), 404);
  EXPECT_EQ(total(stranger), 0);
  auto m = as(stranger, "GET", disputes_path + "/metrics");
  EXPECT_EQ(by_status(m)["decision"], 0) << m.body;
  auto g = get(admin, id);
  EXPECT_EQ(g.str("status"), "decision");
  EXPECT_EQ(timeline_types(g).size(), 2u) << g.body; // created, status_changed: no note from b
  EXPECT_EQ(platform("GET", disputes_path + "/" + id, {}, {{"X-Company-Id", company("b")}}).status, 404);
  EXPECT_EQ(platform("GET", disputes_path + "/" + id, {}, {{"X-Company-Id", company()}}).status, 200);
}

TEST_F(disputes, a_viewer_reads_but_may_not_write) {
  auto admin = key(company(), "admin");
  auto id = dispute(admin);
  auto viewer = key(company(), "viewer");
  auto r = as(viewer, "POST", disputes_path, R"({"type":"damaged-goods","claimAmount":100})");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(error_code(r), "forbidden");
  EXPECT_EQ(move(viewer, id, "decision"), 403);
  EXPECT_EQ(put(viewer, id, R"({"notes":"x"})"), 403);
  ASSERT_EQ(move(admin, id, "decision"), 200);
  EXPECT_EQ(resolve(viewer, id, R"({"resolution":"rejected"})"), 403);
  EXPECT_EQ(as(viewer, "GET", disputes_path + "/" + id).status, 200);
  EXPECT_EQ(as(viewer, "GET", disputes_path).status, 200);
  EXPECT_EQ(as(viewer, "GET", disputes_path + "/metrics").status, 200);
  EXPECT_EQ(status_of(admin, id), "decision");
  EXPECT_EQ(total(admin), 1);
  EXPECT_EQ(client_.request("GET", disputes_path).status, 401);
}

// -- servers with flags of their own ----------------------------------------------------------

struct node {
  testing::temp_dir dir;
  std::vector<std::string> args;
  std::unique_ptr<testing::server_process> s;
  explicit node(std::vector<std::string> a = {}) : args(std::move(a)) { start(); }
  std::string data() const { return (dir.path() / "data").string(); }
  void start() {
    s = std::make_unique<testing::server_process>(data(), args,
                                                  std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", platform_token}});
    EXPECT_TRUE(s->ready()) << s->log();
  }
  /// As the platform, for company acme.
  http_response call(const std::string& method, const std::string& target, const std::string& body = {}) {
    http_client c(s->port());
    return c.request(method, target, body, {{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}});
  }
  http_response call_as(const std::string& key, const std::string& method, const std::string& target,
                        const std::string& body = {}) {
    http_client c(s->port());
    return c.request(method, target, body, {{"Authorization", "Bearer " + key}});
  }
  std::string key(const std::string& role) {
    auto r = call("POST", "/api/v1/admin/api-keys", R"({"companyId":"acme","role":")" + role + R"(","name":"k"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("key");
  }
  std::string ticket(const std::string& body = R"({"category":"logistics","subject":"Where is my parcel"})") {
    auto r = call("POST", tickets_path, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("ticketId");
  }
  /// The ticket's relatedDisputeId, "" while it is null.
  std::string dispute_of(const std::string& ticket) {
    auto g = call("GET", tickets_path + "/" + ticket);
    EXPECT_EQ(g.status, 200) << g.body;
    auto v = str_or_null(g.json(), "relatedDisputeId");
    return v == "null" || v == "<missing>" ? "" : v;
  }
  /// Polls GET ticket every 100 ms until it names a dispute or `limit` passes.
  std::string await_dispute_of(const std::string& ticket, std::chrono::milliseconds limit = 5s) {
    auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto id = dispute_of(ticket);
      if (!id.empty() || std::chrono::steady_clock::now() >= until)
        return id;
      std::this_thread::sleep_for(100ms);
    }
  }
  /// Every dispute of acme: disputeId -> relatedSupportTicketId ("null" when none).
  std::map<std::string, std::string> all_disputes() {
    std::map<std::string, std::string> out;
    for (int page = 1; page < 100; ++page) {
      auto r = call("GET", disputes_path + "?limit=100&page=" + std::to_string(page));
      EXPECT_EQ(r.status, 200) << r.body;
      simdjson::dom::array items;
      if (r.json()["disputes"].get(items) || items.size() == 0)
        break;
      for (auto d : items)
        out[str_or_null(d, "disputeId")] = str_or_null(d, "relatedSupportTicketId");
    }
    return out;
  }
  /// How many disputes name the ticket.
  int disputes_for(const std::string& ticket) {
    int n = 0;
    for (auto& [id, t] : all_disputes())
      n += t == ticket;
    return n;
  }
  std::int64_t total(const std::string& query = {}) {
    auto r = call("GET", disputes_path + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return int_of(r.json(), "total");
  }
};

std::set<std::string> ids_in(const http_response& r) {
  std::set<std::string> out;
  simdjson::dom::array items;
  if (!r.json()["disputes"].get(items))
    for (auto d : items)
      out.insert(str_or_null(d, "disputeId"));
  return out;
}

TEST(disputes_flags, a_dispute_left_in_investigation_is_listed_as_stalled) {
  node n({"--dispute-stall-after", "1s"});
  auto left = n.call("POST", disputes_path, R"({"type":"damaged-goods","claimAmount":100})").str("disputeId");
  auto moved = n.call("POST", disputes_path, R"({"type":"lost-shipment","claimAmount":100})").str("disputeId");
  ASSERT_FALSE(left.empty());
  ASSERT_EQ(n.call("PUT", disputes_path + "/" + moved, R"({"status":"decision"})").status, 200);
  auto now = n.call("GET", disputes_path + "?stalled=true");
  ASSERT_EQ(now.status, 200) << now.body;
  EXPECT_EQ(ids_in(now), std::set<std::string>{}) << "not stalled at once";
  EXPECT_EQ(ids_in(n.call("GET", disputes_path + "?stalled=false")), (std::set<std::string>{left, moved}));
  std::this_thread::sleep_for(1500ms); // the flag is real time
  auto later = n.call("GET", disputes_path + "?stalled=true");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(ids_in(later), std::set<std::string>{left}) << later.body;
  EXPECT_EQ(int_of(later.json(), "total"), 1);
  EXPECT_EQ(ids_in(n.call("GET", disputes_path + "?stalled=false")), std::set<std::string>{moved});
  EXPECT_EQ(ids_in(n.call("GET", disputes_path + "?stalled=true&type=lost-shipment")), std::set<std::string>{});
  EXPECT_EQ(n.call("GET", disputes_path + "?stalled=maybe").status, 400);
  // Once it leaves investigation it is no longer stalled.
  ASSERT_EQ(n.call("PUT", disputes_path + "/" + left, R"({"status":"decision"})").status, 200);
  EXPECT_EQ(n.total("?stalled=true"), 0);
}

TEST(disputes_flags, the_refund_approval_limit_is_configurable) {
  node n({"--refund-approval-limit", "100"});
  auto agent = n.key("agent");
  auto open = [&] {
    auto id = n.call("POST", disputes_path, R"({"type":"damaged-goods","claimAmount":1000})").str("disputeId");
    EXPECT_EQ(n.call("PUT", disputes_path + "/" + id, R"({"status":"decision"})").status, 200);
    return id;
  };
  auto a = open();
  EXPECT_EQ(n.call_as(agent, "POST", disputes_path + "/" + a + "/resolve", R"({"resolution":"refund","refundAmount":100})").status, 200);
  auto b = open();
  EXPECT_EQ(n.call_as(agent, "POST", disputes_path + "/" + b + "/resolve", R"({"resolution":"refund","refundAmount":100.01})").status, 403);
  EXPECT_EQ(n.call_as(agent, "PUT", disputes_path + "/" + b, R"({"status":"resolved","resolution":"refund","refundAmount":100.01})").status, 403);
  EXPECT_EQ(n.call_as(n.key("manager"), "POST", disputes_path + "/" + b + "/resolve", R"({"resolution":"refund","refundAmount":100.01})").status, 200);
}

// -- automatic disputes -----------------------------------------------------------------------

TEST(disputes_auto, an_unresolved_ticket_gets_a_dispute_of_its_own_after_the_deadline) {
  node n({"--dispute-after", "1s"});
  auto created = std::chrono::steady_clock::now();
  auto t = n.ticket(R"({"category":"logistics","subject":"Where is my parcel","shipmentId":"SHP-A1","relatedOrderId":"ORD-A1"})");
  auto busy = n.ticket(R"({"category":"billing","subject":"Charged twice"})");
  ASSERT_EQ(n.call("PUT", tickets_path + "/" + busy, R"({"status":"in-progress"})").status, 200);
  auto id = n.await_dispute_of(t);
  auto took = std::chrono::steady_clock::now() - created;
  ASSERT_FALSE(id.empty()) << "no dispute within 5 s";
  EXPECT_LT(took, 2500ms); // the 1 s deadline, plus at most a second
  auto g = n.call("GET", disputes_path + "/" + id);
  ASSERT_EQ(g.status, 200) << g.body;
  bool automatic = false;
  EXPECT_FALSE(g.json()["automatic"].get(automatic));
  EXPECT_TRUE(automatic);
  EXPECT_EQ(g.str("relatedSupportTicketId"), t);
  EXPECT_EQ(g.str("status"), "investigation");
  EXPECT_EQ(money(g.json(), "claimAmount"), 0.0);
  EXPECT_EQ(g.str("type"), "delayed-delivery"); // a logistics ticket without other words
  auto types = timeline_types(g);
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "created");
  // An in-progress ticket is unresolved too.
  auto busy_id = n.await_dispute_of(busy, 2s);
  ASSERT_FALSE(busy_id.empty());
  EXPECT_EQ(n.call("GET", disputes_path + "/" + busy_id).str("type"), "quality-issue"); // not logistics
}

TEST(disputes_auto, a_ticket_resolved_or_closed_before_the_deadline_never_gets_one) {
  node n({"--dispute-after", "1s"});
  auto control = n.ticket(); // left open: proves the timer runs
  auto resolved = n.ticket();
  auto closed = n.ticket();
  ASSERT_EQ(n.call("PUT", tickets_path + "/" + resolved, R"({"status":"resolved"})").status, 200);
  ASSERT_EQ(n.call("PUT", tickets_path + "/" + closed, R"({"status":"closed"})").status, 200);
  std::this_thread::sleep_for(2500ms);
  EXPECT_FALSE(n.dispute_of(control).empty());
  EXPECT_EQ(n.dispute_of(resolved), "");
  EXPECT_EQ(n.dispute_of(closed), "");
  EXPECT_EQ(n.disputes_for(resolved), 0);
  EXPECT_EQ(n.disputes_for(closed), 0);
  EXPECT_EQ(n.total(), 1);
}

TEST(disputes_auto, a_ticket_gets_exactly_one_dispute) {
  node n({"--dispute-after", "1s"});
  auto t = n.ticket();
  auto id = n.await_dispute_of(t);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(n.total(), 1);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(n.total(), 1);
  EXPECT_EQ(n.dispute_of(t), id);
  EXPECT_EQ(n.disputes_for(t), 1);
  auto ev = n.call("GET", "/api/v1/audit/events?type=dispute.created");
  simdjson::dom::array events;
  ASSERT_FALSE(ev.json()["events"].get(events)) << ev.body;
  EXPECT_EQ(events.size(), 1u) << ev.body;
}

TEST(disputes_auto, a_deadline_passed_while_stopped_fires_once_at_start) {
  node n({"--dispute-after", "2s"});
  auto created = std::chrono::steady_clock::now();
  auto t = n.ticket();
  ASSERT_EQ(n.s->terminate(), 0) << n.s->log();
  ASSERT_LT(std::chrono::steady_clock::now() - created, 2s) << "stopped after the deadline: the test proves nothing";
  std::this_thread::sleep_until(created + 2500ms);
  n.start();
  auto started = std::chrono::steady_clock::now();
  auto id = n.await_dispute_of(t);
  ASSERT_FALSE(id.empty()) << "no dispute within 5 s of start";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(n.disputes_for(t), 1);
  EXPECT_EQ(n.total(), 1);
  bool automatic = false;
  EXPECT_FALSE(n.call("GET", disputes_path + "/" + id).json()["automatic"].get(automatic));
  EXPECT_TRUE(automatic);
}

TEST(disputes_auto, after_kill_9_every_unresolved_ticket_has_exactly_one_dispute) {
  node n({"--dispute-after", "1s"});
  auto t1 = n.ticket();
  auto t2 = n.ticket();
  ASSERT_FALSE(n.await_dispute_of(t1).empty());
  ASSERT_FALSE(n.await_dispute_of(t2).empty());
  // Deadlines not passed yet when the server dies.
  auto t3 = n.ticket();
  auto t4 = n.ticket();
  auto done = n.ticket();
  ASSERT_EQ(n.call("PUT", tickets_path + "/" + done, R"({"status":"resolved"})").status, 200);
  n.s->kill9();
  n.start();
  ASSERT_FALSE(n.await_dispute_of(t3).empty());
  ASSERT_FALSE(n.await_dispute_of(t4).empty());
  auto check = [&](const char* when) {
    auto all = n.all_disputes();
    for (auto& t : {t1, t2, t3, t4}) {
      int count = 0;
      std::string named;
      for (auto& [id, ticket] : all)
        if (ticket == t) {
          ++count;
          named = id;
        }
      EXPECT_EQ(count, 1) << when << ": " << t;
      EXPECT_EQ(n.dispute_of(t), named) << when << ": " << t;
    }
    EXPECT_EQ(n.dispute_of(done), "") << when;
    return all.size();
  };
  EXPECT_EQ(check("after the first restart"), 4u);
  // Once more, killed again: nothing fires twice. A new ticket's dispute, which comes a second
  // after start, is the sign that the timers due at start have had their turn.
  n.s->kill9();
  n.start();
  auto sentinel = n.ticket();
  ASSERT_FALSE(n.await_dispute_of(sentinel).empty());
  EXPECT_EQ(check("after the second restart"), 5u);
  EXPECT_EQ(n.disputes_for(sentinel), 1);
}

// -- the audit tool ---------------------------------------------------------------------------

/// The {type, entity} of each line crm-audit history prints for `entity`.
std::vector<std::pair<std::string, std::string>> history_of(const std::string& data, const std::string& entity) {
  std::string out;
  int rc = testing::run_command({testing::binary("crm-audit"), "history", "--data-dir", data, entity}, out);
  EXPECT_EQ(rc, 0) << out;
  std::vector<std::pair<std::string, std::string>> events;
  simdjson::dom::parser p;
  std::size_t at = 0;
  while (at < out.size()) {
    auto nl = out.find('\n', at);
    if (nl == std::string::npos)
      nl = out.size();
    std::string line = out.substr(at, nl - at);
    at = nl + 1;
    if (line.empty())
      continue;
    simdjson::dom::element e;
    if (p.parse(line).get(e)) {
      ADD_FAILURE() << "not JSON: " << line;
      continue;
    }
    events.emplace_back(str_or_null(e, "type"), str_or_null(e, "entity"));
  }
  return events;
}

std::string replay(const std::string& data) {
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "replay", "--data-dir", data}, out), 0) << out;
  return out;
}

/// Compares replay's "disputes" (`out`) with the API's GET of each.
void expect_replay_matches(node& n, const std::string& out, const std::vector<std::string>& ids) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_FALSE(p.parse(out).get(doc)) << out;
  simdjson::dom::array replayed;
  ASSERT_FALSE(doc["disputes"].get(replayed)) << out;
  std::set<std::string> seen;
  auto same_money = [](simdjson::dom::element a, simdjson::dom::element b, const char* k) {
    auto x = money(a, k), y = money(b, k);
    return (std::isnan(x) && std::isnan(y) && a[k].is_null() && b[k].is_null()) || x == y;
  };
  for (auto d : replayed) {
    auto id = str_or_null(d, "disputeId");
    seen.insert(id);
    auto g = n.call("GET", disputes_path + "/" + id);
    ASSERT_EQ(g.status, 200) << id << ": " << g.body;
    EXPECT_EQ(str_or_null(d, "status"), g.str("status")) << id;
    EXPECT_EQ(str_or_null(d, "resolution"), str_or_null(g.json(), "resolution")) << id;
    EXPECT_TRUE(same_money(d, g.json(), "refundAmount")) << id << ": " << simdjson::minify(d) << " vs " << g.body;
    EXPECT_TRUE(same_money(d, g.json(), "claimAmount")) << id;
    EXPECT_EQ(str_or_null(d, "relatedSupportTicketId"), str_or_null(g.json(), "relatedSupportTicketId")) << id;
    EXPECT_EQ(str_or_null(d, "resolvedAt"), str_or_null(g.json(), "resolvedAt")) << id;
  }
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));
}

TEST(disputes_audit, replay_rebuilds_the_disputes_the_api_serves_and_history_lists_their_events) {
  node n;
  auto t = n.ticket(R"({"category":"logistics","subject":"Parcel damaged","shipmentId":"SHP-1"})");
  auto create = [&](const std::string& body) {
    auto r = n.call("POST", disputes_path, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("disputeId");
  };
  auto d1 = create(R"({"type":"damaged-goods","claimAmount":2000,"relatedSupportTicketId":")" + t + "\"}");
  auto d2 = create(R"({"type":"lost-shipment","claimAmount":500})");
  auto d3 = create(R"({"type":"quality-issue","claimAmount":300.3})");
  auto d4 = create(R"({"type":"delayed-delivery","claimAmount":40})");
  auto ok = [&](const std::string& method, const std::string& target, const std::string& body) {
    auto r = n.call(method, target, body);
    EXPECT_EQ(r.status, 200) << method << " " << target << " " << body << ": " << r.body;
  };
  ok("PUT", disputes_path + "/" + d1, R"({"notes":"photos received"})");
  ok("PUT", disputes_path + "/" + d1, R"({"status":"decision"})");
  ok("PUT", disputes_path + "/" + d1, R"({"resolution":"refund","refundAmount":1500.25})");
  ok("PUT", disputes_path + "/" + d1, R"({"status":"resolved"})");
  ok("PUT", disputes_path + "/" + d1, R"({"status":"closed"})");
  ok("PUT", disputes_path + "/" + d2, R"({"status":"decision"})");
  ok("POST", disputes_path + "/" + d2 + "/resolve", R"({"resolution":"replacement"})");
  ok("PUT", disputes_path + "/" + d3, R"({"notes":"waiting for the courier"})");
  ok("PUT", disputes_path + "/" + d4, R"({"status":"decision"})");
  ok("POST", disputes_path + "/" + d4 + "/resolve", R"({"resolution":"refund","refundAmount":0.01})");
  const std::vector<std::string> ids = {d1, d2, d3, d4};

  expect_replay_matches(n, replay(n.data()), ids); // on the live server's data dir (read-only)

  auto h = history_of(n.data(), d1);
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.front().first, "dispute.created");
  std::set<std::string> types;
  for (auto& [type, entity] : h) {
    types.insert(type);
    EXPECT_EQ(entity, d1);
  }
  for (auto want : {"dispute.note_added", "dispute.status_changed", "dispute.decision_set", "dispute.resolved",
                    "dispute.refund_requested"})
    EXPECT_TRUE(types.count(want)) << want;
  auto h2 = history_of(n.data(), d2);
  ASSERT_FALSE(h2.empty());
  EXPECT_EQ(h2.front().first, "dispute.created");
  EXPECT_TRUE(std::any_of(h2.begin(), h2.end(), [](auto& e) { return e.first == "dispute.replacement_requested"; }));
  EXPECT_TRUE(std::any_of(h2.begin(), h2.end(), [](auto& e) { return e.first == "dispute.resolved"; }));
  EXPECT_FALSE(std::any_of(h2.begin(), h2.end(), [](auto& e) { return e.first == "dispute.refund_requested"; }));
  auto th = history_of(n.data(), t);
  EXPECT_TRUE(std::any_of(th.begin(), th.end(), [](auto& e) { return e.first == "ticket.linked"; }));

  // On the stopped server's data dir; the restarted server serves the same.
  std::map<std::string, std::string> live;
  for (auto& id : ids)
    live[id] = n.call("GET", disputes_path + "/" + id).body;
  ASSERT_EQ(n.s->terminate(), 0);
  auto stopped = replay(n.data());
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, out), 0) << out;
  n.start();
  expect_replay_matches(n, stopped, ids);
  for (auto& [id, body] : live)
    EXPECT_EQ(n.call("GET", disputes_path + "/" + id).body, body) << id;
}

} // namespace
} // namespace crm::blackbox
