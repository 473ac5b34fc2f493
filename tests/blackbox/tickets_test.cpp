// Black-box tests of CONTRACT sections 2 and 3 against the real binary.
#include "blackbox/fixture.hpp"

#include "domain/time_format.hpp"

namespace crm::blackbox {
namespace {

class tickets : public server_suite {};

std::int64_t json_int(const http_response& r, const char* k) {
  std::int64_t v = -1;
  if (r.json()[k].get(v))
    return -1;
  return v;
}

TEST_F(tickets, health_and_metrics_need_no_key) {
  auto h = client_.request("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, R"({"status":"ok"})");
  auto m = client_.request("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("crm_http_requests_total"), std::string::npos);
  EXPECT_NE(m.body.find("crm_journal_batch_events_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("crm_resident_ticket_actors"), std::string::npos);
  EXPECT_NE(m.body.find("crm_last_event_seq"), std::string::npos);
}

TEST_F(tickets, create_answers_201_with_the_ticket) {
  auto k = key(company(), "agent");
  auto r = as(k, "POST", "/api/v1/support/tickets",
              R"({"category":"logistics","subject":"Parcel stuck","description":"since Monday",)"
              R"("priority":"high","relatedOrderId":"ORD-1","shipmentId":"SHP-1",)"
              R"("customer":{"name":"Asha","email":"asha@example.in","phone":"+919876543210"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.str("ticketId");
  EXPECT_EQ(id.size(), 10u);
  EXPECT_EQ(id.substr(0, 4), "TKT-");
  EXPECT_EQ(r.str("status"), "open");
  EXPECT_EQ(r.str("priority"), "high");
  EXPECT_EQ(r.str("companyId"), company());
  EXPECT_TRUE(r.json()["assignedTo"].is_null());
  EXPECT_TRUE(r.json()["firstResponseAt"].is_null());
  EXPECT_EQ(r.str("shipmentId"), "SHP-1");
  auto created = parse_time(r.str("createdAt"));
  auto due = parse_time(r.str("slaDueAt"));
  ASSERT_TRUE(created && due);
  EXPECT_EQ(*due - *created, 24 * 3'600'000LL);
  EXPECT_EQ(r.str("createdAt").size(), 24u); // 2026-11-24T10:00:00.000Z
  bool breached = true;
  ASSERT_FALSE(r.json()["slaBreached"].get(breached));
  EXPECT_FALSE(breached);
  std::string_view email;
  ASSERT_FALSE(r.json()["customer"]["email"].get(email));
  EXPECT_EQ(email, "asha@example.in");
}

TEST_F(tickets, defaults_priority_medium) {
  auto k = key(company(), "admin");
  auto r = as(k, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"Hi"})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.str("priority"), "medium");
}

TEST_F(tickets, bad_bodies_get_clear_4xx) {
  auto k = key(company(), "admin");
  const std::string path = "/api/v1/support/tickets";
  auto r = as(k, "POST", path, R"({"subject":"no category"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"category"});
  r = as(k, "POST", path, R"({"category":"shipping","subject":"x","priority":"urgent"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"category", "priority"}));
  r = as(k, "POST", path, R"({"category":"other","subject":")" + std::string(201, 'x') + "\"}");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"subject"});
  r = as(k, "POST", path, R"({"category":"other","subject":"x","subjet":"typo"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"subjet"});
  r = as(k, "POST", path, R"({"category":"other","subject":42})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"subject"});
  r = as(k, "POST", path, R"({"category":"other","subject":"x","customer":{"email":"nope"}})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"customer.email"});
  r = as(k, "POST", path, R"({"category":"other",)");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "bad_request");
  r = as(k, "POST", path, R"(["not","an","object"])");
  EXPECT_EQ(r.status, 400);
  r = as(k, "POST", path, R"({"category":"other","subject":"x"})", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 415);
  r = as(k, "POST", path, "{\"category\":\"other\",\"subject\":\"" + std::string(1 << 20, 'x') + "\"}");
  EXPECT_EQ(r.status, 413);
  client_.close();
  // The error shape.
  r = as(k, "POST", path, R"({"subject":"no category"})");
  simdjson::dom::object err;
  ASSERT_FALSE(r.json()["error"].get(err));
  std::string_view s;
  EXPECT_FALSE(err["code"].get(s));
  EXPECT_FALSE(err["message"].get(s));
  EXPECT_FALSE(err["details"].get_array().error());
}

TEST_F(tickets, get_one_has_notes_and_unknown_ids_are_404) {
  auto k = key(company(), "agent");
  auto id = ticket(k);
  auto r = as(k, "GET", "/api/v1/support/tickets/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.str("ticketId"), id);
  EXPECT_FALSE(r.json()["notes"].get_array().error());
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets/TKT-999999").status, 404);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets/garbage").status, 404);
  EXPECT_EQ(as(k, "GET", "/api/v1/nothing/here").status, 404);
}

TEST_F(tickets, another_companys_ticket_is_404_for_every_call) {
  auto mine = key(company("a"), "admin");
  auto theirs = key(company("b"), "admin");
  auto id = ticket(mine);
  const std::string p = "/api/v1/support/tickets/" + id;
  EXPECT_EQ(as(theirs, "GET", p).status, 404);
  EXPECT_EQ(as(theirs, "PUT", p, R"({"status":"closed"})").status, 404);
  EXPECT_EQ(as(theirs, "POST", p + "/notes", R"({"note":"hi"})").status, 404);
  auto list = as(theirs, "GET", "/api/v1/support/tickets");
  EXPECT_EQ(json_int(list, "total"), 0);
  EXPECT_EQ(as(mine, "GET", p).str("status"), "open"); // untouched
  // The platform acts for the company it names.
  EXPECT_EQ(platform("GET", p, {}, {{"X-Company-Id", company("b")}}).status, 404);
  EXPECT_EQ(platform("GET", p, {}, {{"X-Company-Id", company("a")}}).status, 200);
}

TEST_F(tickets, status_workflow) {
  auto k = key(company(), "manager");
  auto id = ticket(k);
  const std::string p = "/api/v1/support/tickets/" + id;
  auto put = [&](const std::string& body) { return as(k, "PUT", p, body); };
  auto r = put(R"({"status":"in-progress"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"ticketId":")" + id + R"(","updated":true})");
  EXPECT_EQ(put(R"({"status":"open"})").status, 409);
  EXPECT_EQ(put(R"({"status":"finished"})").status, 422);
  ASSERT_EQ(put(R"({"status":"resolved"})").status, 200);
  auto g = as(k, "GET", p);
  EXPECT_FALSE(g.json()["resolvedAt"].is_null());
  EXPECT_FALSE(g.json()["firstResponseAt"].is_null());
  ASSERT_EQ(put(R"({"status":"in-progress"})").status, 200); // reopen
  ASSERT_EQ(put(R"({"status":"closed"})").status, 200);
  g = as(k, "GET", p);
  EXPECT_EQ(g.str("status"), "closed");
  EXPECT_FALSE(g.json()["closedAt"].is_null());
  EXPECT_EQ(put(R"({"status":"in-progress"})").status, 409);
  EXPECT_EQ(put(R"({"status":"resolved"})").status, 409);
  EXPECT_EQ(put(R"({"priority":"low"})").status, 409);
}

TEST_F(tickets, update_assigns_reprioritizes_and_adds_a_note) {
  auto k = key(company(), "agent");
  auto rep_id = rep(key(company(), "manager"), "asha@x.in");
  auto id = ticket(k);
  const std::string p = "/api/v1/support/tickets/" + id;
  auto r = as(k, "PUT", p, R"({"assignedTo":")" + rep_id + R"(","priority":"critical","notes":"called the courier"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto g = as(k, "GET", p);
  EXPECT_EQ(g.str("assignedTo"), rep_id);
  EXPECT_EQ(g.str("priority"), "critical");
  simdjson::dom::array notes;
  ASSERT_FALSE(g.json()["notes"].get(notes));
  ASSERT_EQ(notes.size(), 1u);
  std::string_view text, type;
  EXPECT_FALSE(notes.at(0)["note"].get(text));
  EXPECT_FALSE(notes.at(0)["type"].get(type));
  EXPECT_EQ(text, "called the courier");
  EXPECT_EQ(type, "internal");
  EXPECT_TRUE(g.json()["firstResponseAt"].is_null()); // an internal note is no response
  ASSERT_EQ(as(k, "PUT", p, R"({"assignedTo":null})").status, 200);
  EXPECT_TRUE(as(k, "GET", p).json()["assignedTo"].is_null());
  EXPECT_EQ(as(k, "PUT", p, R"({})").status, 422);
  // assignedTo must name an active rep of the company.
  auto bad = as(k, "PUT", p, R"({"assignedTo":"REP-999999"})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(detail_fields(bad), std::set<std::string>{"assignedTo"});
  auto other_rep = rep(key(company("b"), "manager"), "other@x.in");
  EXPECT_EQ(as(k, "PUT", p, R"({"assignedTo":")" + other_rep + R"("})").status, 422);
  EXPECT_EQ(as(key(company(), "manager"), "DELETE", "/api/v1/crm/sales-reps/" + rep_id).status, 200);
  EXPECT_EQ(as(k, "PUT", p, R"({"assignedTo":")" + rep_id + R"("})").status, 422);
  EXPECT_EQ(as(k, "PUT", p, R"({"priority":"urgent"})").status, 422);
  EXPECT_EQ(as(k, "PUT", p, R"({"subject":"cannot change"})").status, 422);
}

TEST_F(tickets, notes) {
  auto k = key(company(), "agent");
  auto id = ticket(k);
  const std::string p = "/api/v1/support/tickets/" + id;
  auto r = as(k, "POST", p + "/notes", R"({"note":"We are on it","type":"customer"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(r.str("noteId").empty());
  EXPECT_TRUE(parse_time(r.str("createdAt")));
  auto g = as(k, "GET", p);
  EXPECT_EQ(g.str("firstResponseAt"), r.str("createdAt"));
  EXPECT_EQ(as(k, "POST", p + "/notes", R"({"note":""})").status, 422);
  EXPECT_EQ(as(k, "POST", p + "/notes", R"({"note":"x","type":"public"})").status, 422);
  EXPECT_EQ(as(k, "POST", p + "/notes", R"({"type":"internal"})").status, 422);
}

TEST_F(tickets, list_pages_filters_sorts_and_searches) {
  auto k = key(company(), "admin");
  const char* prios[] = {"critical", "high", "medium", "low"};
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i)
    ids.push_back(ticket(k, std::string(R"({"category":")") + (i % 2 ? "billing" : "technical")
                              + R"(","priority":")" + prios[i % 4] + R"(","subject":"Issue )"
                              + std::to_string(i) + (i == 7 ? " refund pending" : "") + "\"}"));
  auto r = as(k, "GET", "/api/v1/support/tickets?limit=10&page=2");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_int(r, "total"), 25);
  EXPECT_EQ(json_int(r, "pages"), 3);
  EXPECT_EQ(json_int(r, "page"), 2);
  EXPECT_EQ(json_int(r, "limit"), 10);
  simdjson::dom::array items;
  ASSERT_FALSE(r.json()["tickets"].get(items));
  ASSERT_EQ(items.size(), 10u);
  std::string_view first;
  ASSERT_FALSE(items.at(0)["ticketId"].get(first));
  EXPECT_EQ(first, ids[14]); // newest first: page 2 starts at the 11th newest

  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto pr = as(k, "GET", "/api/v1/support/tickets?limit=10&sortBy=priority&page=" + std::to_string(page));
    ASSERT_FALSE(pr.json()["tickets"].get(items));
    for (auto t : items) {
      std::string_view id;
      ASSERT_FALSE(t["ticketId"].get(id));
      EXPECT_TRUE(seen.emplace(id).second) << "page overlap at " << id;
    }
  }
  EXPECT_EQ(seen.size(), 25u);

  r = as(k, "GET", "/api/v1/support/tickets?priority=critical,high&category=billing");
  EXPECT_EQ(json_int(r, "total"), 6); // odd i with i%4 in {1}: 1,5,9,13,17,21 are high
  r = as(k, "GET", "/api/v1/support/tickets?status=open&sortBy=-priority&limit=1");
  ASSERT_FALSE(r.json()["tickets"].get(items));
  std::string_view p;
  ASSERT_FALSE(items.at(0)["priority"].get(p));
  EXPECT_EQ(p, "critical");
  r = as(k, "GET", "/api/v1/support/tickets?q=REFUND");
  EXPECT_EQ(json_int(r, "total"), 1);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets?status=done").status, 422);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets?colour=red").status, 400);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets?limit=101").status, 400);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets?limit=0").status, 400);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets?page=abc").status, 400);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets?sortBy=subject").status, 422);
}

