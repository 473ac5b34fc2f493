// Leads (CONTRACT section 7, docs/openapi.yaml paths /api/v1/crm/leads*) through the real
// binary: creation and validation, distribution by territory, duplicates, leads from tickets,
// lists with their funnel, the status funnel, scores, conversion, the funnel report, rep
// performance, tenancy, roles, and crm-audit replay/history of leads.
#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "blackbox/fixture.hpp"

namespace crm::blackbox {
namespace {

const std::string leads_path = "/api/v1/crm/leads";
const std::string reps_path = "/api/v1/crm/sales-reps";
const std::string tickets_path = "/api/v1/support/tickets";

/// An integer field; -1 when it is missing or not an integer.
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

/// The six status counts of a LeadStageCounts object, keyed by status.
std::map<std::string, std::int64_t> stage_counts(simdjson::dom::element e) {
  std::map<std::string, std::int64_t> out;
  for (auto s : {"prospect", "qualified", "proposal", "negotiation", "won", "lost"})
    out[s] = int_of(e, s);
  return out;
}

std::map<std::string, std::int64_t> counts(std::int64_t prospect, std::int64_t qualified, std::int64_t proposal,
                                           std::int64_t negotiation, std::int64_t won, std::int64_t lost) {
  return {{"prospect", prospect}, {"qualified", qualified}, {"proposal", proposal},
          {"negotiation", negotiation}, {"won", won}, {"lost", lost}};
}

/// One page of GET /leads.
struct lead_page {
  int status = 0;
  std::vector<std::string> ids;
  std::vector<std::int64_t> scores;
  std::int64_t total = -1, pages = -1;
  std::map<std::string, std::int64_t> funnel;
  std::string body;
};

class leads : public server_suite {
protected:
  /// A phone no other lead of this test has (ten digits).
  std::string phone() { return std::to_string(9100000000LL + ++phones_); }

  /// Creates a lead with a phone of its own; `extra` adds JSON fields (`,"territory":"north"`).
  std::string lead(const std::string& key, const std::string& extra = {}, const std::string& source = "referral") {
    auto r = as(key, "POST", leads_path,
                R"({"name":"Vikram Shah","source":")" + source + R"(","phone":")" + phone() + "\"" + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("id");
  }

  http_response get(const std::string& key, const std::string& id) {
    auto r = as(key, "GET", leads_path + "/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r;
  }

  /// The lead's assignedTo: a rep id or "null".
  std::string assignee(const std::string& key, const std::string& id) {
    auto g = get(key, id);
    return str_or_null(g.json(), "assignedTo");
  }

  std::string status_of(const std::string& key, const std::string& id) { return get(key, id).str("status"); }

  /// PUT {"status": status}; the answer's status code.
  int move(const std::string& key, const std::string& id, const std::string& status) {
    auto r = as(key, "PUT", leads_path + "/" + id, R"({"status":")" + status + "\"}");
    return r.status;
  }

  int convert(const std::string& key, const std::string& id, const std::string& order = "ORD-1") {
    return as(key, "POST", leads_path + "/" + id + "/convert", R"({"orderId":")" + order + "\"}").status;
  }

  lead_page list(const std::string& key, const std::string& query = {}) {
    lead_page p;
    auto r = as(key, "GET", leads_path + query);
    p.status = r.status;
    p.body = r.body;
    simdjson::dom::array items;
    if (!r.json()["leads"].get(items))
      for (auto l : items) {
        p.ids.emplace_back(str_or_null(l, "id"));
        p.scores.push_back(int_of(l, "score"));
      }
    p.total = int_of(r.json(), "total");
    p.pages = int_of(r.json(), "pages");
    simdjson::dom::element f;
    if (!r.json()["funnelMetrics"].get(f))
      p.funnel = stage_counts(f);
    return p;
  }

  std::vector<std::string> ids(const std::string& key, const std::string& query) {
    auto p = list(key, query);
    EXPECT_EQ(p.status, 200) << query << ": " << p.body;
    return p.ids;
  }

