// Call logs (CONTRACT section 6) and the call part of section 4 through the real binary: every
// row, the outcome workflow, callbacks, escalation, the timeline, roles and tenancy.
#include <algorithm>
#include <chrono>
#include <thread>

#include "blackbox/fixture.hpp"

namespace crm::blackbox {
namespace {

const std::string calls = "/api/v1/crm/call-logs";

class call_logs : public server_suite {
protected:
  /// Posts an NDR event with a call action; returns {ticketId, callLogId}.
  std::pair<std::string, std::string> ndr_call(const std::string& admin, const std::string& id,
                                               const std::string& shipment, const std::string& territory = "north") {
    auto r = as(admin, "POST", "/api/v1/ndr/events",
                R"({"ndrEventId":")" + id + R"(","shipmentId":")" + shipment + R"(","orderId":"ORD-1","attempt":2,)"
                R"("action":"call","territory":")" + territory + R"(","customer":{"name":"C","phone":"9876500000"}})");
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.str("ticketId"), r.str("callLogId")};
  }
  std::string ticket_for_shipment(const std::string& key, const std::string& shipment) {
    return ticket(key, R"({"category":"logistics","subject":"Where is it","shipmentId":")" + shipment + "\"}");
  }
  /// Waits (for message delivery, not a timer) until the call is assigned to `rep`.
  bool assigned(const std::string& key, const std::string& call, const std::string& rep) {
    for (int i = 0; i < 500; ++i) {
      if (as(key, "GET", calls + "/" + call).str("assignedTo") == rep)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }
};

TEST_F(call_logs, an_ndr_call_creates_a_call_log_that_the_dispatcher_assigns) {
  auto admin = key(company(), "admin");
  auto rep_id = rep(admin, "r@x.in", R"(,"territory":"north")");
  auto [ticket, call] = ndr_call(admin, "N-1", "SHP-1");
  ASSERT_EQ(call.substr(0, 5), "CALL-");
  auto again = as(admin, "POST", "/api/v1/ndr/events",
                  R"({"ndrEventId":"N-1","shipmentId":"SHP-1","attempt":2,"action":"call"})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.str("callLogId"), call);
  EXPECT_EQ(again.str("ticketId"), ticket);
  auto plain = as(admin, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N-2","attempt":1,"action":"rto"})");
  EXPECT_TRUE(plain.json()["callLogId"].is_null()) << plain.body;

  ASSERT_TRUE(assigned(admin, call, rep_id));
  auto g = as(admin, "GET", calls + "/" + call);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.str("id"), call);
  EXPECT_EQ(g.str("ndrEventId"), "N-1");
  EXPECT_EQ(g.str("shipmentId"), "SHP-1");
  EXPECT_EQ(g.str("orderId"), "ORD-1");
  EXPECT_EQ(g.str("status"), "pending");
  EXPECT_TRUE(g.json()["supportTicketId"].is_null());
  EXPECT_TRUE(g.json()["scheduledFor"].is_null());
  EXPECT_TRUE(g.json()["resolvedAt"].is_null());
  EXPECT_EQ(g.json()["attempts"].get_int64().value(), 0);
  EXPECT_FALSE(g.str("createdAt").empty());

  auto agent = key(company(), "agent", rep_id);
  auto mine = as(agent, "GET", calls + "?assignedTo=me");
  EXPECT_EQ(mine.json()["total"].get_int64().value(), 1) << mine.body;
  EXPECT_EQ(as(agent, "GET", calls + "?status=completed").json()["total"].get_int64().value(), 0);
  EXPECT_EQ(as(agent, "GET", calls + "?shipmentId=SHP-1").json()["total"].get_int64().value(), 1);
  EXPECT_EQ(as(agent, "GET", calls + "?shipmentId=SHP-9").json()["total"].get_int64().value(), 0);
  EXPECT_EQ(as(agent, "GET", calls + "?status=ringing").status, 422);
  EXPECT_EQ(as(agent, "GET", calls + "?colour=red").status, 400);
}

TEST_F(call_logs, a_call_a_rep_can_take_is_assigned_in_the_write_that_creates_it) {
  auto admin = key(company(), "admin");
  auto north = rep(admin, "n@x.in", R"(,"territory":"north")");
  auto south = rep(admin, "s@x.in", R"(,"territory":"south")");
  // Answered once written: the assignment is already there, no waiting.
  auto [t1, c1] = ndr_call(admin, "P-1", "SHP-P1", "south");
  EXPECT_EQ(as(admin, "GET", calls + "/" + c1).str("assignedTo"), south);
  auto [t2, c2] = ndr_call(admin, "P-2", "SHP-P2", "north");
  EXPECT_EQ(as(admin, "GET", calls + "/" + c2).str("assignedTo"), north);
  // Both reps have one open call: the next call of an unknown territory goes round-robin to the
  // one assigned least recently.
  auto [t3, c3] = ndr_call(admin, "P-3", "SHP-P3", "west");
  EXPECT_EQ(as(admin, "GET", calls + "/" + c3).str("assignedTo"), south);
  // The call's log: call.created, then call.assigned with nothing in between.
  auto ev = as(admin, "GET", "/api/v1/audit/events?entity=" + c1);
  ASSERT_EQ(ev.status, 200) << ev.body;
  simdjson::dom::array list;
  ASSERT_FALSE(ev.json()["events"].get(list)) << ev.body;
  std::vector<std::pair<std::string, std::int64_t>> seen;
  for (auto x : list)
    seen.emplace_back(std::string(x["type"].get_string().value()), x["seq"].get_int64().value());
  ASSERT_EQ(seen.size(), 2u) << ev.body;
  EXPECT_EQ(seen[0].first, "call.created");
  EXPECT_EQ(seen[1].first, "call.assigned");
  EXPECT_EQ(seen[1].second, seen[0].second + 1);

  // With no rep available the call waits, and is assigned the moment one is.
  for (auto& r : {north, south})
    ASSERT_EQ(as(admin, "PUT", "/api/v1/crm/sales-reps/" + r, R"({"availabilityStatus":"offline"})").status, 200);
  auto [t4, c4] = ndr_call(admin, "P-4", "SHP-P4", "north");
  EXPECT_TRUE(as(admin, "GET", calls + "/" + c4).json()["assignedTo"].is_null());
  ASSERT_EQ(as(admin, "PUT", "/api/v1/crm/sales-reps/" + north, R"({"availabilityStatus":"available"})").status, 200);
  EXPECT_TRUE(assigned(admin, c4, north));
}

TEST_F(call_logs, lists_page_and_sort) {
  auto admin = key(company(), "admin");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(ndr_call(admin, "N-" + std::to_string(i), "SHP-" + std::to_string(i)).second);
  auto ids_of = [&](const std::string& query) {
    std::vector<std::string> out;
    simdjson::dom::array items;
    auto r = as(admin, "GET", calls + query);
    EXPECT_EQ(r.status, 200) << r.body;
    if (!r.json()["callLogs"].get(items))
      for (auto c : items)
        out.emplace_back(c["id"].get_string().value());
    return out;
  };
  EXPECT_EQ(ids_of("?limit=2"), (std::vector<std::string>{ids[2], ids[1]})); // -createdAt
  EXPECT_EQ(ids_of("?limit=2&page=2"), std::vector<std::string>{ids[0]});
  EXPECT_EQ(ids_of("?sortBy=createdAt&limit=1"), std::vector<std::string>{ids[0]});
  EXPECT_EQ(ids_of("?limit=2&page=3"), std::vector<std::string>{});
  ASSERT_EQ(as(admin, "PUT", calls + "/" + ids[0], R"({"status":"in-progress"})").status, 200);
  EXPECT_EQ(ids_of("?sortBy=-updatedAt").size(), 3u); // the same millisecond may tie; order by id then
  EXPECT_EQ(ids_of("?status=in-progress"), std::vector<std::string>{ids[0]});
  auto page = as(admin, "GET", calls + "?limit=2");
  EXPECT_EQ(page.json()["total"].get_int64().value(), 3);
  EXPECT_EQ(page.json()["pages"].get_int64().value(), 2);
  EXPECT_EQ(as(admin, "GET", calls + "?sortBy=attempts").status, 422);
}

TEST_F(call_logs, lists_by_rep_and_by_shipment_page_and_count_their_own_calls) {
  auto admin = key(company(), "admin");
  auto a = rep(admin, "a@x.in", R"(,"territory":"a")");
  auto b = rep(admin, "b@x.in", R"(,"territory":"b")");
  std::vector<std::string> ids; // even: territory a, shipment SHP-S; odd: territory b
  for (int i = 0; i < 6; ++i)
    ids.push_back(ndr_call(admin, "L-" + std::to_string(i), i % 2 ? "SHP-O" + std::to_string(i) : "SHP-S",
                           i % 2 ? "b" : "a").second);
  auto list = [&](const std::string& query) {
    std::pair<std::vector<std::string>, std::int64_t> out;
    simdjson::dom::array items;
    auto r = as(admin, "GET", calls + query);
    EXPECT_EQ(r.status, 200) << r.body;
    if (!r.json()["callLogs"].get(items))
      for (auto c : items)
        out.first.emplace_back(c["id"].get_string().value());
    out.second = r.json()["total"].get_int64().value();
    return out;
  };
  using ids_total = std::pair<std::vector<std::string>, std::int64_t>;
  EXPECT_EQ(list("?assignedTo=" + a + "&limit=2"), (ids_total{{ids[4], ids[2]}, 3}));
  EXPECT_EQ(list("?assignedTo=" + a + "&limit=2&page=2"), (ids_total{{ids[0]}, 3}));
  EXPECT_EQ(list("?assignedTo=" + a + "&sortBy=createdAt&limit=1"), (ids_total{{ids[0]}, 3}));
  EXPECT_EQ(list("?assignedTo=" + a + "," + b + "&limit=3"), (ids_total{{ids[5], ids[4], ids[3]}, 6}));
  EXPECT_EQ(list("?shipmentId=SHP-S&limit=2"), (ids_total{{ids[4], ids[2]}, 3}));
  EXPECT_EQ(list("?shipmentId=SHP-S,SHP-O1"), (ids_total{{ids[4], ids[2], ids[1], ids[0]}, 4}));
  EXPECT_EQ(list("?shipmentId=SHP-S&assignedTo=" + b), (ids_total{{}, 0}));
  ASSERT_EQ(as(admin, "PUT", calls + "/" + ids[2], R"({"status":"in-progress"})").status, 200);
  EXPECT_EQ(list("?assignedTo=" + a + "&status=in-progress"), (ids_total{{ids[2]}, 1}));
  {
    // Newest change first, ties (the same millisecond: these requests can all fit in one) by the
    // id, newest first. The call just updated is first unless another shares its millisecond.
    auto r = as(admin, "GET", calls + "?assignedTo=" + a + "&sortBy=-updatedAt");
    ASSERT_EQ(r.status, 200) << r.body;
    std::vector<std::pair<std::string, std::string>> rows; // updatedAt, id
    simdjson::dom::array items;
    ASSERT_FALSE(r.json()["callLogs"].get(items)) << r.body;
    for (auto c : items)
      rows.emplace_back(std::string(c["updatedAt"].get_string().value()), std::string(c["id"].get_string().value()));
    ASSERT_EQ(rows.size(), 3u) << r.body;
    for (std::size_t i = 1; i < rows.size(); ++i)
      EXPECT_GT(rows[i - 1], rows[i]) << r.body; // ISO times and CALL-nnnnnn compare as text
    auto updated = std::find_if(rows.begin(), rows.end(), [&](auto& row) { return row.second == ids[2]; });
    ASSERT_NE(updated, rows.end());
    EXPECT_EQ(updated->first, rows.front().first) << r.body; // the newest updatedAt
  }
  EXPECT_EQ(list("?assignedTo=null"), (ids_total{{}, 0}));
  EXPECT_EQ(list("?assignedTo=REP-999999"), (ids_total{{}, 0}));
}

TEST_F(call_logs, outcomes_follow_the_workflow) {
  auto admin = key(company(), "admin");
  auto agent = key(company(), "agent");
  auto [ticket, call] = ndr_call(admin, "N-1", "SHP-1");
  const auto p = calls + "/" + call;
  EXPECT_EQ(as(agent, "PUT", p, R"({"status":"ringing"})").status, 422);
  auto r = as(agent, "PUT", p, R"({"status":"completed"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"resolution"});
  EXPECT_EQ(as(agent, "PUT", p, R"({"status":"pending"})").status, 409);
  r = as(agent, "PUT", p, R"({"ivrResponses":[{"answer":"yes"}]})");
  EXPECT_EQ(r.status, 422) << r.body;
  r = as(agent, "PUT", p, R"({"ivrResponses":[{"question":"q","answer":"a","extra":1}]})");
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"ivrResponses[0].extra"});
  EXPECT_EQ(as(agent, "PUT", p, R"({"ivrResponses":"yes"})").status, 422);
  r = as(agent, "PUT", p, R"({"status":"in-progress"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("id"), call);
  EXPECT_NE(r.body.find(R"("updated":true)"), std::string::npos);
  EXPECT_EQ(as(agent, "PUT", p, R"({"status":"in-progress"})").status, 409);
  r = as(agent, "PUT", p,
         R"({"status":"completed","resolution":"customer will collect","customerFeedback":"polite",)"
         R"("ivrResponses":[{"question":"Reattempt?","answer":"yes"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto g = as(agent, "GET", p);
  EXPECT_EQ(g.str("status"), "completed");
  EXPECT_EQ(g.str("resolution"), "customer will collect");
  EXPECT_EQ(g.str("customerFeedback"), "polite");
  EXPECT_EQ(g.json()["attempts"].get_int64().value(), 1);
  EXPECT_FALSE(g.str("resolvedAt").empty());
  simdjson::dom::array ivr;
  ASSERT_FALSE(g.json()["ivrResponses"].get(ivr));
  ASSERT_EQ(ivr.size(), 1u);
  EXPECT_EQ(as(agent, "PUT", p, R"({"status":"no-answer"})").status, 409);
  EXPECT_EQ(as(agent, "POST", p + "/callback", R"({"scheduledFor":"2099-01-01T00:00:00Z"})").status, 409);
  EXPECT_EQ(as(agent, "PUT", p, R"({"customerFeedback":"called back to thank"})").status, 200);
  EXPECT_EQ(as(agent, "PUT", calls + "/CALL-999999", R"({"status":"in-progress"})").status, 404);
}

TEST_F(call_logs, a_failed_attempt_schedules_a_callback_and_manual_callbacks_work) {
  auto admin = key(company(), "admin");
  auto [ticket, call] = ndr_call(admin, "N-1", "SHP-1");
  const auto p = calls + "/" + call;
  auto r = as(admin, "PUT", p, R"({"status":"no-answer"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto g = as(admin, "GET", p);
  EXPECT_EQ(g.str("status"), "no-answer");
  EXPECT_EQ(g.json()["attempts"].get_int64().value(), 1);
  EXPECT_FALSE(g.str("scheduledFor").empty()) << g.body; // 30 min (the default) from now
  EXPECT_GT(g.str("scheduledFor"), g.str("updatedAt"));
  EXPECT_EQ(as(admin, "PUT", p, R"({"status":"completed","resolution":"x"})").status, 409);

  EXPECT_EQ(as(admin, "POST", p + "/callback", R"({})").status, 422);
  EXPECT_EQ(as(admin, "POST", p + "/callback", R"({"scheduledFor":"tomorrow"})").status, 422);
  r = as(admin, "POST", p + "/callback", R"({"scheduledFor":"2020-01-01T00:00:00Z"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"scheduledFor"});
  r = as(admin, "POST", p + "/callback", R"({"scheduledFor":"2099-03-01T10:00:00Z"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("id"), call);
  EXPECT_EQ(r.str("scheduledFor"), "2099-03-01T10:00:00.000Z");
  EXPECT_EQ(as(admin, "GET", p).str("scheduledFor"), "2099-03-01T10:00:00.000Z");
  EXPECT_EQ(as(admin, "POST", calls + "/CALL-999999/callback", R"({"scheduledFor":"2099-03-01T10:00:00Z"})").status, 404);
}

TEST_F(call_logs, the_timeline_merges_the_shipments_events_oldest_first) {
  auto admin = key(company(), "admin");
  auto [ticket, call] = ndr_call(admin, "N-1", "SHP-7");
  ASSERT_EQ(as(admin, "POST", "/api/v1/support/tickets/" + ticket + "/notes", R"({"note":"called courier"})").status, 201);
  ASSERT_EQ(as(admin, "PUT", calls + "/" + call, R"({"status":"in-progress"})").status, 200);
  auto other = ticket_for_shipment(admin, "SHP-7");
  ndr_call(admin, "N-2", "SHP-8");
  auto t = as(key(company(), "viewer"), "GET", "/api/v1/shipments/SHP-7/timeline");
  ASSERT_EQ(t.status, 200) << t.body;
  simdjson::dom::array events;
  ASSERT_FALSE(t.json()["events"].get(events));
  std::vector<std::string> types;
  std::set<std::string> entities;
  std::int64_t last = 0;
  for (auto e : events) {
    std::int64_t seq = 0;
    std::string_view type, entity;
    ASSERT_FALSE(e["seq"].get(seq));
    ASSERT_FALSE(e["type"].get(type));
    ASSERT_FALSE(e["entity"].get(entity));
    EXPECT_GT(seq, last);
    last = seq;
    types.emplace_back(type);
    entities.emplace(entity);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ticket.created", "ndr.received", "call.created", "ticket.note_added", "call.started", "ticket.created"}))
    << t.body;
  EXPECT_EQ(entities, (std::set<std::string>{ticket, call, "N-1", other}));
  EXPECT_EQ(as(admin, "GET", "/api/v1/shipments/SHP-404/timeline").body, R"({"events":[]})");
  // Another company's key sees nothing of this shipment.
  EXPECT_EQ(as(key(company("b"), "admin"), "GET", "/api/v1/shipments/SHP-7/timeline").body, R"({"events":[]})");
}

TEST_F(call_logs, an_id_of_another_kind_is_404_on_every_path) {
  auto admin = key(company(), "admin");
  auto rep_id = rep(admin, "r@x.in");
  auto [ticket, call] = ndr_call(admin, "N-1", "SHP-1");
  for (auto& id : {rep_id, call}) {
    EXPECT_EQ(as(admin, "GET", "/api/v1/support/tickets/" + id).status, 404) << id;
    EXPECT_EQ(as(admin, "PUT", "/api/v1/support/tickets/" + id, R"({"priority":"high"})").status, 404) << id;
    EXPECT_EQ(as(admin, "POST", "/api/v1/support/tickets/" + id + "/notes", R"({"note":"x"})").status, 404) << id;
  }
  for (auto& id : {rep_id, ticket}) {
    EXPECT_EQ(as(admin, "GET", calls + "/" + id).status, 404) << id;
    EXPECT_EQ(as(admin, "PUT", calls + "/" + id, R"({"status":"in-progress"})").status, 404) << id;
    EXPECT_EQ(as(admin, "POST", calls + "/" + id + "/callback", R"({"scheduledFor":"2099-01-01T00:00:00Z"})").status, 404) << id;
  }
  for (auto& id : {ticket, call}) {
    EXPECT_EQ(as(admin, "GET", "/api/v1/crm/sales-reps/" + id).status, 404) << id;
    EXPECT_EQ(as(admin, "PUT", "/api/v1/crm/sales-reps/" + id, R"({"name":"x"})").status, 404) << id;
    EXPECT_EQ(as(admin, "DELETE", "/api/v1/crm/sales-reps/" + id).status, 404) << id;
    EXPECT_EQ(as(admin, "GET", "/api/v1/crm/sales-reps/" + id + "/performance").status, 404) << id;
  }
}

TEST_F(call_logs, roles_and_tenancy) {
  auto admin = key(company(), "admin");
  auto [ticket, call] = ndr_call(admin, "N-1", "SHP-1");
  auto viewer = key(company(), "viewer");
  auto manager = key(company(), "manager");
  EXPECT_EQ(as(viewer, "GET", calls + "/" + call).status, 200);
  EXPECT_EQ(as(viewer, "PUT", calls + "/" + call, R"({"status":"in-progress"})").status, 403);
  EXPECT_EQ(as(viewer, "POST", calls + "/" + call + "/callback", R"({"scheduledFor":"2099-01-01T00:00:00Z"})").status, 403);
  EXPECT_EQ(as(manager, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N-9","action":"call"})").status, 403);
  auto stranger = key(company("b"), "admin");
  EXPECT_EQ(as(stranger, "GET", calls + "/" + call).status, 404);
  EXPECT_EQ(as(stranger, "PUT", calls + "/" + call, R"({"status":"in-progress"})").status, 404);
  EXPECT_EQ(as(stranger, "POST", calls + "/" + call + "/callback", R"({"scheduledFor":"2099-01-01T00:00:00Z"})").status, 404);
  EXPECT_EQ(as(stranger, "GET", calls).json()["total"].get_int64().value(), 0);
}

TEST_F(call_logs, dispatcher_settings_turn_ticket_assignment_by_skill_on) {
  auto admin = key(company(), "admin");
  const std::string settings = "/api/v1/crm/dispatcher/settings";
  EXPECT_EQ(as(admin, "GET", settings).body, R"({"assignTickets":false})");
  EXPECT_EQ(as(key(company(), "viewer"), "PUT", settings, R"({"assignTickets":true})").status, 403);
  EXPECT_EQ(as(admin, "PUT", settings, R"({})").status, 422);
  EXPECT_EQ(as(admin, "PUT", settings, R"({"assignTickets":"yes"})").status, 422);
  auto biller = rep(admin, "b@x.in", R"(,"skills":["billing"])");
  auto before = ticket(admin); // billing, unassigned
  auto r = as(key(company(), "manager"), "PUT", settings, R"({"assignTickets":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"assignTickets":true})");
  auto after = ticket(admin);
  auto tech = ticket(admin, R"({"category":"technical","subject":"App crashes"})");
  bool both = false;
  for (int i = 0; i < 500 && !both; ++i) {
    both = as(admin, "GET", "/api/v1/support/tickets/" + before).str("assignedTo") == biller
           && as(admin, "GET", "/api/v1/support/tickets/" + after).str("assignedTo") == biller;
    if (!both)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(both);
  EXPECT_TRUE(as(admin, "GET", "/api/v1/support/tickets/" + tech).json()["assignedTo"].is_null()); // nobody has the skill
  EXPECT_EQ(as(admin, "GET", settings).body, R"({"assignTickets":true})");
  EXPECT_EQ(as(key(company("b"), "admin"), "GET", settings).body, R"({"assignTickets":false})");
}

// -- with flags of their own ------------------------------------------------------------------

struct own_server {
  testing::temp_dir dir;
  std::unique_ptr<testing::server_process> s;
  explicit own_server(std::vector<std::string> args) {
    s = std::make_unique<testing::server_process>((dir.path() / "data").string(), std::move(args),
                                                  std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", platform_token}});
    EXPECT_TRUE(s->ready()) << s->log();
  }
  http_response call(const std::string& method, const std::string& target, const std::string& body = {}) {
    testing::http_client c(s->port());
    return c.request(method, target, body, {{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}});
  }
};

TEST(call_logs_flags, the_last_failed_attempt_escalates_to_a_linked_ticket) {
  own_server n({"--callback-max-attempts", "1"});
  auto r = n.call("POST", "/api/v1/ndr/events", R"({"ndrEventId":"N-1","shipmentId":"SHP-1","action":"call"})");
  auto call = r.str("callLogId");
  ASSERT_EQ(n.call("PUT", calls + "/" + call, R"({"status":"disconnected"})").status, 200);
  auto g = n.call("GET", calls + "/" + call);
  auto escalated = g.str("supportTicketId");
  ASSERT_FALSE(escalated.empty()) << g.body;
  EXPECT_NE(escalated, r.str("ticketId"));
  EXPECT_TRUE(g.json()["scheduledFor"].is_null());
  auto t = n.call("GET", "/api/v1/support/tickets/" + escalated);
  ASSERT_EQ(t.status, 200);
  EXPECT_EQ(t.str("relatedCallLogId"), call);
  EXPECT_EQ(t.str("shipmentId"), "SHP-1");
  EXPECT_EQ(t.str("category"), "logistics");
  EXPECT_EQ(n.call("PUT", calls + "/" + call, R"({"status":"in-progress"})").status, 409);
}

TEST(call_logs_flags, a_callback_comes_due_within_a_second_and_is_assigned_again) {
  own_server n({"--callback-retry-delay", "1s"});
  auto rep = n.call("POST", "/api/v1/crm/sales-reps", R"({"name":"R","email":"r@x.in","phone":"9876543210"})").str("id");
  auto call = n.call("POST", "/api/v1/ndr/events", R"({"ndrEventId":"N-1","action":"call"})").str("callLogId");
  ASSERT_EQ(n.call("PUT", calls + "/" + call, R"({"status":"no-answer"})").status, 200);
  auto failed_at = std::chrono::steady_clock::now();
  std::string status;
  while (std::chrono::steady_clock::now() - failed_at < std::chrono::seconds(5)) {
    auto g = n.call("GET", calls + "/" + call);
    if (g.str("status") == "pending" && g.str("assignedTo") == rep)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto took = std::chrono::steady_clock::now() - failed_at;
  auto g = n.call("GET", calls + "/" + call);
  EXPECT_EQ(g.str("status"), "pending") << g.body;
  EXPECT_EQ(g.str("assignedTo"), rep);
  EXPECT_LT(took, std::chrono::milliseconds(2000)); // the 1 s delay, plus at most a second
}

} // namespace
} // namespace crm::blackbox