TEST_F(tickets, metrics) {
  auto k = key(company(), "admin");
  auto a = ticket(k, R"({"category":"billing","priority":"high","subject":"a"})");
  ticket(k, R"({"category":"technical","priority":"low","subject":"b"})");
  ASSERT_EQ(as(k, "PUT", "/api/v1/support/tickets/" + a, R"({"status":"resolved"})").status, 200);
  auto r = as(k, "GET", "/api/v1/support/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json_int(r, "created"), 2);
  EXPECT_EQ(json_int(r, "resolved"), 1);
  EXPECT_EQ(json_int(r, "resolvedWithinSla"), 1);
  EXPECT_EQ(json_int(r, "breached"), 0);
  double compliance = 0;
  EXPECT_FALSE(r.json()["slaCompliance"].get(compliance));
  EXPECT_DOUBLE_EQ(compliance, 1.0);
  std::int64_t high = 0, billing = 0;
  EXPECT_FALSE(r.json()["byPriority"]["high"].get(high));
  EXPECT_FALSE(r.json()["byCategory"]["billing"].get(billing));
  EXPECT_EQ(high, 1);
  EXPECT_EQ(billing, 1);
  r = as(k, "GET", "/api/v1/support/metrics?from=2000-01-01T00:00:00.000Z&to=2000-01-02T00:00:00.000Z");
  EXPECT_EQ(json_int(r, "created"), 0);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/metrics?from=yesterday").status, 400);
}

TEST_F(tickets, roles) {
  auto c = company();
  auto viewer = key(c, "viewer");
  auto agent = key(c, "agent");
  auto id = ticket(agent);
  EXPECT_EQ(as(viewer, "GET", "/api/v1/support/tickets/" + id).status, 200);
  EXPECT_EQ(as(viewer, "GET", "/api/v1/support/tickets").status, 200);
  EXPECT_EQ(as(viewer, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"x"})").status, 403);
  EXPECT_EQ(as(viewer, "PUT", "/api/v1/support/tickets/" + id, R"({"status":"closed"})").status, 403);
  EXPECT_EQ(as(viewer, "POST", "/api/v1/support/tickets/" + id + "/notes", R"({"note":"x"})").status, 403);
  EXPECT_EQ(as(agent, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N1"})").status, 403);
  EXPECT_EQ(as(agent, "GET", "/api/v1/audit/events").status, 403);
  EXPECT_EQ(as(key(c, "manager"), "GET", "/api/v1/audit/events").status, 403);
  EXPECT_EQ(as(key(c, "admin"), "GET", "/api/v1/audit/events").status, 200);
  EXPECT_EQ(as(agent, "GET", "/api/v1/admin/api-keys?companyId=" + c).status, 403);
  EXPECT_EQ(as(key(c, "admin"), "POST", "/api/v1/admin/api-keys", R"({"companyId":"x","role":"admin","name":"n"})").status, 403);
}

TEST_F(tickets, auth_errors) {
  auto r = client_.request("GET", "/api/v1/support/tickets");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthorized");
  EXPECT_EQ(as("crm_not_a_key", "GET", "/api/v1/support/tickets").status, 401);
  EXPECT_EQ(client_.request("GET", "/api/v1/support/tickets", {}, {{"Authorization", "Basic abc"}}).status, 401);
  EXPECT_EQ(platform("GET", "/api/v1/support/tickets").status, 400); // no X-Company-Id
}

TEST_F(tickets, idempotency_key_replays_the_first_answer) {
  auto k = key(company(), "agent");
  const std::string body = R"({"category":"other","subject":"once only"})";
  auto a = as(k, "POST", "/api/v1/support/tickets", body, {{"Idempotency-Key", "abc-1"}});
  auto b = as(k, "POST", "/api/v1/support/tickets", body, {{"Idempotency-Key", "abc-1"}});
  ASSERT_EQ(a.status, 201);
  EXPECT_EQ(b.status, 201);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(json_int(as(k, "GET", "/api/v1/support/tickets"), "total"), 1);
  auto c = as(k, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"other"})",
              {{"Idempotency-Key", "abc-1"}});
  EXPECT_EQ(c.status, 409);
  // Keys are per company.
  auto k2 = key(company("b"), "agent");
  EXPECT_EQ(as(k2, "POST", "/api/v1/support/tickets", body, {{"Idempotency-Key", "abc-1"}}).status, 201);
}