  int phones_ = 0;
};

// -- creation -------------------------------------------------------------------------------

TEST_F(leads, create_answers_201_with_a_prospect_and_its_score) {
  auto agent = key(company(), "agent");
  auto r = as(agent, "POST", leads_path,
              R"({"name":"Vikram Shah","email":"vikram@example.in","phone":"+91 98765 43210","source":"referral",)"
              R"("territory":"north","estimatedValue":20000})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.str("id");
  EXPECT_EQ(id.substr(0, 5), "LEAD-");
  EXPECT_EQ(id.size(), 11u); // LEAD-000001
  EXPECT_EQ(r.str("status"), "prospect");
  EXPECT_EQ(r.str("createdAt").size(), 24u); // 2026-11-24T10:00:00.000Z

  auto g = get(agent, id);
  EXPECT_EQ(g.str("id"), id);
  EXPECT_EQ(g.str("companyId"), company());
  EXPECT_EQ(g.str("name"), "Vikram Shah");
  EXPECT_EQ(g.str("email"), "vikram@example.in");
  EXPECT_EQ(g.str("source"), "referral");
  EXPECT_EQ(g.str("territory"), "north");
  EXPECT_EQ(g.str("status"), "prospect");
  EXPECT_EQ(g.str("createdAt"), r.str("createdAt"));
  EXPECT_TRUE(g.json()["assignedTo"].is_null()); // nobody in north
  EXPECT_TRUE(g.json()["convertedOrderId"].is_null());
  EXPECT_TRUE(g.json()["convertedAt"].is_null());
  EXPECT_TRUE(g.json()["relatedSupportTicketId"].is_null());
  double value = -1;
  EXPECT_FALSE(g.json()["estimatedValue"].get(value));
  EXPECT_EQ(value, 20000.0);

  auto score = int_of(g.json(), "score");
  EXPECT_GE(score, 0);
  EXPECT_LE(score, 100);
  simdjson::dom::element factors;
  ASSERT_FALSE(g.json()["scoreFactors"].get(factors)) << g.body;
  // The Lead schema's factors: no interaction and no contact yet, 20,000 rupees, a referral.
  EXPECT_EQ(int_of(factors, "engagement"), 0);
  EXPECT_EQ(int_of(factors, "responseTime"), 0);
  EXPECT_EQ(int_of(factors, "value"), 15);
  EXPECT_EQ(int_of(factors, "source"), 25);
  EXPECT_EQ(score, 40); // the sum of its factors
  simdjson::dom::array notes;
  ASSERT_FALSE(g.json()["notes"].get(notes)) << g.body;
  EXPECT_EQ(notes.size(), 0u);
}

TEST_F(leads, a_lead_needs_an_email_or_a_phone) {
  auto agent = key(company(), "agent");
  auto r = as(agent, "POST", leads_path, R"({"name":"No Contact","source":"marketing"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(error_code(r), "validation_failed");
  r = as(agent, "POST", leads_path, R"({"name":"No Contact","source":"marketing","email":null,"phone":null})");
  EXPECT_EQ(r.status, 422) << r.body;
  // Either one alone is enough.
  EXPECT_EQ(as(agent, "POST", leads_path, R"({"name":"Mail Only","source":"marketing","email":"m@example.in"})").status, 201);
  EXPECT_EQ(as(agent, "POST", leads_path, R"({"name":"Phone Only","source":"marketing","phone":"9123456780"})").status, 201);
}

TEST_F(leads, an_invalid_body_is_422_naming_the_field) {
  auto agent = key(company(), "agent");
  auto r = as(agent, "POST", leads_path, R"({"name":"X","source":"referral","phone":"9123456780","colour":"red"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"colour"});
  r = as(agent, "POST", leads_path, R"({"name":"X","source":"referral","email":"not-an-address"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"email"});
  r = as(agent, "POST", leads_path, R"({"name":"X","source":"billboard","phone":"9123456780"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"source"});
  r = as(agent, "POST", leads_path, R"({"name":"X","phone":"9123456780"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"source"});
  r = as(agent, "POST", leads_path, R"({"source":"referral","phone":"9123456780"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"name"});
  r = as(agent, "POST", leads_path, R"({"name":"X","source":"referral","phone":"12345"})"); // under 10 digits
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"phone"});
  r = as(agent, "POST", leads_path, R"({"name":"X","source":"referral","phone":"9123456780","estimatedValue":10.001})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"estimatedValue"});
  EXPECT_EQ(as(agent, "POST", leads_path, R"({"name":"X",)").status, 400);
  EXPECT_EQ(list(agent).total, 0); // nothing was created
}

// -- distribution -----------------------------------------------------------------------------

TEST_F(leads, new_leads_go_to_the_territory_rep_with_the_fewest_open_leads) {
  auto admin = key(company(), "admin");
  auto n1 = rep(admin, "n1@x.in", R"(,"territory":"north")");
  auto south = rep(admin, "s@x.in", R"(,"territory":"south")");
  auto n2 = rep(admin, "n2@x.in", R"(,"territory":"north")");
  ASSERT_LT(n1, n2); // created first: the lower id
  const std::string north = R"(,"territory":"north")";
  auto l1 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l1), n1); // 0 and 0: the lowest id
  auto l2 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l2), n2); // n1 has 1
  auto l3 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l3), n1); // 1 and 1
  auto l4 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l4), n2); // n1 2, n2 1
  auto l5 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l5), n1); // 2 and 2
  auto s1 = lead(admin, R"(,"territory":"south")");
  EXPECT_EQ(assignee(admin, s1), south);
}

TEST_F(leads, won_and_lost_leads_no_longer_count_as_open_for_distribution) {
  auto admin = key(company(), "admin");
  auto n1 = rep(admin, "n1@x.in", R"(,"territory":"north")");
  auto n2 = rep(admin, "n2@x.in", R"(,"territory":"north")");
  const std::string north = R"(,"territory":"north")";
  auto l1 = lead(admin, north); // n1
  auto l2 = lead(admin, north); // n2
  auto l3 = lead(admin, north); // n1
  ASSERT_EQ(assignee(admin, l1), n1);
  ASSERT_EQ(assignee(admin, l2), n2);
  ASSERT_EQ(assignee(admin, l3), n1);
  // n1 has 2 open, n2 1; once one of n1's is won, 1 and 1: the lowest id again.
  ASSERT_EQ(convert(admin, l1), 200);
  auto l4 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l4), n1);
  // n1 2 (l3, l4), n2 1 (l2): once n2's is lost, n2 has none.
  ASSERT_EQ(move(admin, l2, "lost"), 200);
  auto l5 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l5), n2); // n1 2, n2 0
  auto l6 = lead(admin, north);
  EXPECT_EQ(assignee(admin, l6), n2); // n1 2, n2 1 (were l2 still counted: 2 and 2, to n1)
}

TEST_F(leads, an_inactive_rep_never_gets_a_lead_and_availability_does_not_matter) {
  auto admin = key(company(), "admin");
  auto n1 = rep(admin, "n1@x.in", R"(,"territory":"north")");
  auto n2 = rep(admin, "n2@x.in", R"(,"territory":"north")");
  rep(admin, "s@x.in", R"(,"territory":"south")");
  const std::string north = R"(,"territory":"north")";
  ASSERT_EQ(assignee(admin, lead(admin, north)), n1);
  ASSERT_EQ(assignee(admin, lead(admin, north)), n2);
  ASSERT_EQ(assignee(admin, lead(admin, north)), n1);
  ASSERT_EQ(as(admin, "DELETE", reps_path + "/" + n1).status, 200);
  // n1 (inactive) would be the tie's lowest id or has fewer open leads: it never gets one.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(assignee(admin, lead(admin, north)), n2) << i;
  // An offline rep is still active: it gets leads whatever its availability.
  ASSERT_EQ(as(admin, "PUT", reps_path + "/" + n2, R"({"availabilityStatus":"offline"})").status, 200);
  EXPECT_EQ(assignee(admin, lead(admin, north)), n2);
  // Naming the inactive rep by hand is refused.
  auto r = as(admin, "POST", leads_path,
              R"({"name":"X","source":"referral","phone":")" + phone() + R"(","assignedTo":")" + n1 + "\"}");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"assignedTo"});
}