TEST_F(tickets, ndr_events_open_logistics_tickets_once) {
  auto k = key(company(), "admin");
  const std::string body =
    R"({"ndrEventId":"NDR-1","shipmentId":"SHP-9","orderId":"ORD-9","awb":"AWB9","courier":"Delhivery",)"
    R"("reason":"Customer not available","attempt":3,"paymentMode":"cod","codAmount":2500.50,)"
    R"("customer":{"name":"Ravi","phone":"9876543210"}})";
  auto r = as(k, "POST", "/api/v1/ndr/events", body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.str("ndrEventId"), "NDR-1");
  auto tid = r.str("ticketId");
  EXPECT_TRUE(r.json()["callLogId"].is_null());
  auto again = as(k, "POST", "/api/v1/ndr/events", body);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.str("ticketId"), tid);
  EXPECT_EQ(json_int(as(k, "GET", "/api/v1/support/tickets"), "total"), 1);
  auto t = as(k, "GET", "/api/v1/support/tickets/" + tid);
  EXPECT_EQ(t.str("category"), "logistics");
  EXPECT_EQ(t.str("relatedNDREventId"), "NDR-1");
  EXPECT_EQ(t.str("relatedOrderId"), "ORD-9");
  EXPECT_EQ(t.str("shipmentId"), "SHP-9");
  EXPECT_EQ(t.str("priority"), "critical"); // attempt 3 and COD 2,500
  auto low = as(k, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"NDR-2","attempt":1,"paymentMode":"prepaid"})");
  ASSERT_EQ(low.status, 201);
  EXPECT_EQ(as(k, "GET", "/api/v1/support/tickets/" + low.str("ticketId")).str("priority"), "low");
  EXPECT_EQ(as(k, "POST", "/api/v1/ndr/events", R"({"attempt":1})").status, 422);
  EXPECT_EQ(as(k, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N3","attempt":0})").status, 422);
  EXPECT_EQ(as(k, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N3","codAmount":1.234})").status, 422);
  EXPECT_EQ(as(k, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N3","action":"teleport"})").status, 422);
  // Unique per company: another company may use the same id.
  auto other = key(company("b"), "admin");
  EXPECT_EQ(as(other, "POST", "/api/v1/ndr/events", body).status, 201);
}