TEST_F(leads, a_lead_whose_territory_has_no_rep_stays_unassigned) {
  auto admin = key(company(), "admin");
  auto north = rep(admin, "n@x.in", R"(,"territory":"north")");
  EXPECT_EQ(assignee(admin, lead(admin, R"(,"territory":"east")")), "null");
  EXPECT_EQ(assignee(admin, lead(admin)), "null"); // no territory at all
  // assignedTo in the body wins over the territory.
  auto other = rep(admin, "o@x.in", R"(,"territory":"west")");
  EXPECT_EQ(assignee(admin, lead(admin, R"(,"territory":"north","assignedTo":")" + other + "\"")), other);
  EXPECT_EQ(assignee(admin, lead(admin, R"(,"territory":"north")")), north);
}

TEST_F(leads, assigned_to_an_unknown_rep_is_422) {
  auto admin = key(company(), "admin");
  auto stranger_rep = rep(key(company("b"), "admin"), "b@x.in");
  for (auto& who : {std::string("REP-999999"), stranger_rep, std::string("nobody")}) {
    auto r = as(admin, "POST", leads_path,
                R"({"name":"X","source":"referral","phone":")" + phone() + R"(","assignedTo":")" + who + "\"}");
    EXPECT_EQ(r.status, 422) << who << ": " << r.body;
    EXPECT_EQ(detail_fields(r), std::set<std::string>{"assignedTo"}) << who;
  }
  auto id = lead(admin);
  auto r = as(admin, "PUT", leads_path + "/" + id, R"({"assignedTo":"REP-999999"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"assignedTo"});
  EXPECT_EQ(list(admin).total, 1);
}

TEST_F(leads, put_assigns_and_unassigns) {
  auto admin = key(company(), "admin");
  auto r1 = rep(admin, "r1@x.in");
  auto id = lead(admin);
  ASSERT_EQ(assignee(admin, id), "null");
  auto r = as(admin, "PUT", leads_path + "/" + id, R"({"assignedTo":")" + r1 + "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(assignee(admin, id), r1);
  ASSERT_EQ(as(admin, "PUT", leads_path + "/" + id, R"({"assignedTo":null})").status, 200);
  EXPECT_EQ(assignee(admin, id), "null");
}

// -- duplicates -------------------------------------------------------------------------------

TEST_F(leads, the_same_phone_in_another_format_is_a_duplicate_naming_the_first_lead) {
  auto agent = key(company(), "agent");
  auto first = as(agent, "POST", leads_path, R"({"name":"A","source":"referral","phone":"+91 98765 43210"})");
  ASSERT_EQ(first.status, 201) << first.body;
  auto id = first.str("id");
  auto r = as(agent, "POST", leads_path, R"({"name":"B","source":"marketing","phone":"9876543210"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(error_code(r), "conflict");
  std::string_view message;
  ASSERT_FALSE(r.json()["error"]["message"].get(message)) << r.body;
  EXPECT_NE(message.find(id), std::string_view::npos) << message;
  EXPECT_EQ(as(agent, "POST", leads_path, R"({"name":"B","source":"marketing","phone":"(+91) 98765-43210"})").status, 409);
  EXPECT_EQ(list(agent).total, 1);
}

TEST_F(leads, the_same_email_in_other_case_is_a_duplicate) {
  auto agent = key(company(), "agent");
  auto first = as(agent, "POST", leads_path, R"({"name":"A","source":"referral","email":"Priya.Nair@Example.in"})");
  ASSERT_EQ(first.status, 201) << first.body;
  auto r = as(agent, "POST", leads_path,
              R"({"name":"B","source":"referral","email":"priya.nair@example.IN","phone":"9123456780"})");
  EXPECT_EQ(r.status, 409) << r.body;
  std::string_view message;
  ASSERT_FALSE(r.json()["error"]["message"].get(message)) << r.body;
  EXPECT_NE(message.find(first.str("id")), std::string_view::npos) << message;
  // Another company may have the same customer.
  EXPECT_EQ(as(key(company("b"), "agent"), "POST", leads_path,
               R"({"name":"B","source":"referral","email":"priya.nair@example.in"})").status,
            201);
}

TEST_F(leads, allow_duplicate_creates_it_anyway) {
  auto agent = key(company(), "agent");
  ASSERT_EQ(as(agent, "POST", leads_path, R"({"name":"A","source":"referral","phone":"+91 98765 43210","email":"a@example.in"})").status, 201);
  auto r = as(agent, "POST", leads_path,
              R"({"name":"A again","source":"referral","phone":"9876543210","email":"A@example.in","allowDuplicate":true})");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(as(agent, "POST", leads_path, R"({"name":"A3","source":"referral","phone":"9876543210","allowDuplicate":false})").status, 409);
  EXPECT_EQ(list(agent).total, 2);
}

TEST_F(leads, a_won_or_lost_lead_is_not_open_for_duplicates) {
  auto agent = key(company(), "agent");
  auto lost = as(agent, "POST", leads_path, R"({"name":"A","source":"referral","phone":"+91 98765 43210"})");
  ASSERT_EQ(lost.status, 201);
  ASSERT_EQ(move(agent, lost.str("id"), "lost"), 200);
  EXPECT_EQ(as(agent, "POST", leads_path, R"({"name":"A","source":"referral","phone":"9876543210"})").status, 201);

  auto won = as(agent, "POST", leads_path, R"({"name":"W","source":"referral","email":"won@example.in"})");
  ASSERT_EQ(won.status, 201);
  ASSERT_EQ(convert(agent, won.str("id")), 200);
  EXPECT_EQ(as(agent, "POST", leads_path, R"({"name":"W","source":"referral","email":"WON@example.in"})").status, 201);
}

// -- leads from tickets -----------------------------------------------------------------------

TEST_F(leads, a_lead_from_a_ticket_links_the_ticket_to_it) {
  auto agent = key(company(), "agent");
  auto t = ticket(agent);
  auto r = as(agent, "POST", leads_path,
              R"({"name":"From ticket","source":"support-ticket","phone":"9123456780","relatedSupportTicketId":")" + t + "\"}");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.str("id");
  EXPECT_EQ(get(agent, id).str("relatedSupportTicketId"), t);
  auto g = as(agent, "GET", tickets_path + "/" + t);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.str("relatedLeadId"), id);
  // A ticket without a lead says null.
  auto plain = ticket(agent);
  EXPECT_TRUE(as(agent, "GET", tickets_path + "/" + plain).json()["relatedLeadId"].is_null());
}

TEST_F(leads, a_lead_naming_an_unknown_ticket_is_422) {
  auto agent = key(company(), "agent");
  auto foreign = ticket(key(company("b"), "agent"));
  for (auto& t : {std::string("TKT-999999"), foreign, std::string("nonsense")}) {
    auto r = as(agent, "POST", leads_path,
                R"({"name":"X","source":"support-ticket","phone":")" + phone() + R"(","relatedSupportTicketId":")" + t + "\"}");
    EXPECT_EQ(r.status, 422) << t << ": " << r.body;
    EXPECT_EQ(detail_fields(r), std::set<std::string>{"relatedSupportTicketId"}) << t;
  }
  EXPECT_TRUE(as(key(company("b"), "agent"), "GET", tickets_path + "/" + foreign).json()["relatedLeadId"].is_null());
  EXPECT_EQ(list(agent).total, 0);
}

// -- lists ------------------------------------------------------------------------------------

class leads_list : public leads {
protected:
  /// l1 referral/north/rn prospect, l2 marketing/south qualified, l3 referral/south won,
  /// l4 inbound-inquiry/north/rn lost, l5 marketing/no territory prospect.
  void SetUp() override {
    admin = key(company(), "admin");
    rn = rep(admin, "rn@x.in", R"(,"territory":"north")");
    l1 = lead(admin, R"(,"territory":"north")", "referral");
    l2 = lead(admin, R"(,"territory":"south","estimatedValue":60000)", "marketing");
    l3 = lead(admin, R"(,"territory":"south","estimatedValue":5000)", "referral");
    l4 = lead(admin, R"(,"territory":"north","estimatedValue":700000)", "inbound-inquiry");
    l5 = lead(admin, {}, "marketing");
    ASSERT_EQ(move(admin, l2, "qualified"), 200);
    ASSERT_EQ(convert(admin, l3), 200);
    ASSERT_EQ(move(admin, l4, "lost"), 200);
  }
  std::string admin, rn, l1, l2, l3, l4, l5;
};

TEST_F(leads_list, filters_select_by_status_territory_source_and_assignee) {
  using v = std::vector<std::string>;
  EXPECT_EQ(ids(admin, ""), (v{l5, l4, l3, l2, l1})); // -createdAt
  EXPECT_EQ(ids(admin, "?sortBy=createdAt"), (v{l1, l2, l3, l4, l5}));
  EXPECT_EQ(ids(admin, "?status=prospect"), (v{l5, l1}));
  EXPECT_EQ(ids(admin, "?status=won,lost"), (v{l4, l3}));
  EXPECT_EQ(ids(admin, "?status=won%2Clost"), (v{l4, l3}));
  EXPECT_EQ(ids(admin, "?status=won&status=lost"), (v{l4, l3}));
  EXPECT_EQ(ids(admin, "?territory=south"), (v{l3, l2}));
  EXPECT_EQ(ids(admin, "?territory=north,south"), (v{l4, l3, l2, l1}));
  EXPECT_EQ(ids(admin, "?source=referral"), (v{l3, l1}));
  EXPECT_EQ(ids(admin, "?source=marketing,inbound-inquiry"), (v{l5, l4, l2}));
  EXPECT_EQ(ids(admin, "?assignedTo=" + rn), (v{l4, l1}));
  EXPECT_EQ(ids(admin, "?assignedTo=null"), (v{l5, l3, l2}));
  EXPECT_EQ(ids(admin, "?territory=north&status=prospect"), (v{l1}));
  EXPECT_EQ(ids(admin, "?assignedTo=REP-999999"), v{});
  auto bound = key(company(), "agent", rn);
  EXPECT_EQ(ids(bound, "?assignedTo=me"), (v{l4, l1}));
}

TEST_F(leads_list, sort_by_score_orders_the_scores) {
  for (auto& query : {std::string("?sortBy=-score"), std::string("?sortBy=score")}) {
    auto p = list(admin, query);
    ASSERT_EQ(p.status, 200) << p.body;
    ASSERT_EQ(p.scores.size(), 5u);
    for (auto s : p.scores) {
      EXPECT_GE(s, 0);
      EXPECT_LE(s, 100);
    }
    if (query == "?sortBy=-score") {
      EXPECT_TRUE(std::is_sorted(p.scores.rbegin(), p.scores.rend())) << p.body; // non-increasing
    } else {
      EXPECT_TRUE(std::is_sorted(p.scores.begin(), p.scores.end())) << p.body; // non-decreasing
    }
    // Each item's score is its GET's score.
    for (std::size_t i = 0; i < p.ids.size(); ++i)
      EXPECT_EQ(int_of(get(admin, p.ids[i]).json(), "score"), p.scores[i]) << p.ids[i];
  }
}

TEST_F(leads_list, pages_never_overlap) {
  for (auto& sort : {std::string("-score"), std::string("score"), std::string("-createdAt"), std::string("estimatedValue")}) {
    std::vector<std::string> seen;
    for (int page = 1; page <= 3; ++page) {
      auto p = list(admin, "?limit=2&sortBy=" + sort + "&page=" + std::to_string(page));
      ASSERT_EQ(p.status, 200) << p.body;
      EXPECT_EQ(p.total, 5);
      EXPECT_EQ(p.pages, 3);
      EXPECT_EQ(p.ids.size(), page < 3 ? 2u : 1u) << sort << " page " << page;
      seen.insert(seen.end(), p.ids.begin(), p.ids.end());
    }
    std::set<std::string> distinct(seen.begin(), seen.end());
    EXPECT_EQ(distinct, (std::set<std::string>{l1, l2, l3, l4, l5})) << sort;
    EXPECT_EQ(seen.size(), 5u) << sort;
    EXPECT_TRUE(list(admin, "?limit=2&page=4&sortBy=" + sort).ids.empty());
  }
}