TEST_F(tickets, audit_events_are_the_companys_in_seq_order) {
  auto k = key(company(), "admin");
  auto other = key(company("b"), "admin");
  auto id = ticket(k);
  ticket(other);
  ASSERT_EQ(as(k, "PUT", "/api/v1/support/tickets/" + id, R"({"status":"in-progress"})").status, 200);
  auto r = as(k, "GET", "/api/v1/audit/events?entity=" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::array events;
  ASSERT_FALSE(r.json()["events"].get(events));
  ASSERT_EQ(events.size(), 2u);
  std::string_view type, company_id, prev, hash, actor;
  std::uint64_t s1 = 0, s2 = 0;
  EXPECT_FALSE(events.at(0)["type"].get(type));
  EXPECT_EQ(type, "ticket.created");
  EXPECT_FALSE(events.at(1)["type"].get(type));
  EXPECT_EQ(type, "ticket.status_changed");
  EXPECT_FALSE(events.at(0)["seq"].get(s1));
  EXPECT_FALSE(events.at(1)["seq"].get(s2));
  EXPECT_LT(s1, s2);
  EXPECT_FALSE(events.at(0)["companyId"].get(company_id));
  EXPECT_EQ(company_id, company());
  EXPECT_FALSE(events.at(0)["prevHash"].get(prev));
  EXPECT_FALSE(events.at(0)["hash"].get(hash));
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_FALSE(events.at(0)["actor"].get(actor));
  EXPECT_EQ(actor.substr(0, 4), "KEY-");
  auto all = as(k, "GET", "/api/v1/audit/events?limit=1");
  ASSERT_FALSE(all.json()["events"].get(events));
  ASSERT_EQ(events.size(), 1u);
  std::uint64_t next = 0;
  ASSERT_FALSE(all.json()["nextAfter"].get(next));
  auto page2 = as(k, "GET", "/api/v1/audit/events?after=" + std::to_string(next));
  ASSERT_FALSE(page2.json()["events"].get(events));
  for (auto e : events) {
    std::string_view c;
    EXPECT_FALSE(e["companyId"].get(c));
    EXPECT_EQ(c, company());
  }
  auto typed = as(k, "GET", "/api/v1/audit/events?type=ticket.status_changed");
  ASSERT_FALSE(typed.json()["events"].get(events));
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(as(k, "GET", "/api/v1/audit/events?after=-1").status, 400);
  EXPECT_EQ(as(k, "GET", "/api/v1/audit/events?limit=5000").status, 400);
}

TEST_F(tickets, pipelined_requests_are_answered_in_order) {
  auto k = key(company(), "agent");
  auto id = ticket(k);
  std::string req;
  for (int i = 0; i < 5; ++i)
    req += "GET /api/v1/support/tickets/" + (i == 2 ? std::string("TKT-999999") : id)
           + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + k + "\r\n\r\n";
  http_client raw(port());
  auto first = raw.raw(req);
  EXPECT_EQ(first.status, 200);
  // The rest are already on the wire; read them with plain GETs' worth of parsing.
  auto second = raw.raw("");
  auto third = raw.raw("");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(third.status, 404);
}

TEST_F(tickets, garbage_on_the_wire_gets_400_and_the_server_lives) {
  http_client raw(port());
  auto r = raw.raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_TRUE(r.status == 400 || r.status == 0);
  EXPECT_EQ(client_.request("GET", "/healthz").status, 200);
}

} // namespace
} // namespace crm::blackbox