TEST_F(leads_list, funnel_metrics_count_every_page_of_the_selection) {
  auto all = list(admin, "?limit=1");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.ids.size(), 1u);
  EXPECT_EQ(all.funnel, counts(2, 1, 0, 0, 1, 1)) << all.body;
  auto south = list(admin, "?territory=south&limit=1");
  EXPECT_EQ(south.total, 2);
  EXPECT_EQ(south.pages, 2);
  EXPECT_EQ(south.funnel, counts(0, 1, 0, 0, 1, 0)) << south.body;
  auto south2 = list(admin, "?territory=south&limit=1&page=2");
  EXPECT_EQ(south2.funnel, south.funnel);
  EXPECT_EQ(list(admin, "?source=referral").funnel, counts(1, 0, 0, 0, 1, 0));
  EXPECT_EQ(list(admin, "?assignedTo=" + rn).funnel, counts(1, 0, 0, 0, 0, 1));
  EXPECT_EQ(list(admin, "?status=prospect&limit=1").funnel, counts(2, 0, 0, 0, 0, 0));
  EXPECT_EQ(list(admin, "?territory=nowhere").funnel, counts(0, 0, 0, 0, 0, 0));
  // By their status now: moving one moves it in the funnel.
  ASSERT_EQ(move(admin, l1, "negotiation"), 200);
  EXPECT_EQ(list(admin, "?limit=1").funnel, counts(1, 1, 0, 1, 1, 1));
}

TEST_F(leads_list, bad_queries_are_rejected) {
  auto r = as(admin, "GET", leads_path + "?colour=red");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_code(r), "bad_request");
  EXPECT_EQ(as(admin, "GET", leads_path + "?status=hot").status, 422);
  EXPECT_EQ(as(admin, "GET", leads_path + "?source=billboard").status, 422);
  EXPECT_EQ(as(admin, "GET", leads_path + "?sortBy=name").status, 422);
  EXPECT_EQ(as(admin, "GET", leads_path + "?limit=0").status, 400);
  EXPECT_EQ(as(admin, "GET", leads_path + "?limit=101").status, 400);
  EXPECT_EQ(as(admin, "GET", leads_path + "?page=0").status, 400);
}

// -- the funnel of a lead ---------------------------------------------------------------------

TEST_F(leads, forward_steps_may_skip_and_never_go_back) {
  auto agent = key(company(), "agent");
  auto id = lead(agent);
  auto r = as(agent, "PUT", leads_path + "/" + id, R"({"status":"proposal"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("id"), id);
  EXPECT_NE(r.body.find(R"("updated":true)"), std::string::npos) << r.body;
  EXPECT_EQ(status_of(agent, id), "proposal");
  r = as(agent, "PUT", leads_path + "/" + id, R"({"status":"qualified"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(error_code(r), "conflict");
  EXPECT_EQ(move(agent, id, "prospect"), 409);
  EXPECT_EQ(status_of(agent, id), "proposal");
  EXPECT_EQ(move(agent, id, "negotiation"), 200);
  EXPECT_EQ(move(agent, id, "won"), 200);
  EXPECT_EQ(status_of(agent, id), "won");
}

TEST_F(leads, any_open_lead_may_be_lost) {
  auto agent = key(company(), "agent");
  for (auto& from : {"prospect", "qualified", "proposal", "negotiation"}) {
    auto id = lead(agent);
    if (std::string(from) != "prospect") {
      ASSERT_EQ(move(agent, id, from), 200) << from;
    }
    EXPECT_EQ(move(agent, id, "lost"), 200) << from;
    EXPECT_EQ(status_of(agent, id), "lost") << from;
  }
}

TEST_F(leads, won_and_lost_are_final) {
  auto agent = key(company(), "agent");
  auto won = lead(agent);
  ASSERT_EQ(convert(agent, won), 200);
  auto lost = lead(agent);
  ASSERT_EQ(move(agent, lost, "lost"), 200);
  for (auto& to : {"prospect", "qualified", "proposal", "negotiation", "lost"})
    EXPECT_EQ(move(agent, won, to), 409) << "won to " << to;
  for (auto& to : {"prospect", "qualified", "proposal", "negotiation", "won"})
    EXPECT_EQ(move(agent, lost, to), 409) << "lost to " << to;
  EXPECT_EQ(status_of(agent, won), "won");
  EXPECT_EQ(status_of(agent, lost), "lost");
  // An assignment is a change too; a note is not.
  auto r1 = rep(key(company(), "admin"), "r@x.in");
  EXPECT_EQ(as(agent, "PUT", leads_path + "/" + won, R"({"assignedTo":")" + r1 + "\"}").status, 409);
  EXPECT_EQ(as(agent, "PUT", leads_path + "/" + lost, R"({"notes":"customer chose another courier"})").status, 200);
}

TEST_F(leads, an_unknown_status_is_422_even_on_a_won_lead) {
  auto agent = key(company(), "agent");
  auto id = lead(agent);
  auto r = as(agent, "PUT", leads_path + "/" + id, R"({"status":"hot"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"status"});
  ASSERT_EQ(convert(agent, id), 200);
  // Validation (422) before the funnel (409).
  r = as(agent, "PUT", leads_path + "/" + id, R"({"status":"hot"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"status"});
  r = as(agent, "PUT", leads_path + "/" + id, R"({"status":"lost","colour":"red"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"colour"});
  EXPECT_EQ(as(agent, "PUT", leads_path + "/" + id, R"({"notes":""})").status, 422);
  EXPECT_EQ(as(agent, "PUT", leads_path + "/" + id, R"({})").status, 422);
  EXPECT_EQ(as(agent, "PUT", leads_path + "/LEAD-999999", R"({"status":"lost"})").status, 404);
  EXPECT_EQ(status_of(agent, id), "won");
}

// -- scores -----------------------------------------------------------------------------------

TEST_F(leads, notes_raise_the_engagement_factor_and_a_staff_note_sets_response_time) {
  auto agent = key(company(), "agent");
  auto id = lead(agent, R"(,"estimatedValue":20000)"); // referral
  auto factor = [&](const char* name) {
    auto g = get(agent, id);
    return int_of(g.json()["scoreFactors"].value(), name);
  };
  auto score = [&] { return int_of(get(agent, id).json(), "score"); };
  ASSERT_EQ(factor("engagement"), 0);
  ASSERT_EQ(factor("responseTime"), 0);
  auto before = score();

  auto r = as(agent, "PUT", leads_path + "/" + id, R"({"notes":"called, wants a quote"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(factor("engagement"), 5);
  EXPECT_GT(factor("responseTime"), 0);
  EXPECT_EQ(factor("responseTime"), 20); // contacted within the hour
  EXPECT_EQ(factor("value"), 15);
  EXPECT_EQ(factor("source"), 25);
  EXPECT_EQ(score(), 65); // 5 + 20 + 15 + 25
  EXPECT_GT(score(), before);
  auto g = get(agent, id);
  simdjson::dom::array notes;
  ASSERT_FALSE(g.json()["notes"].get(notes)) << g.body;
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(std::string(notes.at(0)["note"].get_string().value()), "called, wants a quote");

  ASSERT_EQ(move(agent, id, "qualified"), 200); // a status change is an interaction too
  EXPECT_EQ(factor("engagement"), 10);
  EXPECT_EQ(factor("responseTime"), 20); // the first contact counts, not the last
  EXPECT_EQ(score(), 70);
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(as(agent, "PUT", leads_path + "/" + id, R"({"notes":"follow-up"})").status, 200);
  EXPECT_EQ(factor("engagement"), 25); // at most 25
  EXPECT_EQ(score(), 85); // 25 + 20 + 15 + 25
}

// -- conversion -------------------------------------------------------------------------------

TEST_F(leads, convert_makes_the_lead_won_with_its_order) {
  auto agent = key(company(), "agent");
  auto id = lead(agent);
  ASSERT_EQ(move(agent, id, "qualified"), 200);
  auto r = as(agent, "POST", leads_path + "/" + id + "/convert", R"({"orderId":"ORD-42"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("leadId"), id);
  EXPECT_EQ(r.str("status"), "won");
  EXPECT_EQ(r.str("convertedOrderId"), "ORD-42");
  EXPECT_EQ(r.str("convertedAt").size(), 24u);
  auto g = get(agent, id);
  EXPECT_EQ(g.str("status"), "won");
  EXPECT_EQ(g.str("convertedOrderId"), "ORD-42");
  EXPECT_EQ(g.str("convertedAt"), r.str("convertedAt"));
}

TEST_F(leads, converting_twice_or_a_lost_lead_is_409) {
  auto agent = key(company(), "agent");
  auto id = lead(agent);
  ASSERT_EQ(convert(agent, id, "ORD-1"), 200);
  auto r = as(agent, "POST", leads_path + "/" + id + "/convert", R"({"orderId":"ORD-2"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(get(agent, id).str("convertedOrderId"), "ORD-1");
  auto lost = lead(agent);
  ASSERT_EQ(move(agent, lost, "lost"), 200);
  EXPECT_EQ(convert(agent, lost), 409);
  EXPECT_EQ(status_of(agent, lost), "lost");
  EXPECT_EQ(convert(agent, "LEAD-999999"), 404);
}

TEST_F(leads, convert_needs_an_order_id) {
  auto agent = key(company(), "agent");
  auto id = lead(agent);
  auto r = as(agent, "POST", leads_path + "/" + id + "/convert", R"({})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"orderId"});
  r = as(agent, "POST", leads_path + "/" + id + "/convert", R"({"orderId":"has spaces!"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"orderId"});
  r = as(agent, "POST", leads_path + "/" + id + "/convert", R"({"orderId":"ORD-1","colour":"red"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(status_of(agent, id), "prospect");
}

// -- the funnel report ------------------------------------------------------------------------

class leads_funnel : public leads {
protected:
  /// a prospect; b, c qualified; d straight to negotiation; e qualified then won (convert);
  /// f qualified then lost; g lost from prospect.
  void SetUp() override {
    agent = key(company(), "agent");
    for (int i = 0; i < 7; ++i)
      l.push_back(lead(agent));
    ASSERT_EQ(move(agent, l[1], "qualified"), 200);
    ASSERT_EQ(move(agent, l[2], "qualified"), 200);
    ASSERT_EQ(move(agent, l[3], "negotiation"), 200);
    ASSERT_EQ(move(agent, l[4], "qualified"), 200);
    ASSERT_EQ(convert(agent, l[4]), 200);
    ASSERT_EQ(move(agent, l[5], "qualified"), 200);
    ASSERT_EQ(move(agent, l[5], "lost"), 200);
    ASSERT_EQ(move(agent, l[6], "lost"), 200);
  }
  static double rate(const http_response& r, const char* name) {
    double v = -1;
    if (r.json()["conversionRates"][name].get(v))
      return -1;
    return v;
  }
  std::string agent;
  std::vector<std::string> l;
};

TEST_F(leads_funnel, stages_count_the_leads_that_reached_them_skips_included) {
  auto r = as(agent, "GET", leads_path + "/funnel");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["from"].is_null());
  EXPECT_TRUE(r.json()["to"].is_null());
  // prospect: all 7; qualified: b c d e f; proposal and negotiation: d e; won: e; lost: f g.
  EXPECT_EQ(stage_counts(r.json()["stages"].value()), counts(7, 5, 2, 2, 1, 2)) << r.body;
  EXPECT_DOUBLE_EQ(rate(r, "prospectToQualified"), 0.7143); // 5/7, 4 decimals
  EXPECT_DOUBLE_EQ(rate(r, "qualifiedToProposal"), 0.4);
  EXPECT_DOUBLE_EQ(rate(r, "proposalToNegotiation"), 1.0);
  EXPECT_DOUBLE_EQ(rate(r, "negotiationToWon"), 0.5);
}

TEST_F(leads_funnel, a_period_that_holds_them_counts_the_same) {
  auto r = as(agent, "GET", leads_path + "/funnel?from=2020-01-01T00:00:00.000Z&to=2099-01-01T00%3A00%3A00.000Z");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("from"), "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(r.str("to"), "2099-01-01T00:00:00.000Z");
  EXPECT_EQ(stage_counts(r.json()["stages"].value()), counts(7, 5, 2, 2, 1, 2)) << r.body;
  EXPECT_DOUBLE_EQ(rate(r, "negotiationToWon"), 0.5);
}

TEST_F(leads_funnel, a_period_in_the_future_or_the_past_counts_nothing) {
  for (auto& q : {std::string("?from=2099-01-01T00:00:00.000Z"), std::string("?to=2020-01-01T00:00:00.000Z")}) {
    auto r = as(agent, "GET", leads_path + "/funnel" + q);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(stage_counts(r.json()["stages"].value()), counts(0, 0, 0, 0, 0, 0)) << q << ": " << r.body;
    for (auto name : {"prospectToQualified", "qualifiedToProposal", "proposalToNegotiation", "negotiationToWon"})
      EXPECT_EQ(rate(r, name), 0.0) << q << " " << name;
  }
  EXPECT_EQ(as(agent, "GET", leads_path + "/funnel?from=yesterday").status, 400);
  EXPECT_EQ(as(agent, "GET", leads_path + "/funnel?colour=red").status, 400);
}

// -- rep performance --------------------------------------------------------------------------

TEST_F(leads, rep_performance_counts_the_reps_won_and_lost_leads) {
  auto admin = key(company(), "admin");
  auto w = rep(admin, "w@x.in", R"(,"territory":"west")");
  auto v = rep(admin, "v@x.in", R"(,"territory":"east")");
  const std::string to_w = R"(,"assignedTo":")" + w + "\"";
  auto a = lead(admin, to_w);
  auto b = lead(admin, to_w);
  auto c = lead(admin, to_w);
  lead(admin, to_w); // stays open
  auto other = lead(admin, R"(,"assignedTo":")" + v + "\"");
  ASSERT_EQ(convert(admin, a), 200);
  ASSERT_EQ(move(admin, b, "won"), 200);
  ASSERT_EQ(move(admin, c, "lost"), 200);
  ASSERT_EQ(convert(admin, other), 200);

  auto p = as(admin, "GET", reps_path + "/" + w + "/performance");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(int_of(p.json(), "leadsWon"), 2) << p.body;
  EXPECT_NEAR(p.json()["conversionRate"].get_double().value(), 2.0 / 3.0, 1e-4) << p.body;
  auto pv = as(admin, "GET", reps_path + "/" + v + "/performance");
  EXPECT_EQ(int_of(pv.json(), "leadsWon"), 1) << pv.body;
  EXPECT_DOUBLE_EQ(pv.json()["conversionRate"].get_double().value(), 1.0);
  auto later = as(admin, "GET", reps_path + "/" + w + "/performance?from=2099-01-01T00:00:00Z");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(int_of(later.json(), "leadsWon"), 0);
  EXPECT_DOUBLE_EQ(later.json()["conversionRate"].get_double().value(), 0.0); // none closed: 0
}

// -- tenancy and roles ------------------------------------------------------------------------

TEST_F(leads, another_companys_lead_is_404_and_not_listed) {
  auto admin = key(company(), "admin");
  auto id = lead(admin);
  auto stranger = key(company("b"), "admin");
  EXPECT_EQ(as(stranger, "GET", leads_path + "/" + id).status, 404);
  auto r = as(stranger, "PUT", leads_path + "/" + id, R"({"status":"lost"})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(error_code(r), "not_found");
  EXPECT_EQ(as(stranger, "POST", leads_path + "/" + id + "/convert", R"({"orderId":"ORD-1"})").status, 404);
  auto l = list(stranger);
  EXPECT_EQ(l.total, 0) << l.body;
  EXPECT_TRUE(l.ids.empty());
  EXPECT_EQ(l.funnel, counts(0, 0, 0, 0, 0, 0));
  auto f = as(stranger, "GET", leads_path + "/funnel");
  EXPECT_EQ(stage_counts(f.json()["stages"].value()), counts(0, 0, 0, 0, 0, 0)) << f.body;
  auto g = get(admin, id);
  EXPECT_EQ(g.str("status"), "prospect");
  EXPECT_EQ(list(admin).total, 1);
  // The platform acts for the company it names.
  EXPECT_EQ(platform("GET", leads_path + "/" + id, {}, {{"X-Company-Id", company()}}).status, 200);
  EXPECT_EQ(platform("GET", leads_path + "/" + id, {}, {{"X-Company-Id", company("b")}}).status, 404);
}

TEST_F(leads, a_viewer_reads_but_may_not_write) {
  auto admin = key(company(), "admin");
  auto id = lead(admin);
  auto viewer = key(company(), "viewer");
  auto r = as(viewer, "POST", leads_path, R"({"name":"X","source":"referral","phone":"9123456780"})");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(error_code(r), "forbidden");
  EXPECT_EQ(as(viewer, "PUT", leads_path + "/" + id, R"({"status":"qualified"})").status, 403);
  EXPECT_EQ(as(viewer, "PUT", leads_path + "/" + id, R"({"notes":"hello"})").status, 403);
  EXPECT_EQ(as(viewer, "POST", leads_path + "/" + id + "/convert", R"({"orderId":"ORD-1"})").status, 403);
  EXPECT_EQ(as(viewer, "GET", leads_path + "/" + id).status, 200);
  EXPECT_EQ(as(viewer, "GET", leads_path).status, 200);
  EXPECT_EQ(as(viewer, "GET", leads_path + "/funnel").status, 200);
  EXPECT_EQ(status_of(admin, id), "prospect");
  EXPECT_EQ(list(admin).total, 1);
}

TEST_F(leads, an_agent_or_a_manager_may_create_update_and_convert) {
  for (auto role : {"agent", "manager"}) {
    auto k = key(company(), role);
    auto id = lead(k);
    ASSERT_FALSE(id.empty()) << role;
    EXPECT_EQ(move(k, id, "qualified"), 200) << role;
    EXPECT_EQ(as(k, "PUT", leads_path + "/" + id, R"({"notes":"sent the rate card"})").status, 200) << role;
    EXPECT_EQ(convert(k, id), 200) << role;
  }
  EXPECT_EQ(as(key(company(), "agent"), "GET", leads_path).status, 200);
  // No key at all: 401.
  EXPECT_EQ(client_.request("GET", leads_path).status, 401);
}

// -- the audit tool ---------------------------------------------------------------------------

struct node {
  testing::temp_dir dir;
  std::unique_ptr<testing::server_process> s;
  std::string data() const { return (dir.path() / "data").string(); }
  void start(std::vector<std::string> args = {}) {
    s = std::make_unique<testing::server_process>(data(), std::move(args),
                                                  std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", platform_token}});
    EXPECT_TRUE(s->ready()) << s->log();
  }
  http_response call(const std::string& method, const std::string& target, const std::string& body = {}) {
    http_client c(s->port());
    return c.request(method, target, body, {{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}});
  }
};

/// The lines crm-audit history prints for `entity`, parsed: {type, entity} per event.
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

/// What crm-audit replay prints for the data dir.
std::string replay(const std::string& data) {
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "replay", "--data-dir", data}, out), 0) << out;
  return out;
}

/// Compares replay's "leads" (`out`) with the API's GET of each: status, score, assignedTo.
void expect_replay_matches(node& n, const std::string& out, const std::vector<std::string>& ids) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_FALSE(p.parse(out).get(doc)) << out;
  simdjson::dom::array replayed;
  ASSERT_FALSE(doc["leads"].get(replayed)) << out;
  std::set<std::string> seen;
  for (auto l : replayed) {
    auto id = str_or_null(l, "id");
    seen.insert(id);
    auto g = n.call("GET", leads_path + "/" + id);
    ASSERT_EQ(g.status, 200) << id << ": " << g.body;
    EXPECT_EQ(str_or_null(l, "status"), g.str("status")) << id;
    EXPECT_EQ(int_of(l, "score"), int_of(g.json(), "score")) << id;
    EXPECT_EQ(str_or_null(l, "assignedTo"), str_or_null(g.json(), "assignedTo")) << id;
    EXPECT_EQ(str_or_null(l, "convertedOrderId"), str_or_null(g.json(), "convertedOrderId")) << id;
    for (auto f : {"engagement", "responseTime", "value", "source"})
      EXPECT_EQ(int_of(l["scoreFactors"].value(), f), int_of(g.json()["scoreFactors"].value(), f)) << id << " " << f;
  }
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));
}

TEST(leads_audit, replay_rebuilds_the_leads_the_api_serves_and_history_lists_their_events) {
  node n;
  n.start();
  auto r1 = n.call("POST", reps_path, R"({"name":"R","email":"r@x.in","phone":"9876543210","territory":"north"})").str("id");
  auto r2 = n.call("POST", reps_path, R"({"name":"S","email":"s@x.in","phone":"9876543211","territory":"south"})").str("id");
  auto t = n.call("POST", tickets_path, R"({"category":"other","subject":"wants a quote"})").str("ticketId");
  std::vector<std::string> ids;
  auto create = [&](const std::string& body) {
    auto r = n.call("POST", leads_path, body);
    EXPECT_EQ(r.status, 201) << r.body;
    ids.push_back(r.str("id"));
    return r.str("id");
  };
  auto a = create(R"({"name":"A","source":"referral","phone":"9100000001","territory":"north","estimatedValue":25000})");
  auto b = create(R"({"name":"B","source":"support-ticket","email":"b@example.in","relatedSupportTicketId":")" + t + "\"}");
  auto c = create(R"({"name":"C","source":"marketing","phone":"9100000003","territory":"south"})");
  auto d = create(R"({"name":"D","source":"inbound-inquiry","phone":"9100000004","assignedTo":")" + r2 + "\"}");
  ASSERT_EQ(n.call("PUT", leads_path + "/" + a, R"({"status":"qualified"})").status, 200);
  ASSERT_EQ(n.call("PUT", leads_path + "/" + a, R"({"notes":"asked for the rate card"})").status, 200);
  ASSERT_EQ(n.call("POST", leads_path + "/" + a + "/convert", R"({"orderId":"ORD-7"})").status, 200);
  ASSERT_EQ(n.call("PUT", leads_path + "/" + b, R"({"assignedTo":")" + r1 + "\"}").status, 200);
  ASSERT_EQ(n.call("PUT", leads_path + "/" + c, R"({"status":"lost"})").status, 200);
  ASSERT_EQ(n.call("PUT", leads_path + "/" + d, R"({"status":"proposal","notes":"proposal sent"})").status, 200);

  expect_replay_matches(n, replay(n.data()), ids); // on the live server's data dir (read-only)

  auto h = history_of(n.data(), a);
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.front().first, "lead.created");
  std::set<std::string> types;
  for (auto& [type, entity] : h) {
    types.insert(type);
    EXPECT_EQ(entity, a);
  }
  for (auto want : {"lead.status_changed", "lead.note_added", "lead.converted"})
    EXPECT_TRUE(types.count(want)) << want;
  auto hb = history_of(n.data(), b);
  ASSERT_EQ(hb.size(), 2u); // created unassigned, then assigned by PUT
  EXPECT_EQ(hb.front().first, "lead.created");
  EXPECT_EQ(hb.back().first, "lead.assigned");
  auto hd = history_of(n.data(), d); // created with its rep: one event
  ASSERT_FALSE(hd.empty());
  EXPECT_EQ(hd.front().first, "lead.created");
  EXPECT_TRUE(std::none_of(hd.begin(), hd.end(), [](auto& e) { return e.first == "lead.assigned"; }));
  auto th = history_of(n.data(), t);
  EXPECT_TRUE(std::any_of(th.begin(), th.end(), [](auto& e) { return e.first == "ticket.linked"; }));

  // And on the stopped server's data dir; the restarted server serves the same.
  std::map<std::string, std::string> live;
  for (auto& id : ids)
    live[id] = n.call("GET", leads_path + "/" + id).body;
  ASSERT_EQ(n.s->terminate(), 0);
  auto stopped = replay(n.data());
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, out), 0) << out;
  n.start();
  expect_replay_matches(n, stopped, ids);
  for (auto& [id, body] : live)
    EXPECT_EQ(n.call("GET", leads_path + "/" + id).body, body) << id;
}

} // namespace
} // namespace crm::blackbox
