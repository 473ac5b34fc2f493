// Black-box tests of what a hostile or careless client may send (CONTRACT section 2): encoded
// query strings, identifiers and header bytes checked at the edge, and the bounds on what one
// client can make the server hold. Every test that stores something hostile restarts the server
// on the same data dir and checks that it starts and still answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "blackbox/fixture.hpp"

namespace crm::blackbox {
namespace {

class hardening : public server_suite {
protected:
  http_response in(const std::string& c, const std::string& method, const std::string& target,
                   const std::string& body = {}, headers extra = {}) {
    extra.emplace_back("X-Company-Id", c);
    return platform(method, target, body, std::move(extra));
  }
  /// The value of one gauge or counter of /metrics (-1 when it is not there).
  double metric(const std::string& name) { return metric_in(client_.request("GET", "/metrics"), name).value_or(-1); }
};

/// A plain socket to the server, for requests the client class would not send.
struct raw_socket {
  int fd = -1;
  explicit raw_socket(unsigned short port, int rcvbuf = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) // before connect, so that the window stays small
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      fd = -1;
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~raw_socket() {
    if (fd >= 0)
      ::close(fd);
  }
  void send(const std::string& s) { (void)::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }
  /// Reads until the peer closes (or `until` appears); what came.
  std::string read_all(const std::string& until = {}) {
    std::string out;
    char buf[65536];
    for (;;) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      out.append(buf, static_cast<std::size_t>(n));
      if (!until.empty() && out.find(until) != std::string::npos)
        break;
    }
    return out;
  }
};

TEST_F(hardening, query_strings_are_decoded_as_clients_encode_them) {
  auto c = company();
  auto admin = key(c, "admin");
  auto t1 = ticket(admin, R"({"category":"billing","subject":"late parcel again"})");
  auto t2 = ticket(admin, R"({"category":"logistics","subject":"parcel damaged","priority":"high"})");
  ASSERT_EQ(as(admin, "PUT", "/api/v1/support/tickets/" + t2, R"({"status":"closed"})").status, 200);
  auto total = [&](const std::string& target) {
    auto r = as(admin, "GET", target);
    EXPECT_EQ(r.status, 200) << target << " " << r.body;
    std::int64_t n = -1;
    if (r.json()["total"].get(n))
      return std::int64_t{-1};
    return n;
  };
  const std::string base = "/api/v1/support/tickets";
  EXPECT_EQ(total(base + "?q=late%20parcel"), 1);
  EXPECT_EQ(total(base + "?q=late+parcel"), 1);
  EXPECT_EQ(total(base + "?status=open%2Cclosed"), 2);
  EXPECT_EQ(total(base + "?status=closed"), 1);
  EXPECT_EQ(total(base + "?priority=high%2cmedium&category=billing%2Clogistics"), 2);
  EXPECT_EQ(total(base + "?sortBy=%2DcreatedAt&limit=1&page=%32"), 2);
  EXPECT_EQ(total(base + "?assignedTo=%52EP-999999"), 0);
  // Times with their colons escaped, as URLSearchParams and requests send them.
  auto m = as(admin, "GET", "/api/v1/support/metrics?from=2020-01-01T00%3A00%3A00.000Z&to=2999-01-01T00%3A00%3A00.000%2B05%3A30");
  ASSERT_EQ(m.status, 200) << m.body;
  std::int64_t created = 0;
  ASSERT_FALSE(m.json()["created"].get(created));
  EXPECT_EQ(created, 2);
  auto audit = as(admin, "GET", "/api/v1/audit/events?from=2020-01-01T00%3A00%3A00Z&type=ticket%2Ecreated&entity=" + t1);
  ASSERT_EQ(audit.status, 200) << audit.body;
  simdjson::dom::array events;
  ASSERT_FALSE(audit.json()["events"].get(events));
  EXPECT_EQ(events.size(), 1u);
  // Reps and call logs take encoded filters too.
  auto r = rep(admin, "a@x.in", R"(,"territory":"south zone")");
  EXPECT_EQ(total("/api/v1/crm/sales-reps?territory=south%20zone&status=active%2Cinactive"), 1);
  EXPECT_EQ(total("/api/v1/crm/sales-reps?territory=south+zone"), 1);
  EXPECT_EQ(total("/api/v1/crm/call-logs?status=pending%2Ccompleted&assignedTo=" + r), 0);
  auto perf = as(admin, "GET", "/api/v1/crm/sales-reps/" + r + "/performance?from=2020-01-01T00%3A00%3A00.000Z");
  EXPECT_EQ(perf.status, 200) << perf.body;
  // A path segment may be escaped; a value that decodes to bytes that are not UTF-8 is 400.
  EXPECT_EQ(as(admin, "GET", "/api/v1/support/%74ickets/" + t1).status, 200);
  EXPECT_EQ(as(admin, "GET", base + "?q=%FF%FE").status, 400);
  EXPECT_EQ(as(admin, "GET", base + "/TKT-%FF").status, 400);
  EXPECT_EQ(as(admin, "GET", base + "?status=%ZZ").status, 400);
  // Unknown values still 422, unknown parameters 400, decoded or not.
  EXPECT_EQ(as(admin, "GET", base + "?status=op%65n%2Cwaiting").status, 422);
  EXPECT_EQ(as(admin, "GET", base + "?st%61tuses=open").status, 400);
}

TEST_F(hardening, hostile_identifiers_and_header_bytes_are_refused_and_the_server_starts_again) {
  auto c = company();
  const std::string body = R"({"category":"other","subject":"s"})";
  const std::string base = "/api/v1/support/tickets";
  for (std::string bad : {std::string("caf\xE9"), std::string("a|b"), std::string(65, 'x'), std::string("a b"),
                          std::string("a/b"), std::string("\xC3\xA9t\xC3\xA9"), std::string("a\tb")}) {
    auto r = platform("POST", base, body, {{"X-Company-Id", bad}});
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_EQ(detail_fields(r), (std::set<std::string>{"X-Company-Id"})) << bad;
  }
  EXPECT_EQ(platform("GET", base, {}, {{"X-Company-Id", ""}}).status, 400);
  for (std::string bad : {std::string("B|K"), std::string("k\xE9"), std::string(65, 'k'), std::string("k k"), std::string()}) {
    auto r = in(c, "POST", base, body, {{"Idempotency-Key", bad}});
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_EQ(detail_fields(r), (std::set<std::string>{"Idempotency-Key"})) << bad;
  }
  auto auth = client_.request("GET", base, {}, {{"Authorization", "Bearer \xFF\xFE"}, {"X-Company-Id", c}});
  EXPECT_EQ(auth.status, 400) << auth.body;
  // Identifiers in bodies: 422 naming the field.
  auto t = in(c, "POST", base, R"({"category":"other","subject":"s","relatedOrderId":"ORD 1/2","shipmentId":"S|1"})");
  EXPECT_EQ(t.status, 422);
  EXPECT_EQ(detail_fields(t), (std::set<std::string>{"relatedOrderId", "shipmentId"}));
  auto ndr = in(c, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N|1","orderId":"O\u0000","shipmentId":"x"})");
  EXPECT_EQ(ndr.status, 422);
  EXPECT_EQ(detail_fields(ndr), (std::set<std::string>{"ndrEventId", "orderId"}));
  // Bodies that are not UTF-8, or escape to a lone surrogate: 400.
  EXPECT_EQ(in(c, "POST", base, "{\"category\":\"other\",\"subject\":\"caf\xE9\"}").status, 400);
  auto surrogate = in(c, "POST", base, R"({"category":"other","subject":"\ud800"})");
  EXPECT_EQ(surrogate.status / 100, 4) << surrogate.body;
  // Text with every kind of character a client may legally send is stored and read back.
  auto odd = in(c, "POST", base, R"({"category":"other","subject":"quote \" slash \\ tab \t nl \n nul \u0000 emoji \ud83d\ude00 | \u2028"})");
  ASSERT_EQ(odd.status, 201) << odd.body;
  auto id = odd.str("ticketId");
  auto subject = odd.str("subject");
  ASSERT_EQ(in(c, "POST", base + "/" + id + "/notes", R"({"note":"\u0001\u001f | e|x c|y i|z"})").status, 201);
  restart();
  auto again = in(c, "GET", base + "/" + id);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.str("subject"), subject);
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", (dir_->path() / "data").string()}, out), 0) << out;
}

TEST_F(hardening, one_idempotency_key_of_two_companies_never_meets) {
  // Company ids and keys are length-prefixed in storage: no pair of (company, key) can meet
  // another, and each company gets its own answer back.
  auto a = company("a"), ab = company("a.b");
  auto ra = in(a, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"A's"})", {{"Idempotency-Key", "b.k"}});
  auto rb = in(ab, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"A's"})", {{"Idempotency-Key", "k"}});
  ASSERT_EQ(ra.status, 201);
  ASSERT_EQ(rb.status, 201);
  EXPECT_NE(ra.str("ticketId"), rb.str("ticketId"));
  EXPECT_EQ(rb.headers.count("idempotent-replayed"), 0u);
  auto rb2 = in(ab, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"A's"})", {{"Idempotency-Key", "k"}});
  EXPECT_EQ(rb2.str("ticketId"), rb.str("ticketId"));
  EXPECT_EQ(rb2.headers["idempotent-replayed"], "true");
  restart();
  auto ra2 = in(a, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"A's"})", {{"Idempotency-Key", "b.k"}});
  EXPECT_EQ(ra2.str("ticketId"), ra.str("ticketId"));
}

TEST_F(hardening, content_type_must_be_json_exactly) {
  auto admin = key(company(), "admin");
  const std::string body = R"({"category":"other","subject":"s"})";
  for (std::string ct : {"application/jsonx", "text/json", "application/json-patch+json", "application/x-www-form-urlencoded"}) {
    auto r = as(admin, "POST", "/api/v1/support/tickets", body, {{"Content-Type", ct}});
    EXPECT_EQ(r.status, 415) << ct;
  }
  for (std::string ct : {"application/json", "application/json; charset=utf-8", "Application/JSON", " application/json ;charset=UTF-8"})
    EXPECT_EQ(as(admin, "POST", "/api/v1/support/tickets", body, {{"Content-Type", ct}}).status, 201) << ct;
}

TEST_F(hardening, a_body_of_a_hundred_thousand_bad_array_elements_is_one_short_422) {
  // Each element of ivrResponses is read by a nested reader: its problems are collected once,
  // not rebuilt into an error per element (quadratic: minutes on an io thread for this body).
  std::string body = R"({"ivrResponses":[)";
  for (int i = 0; i < 100000; ++i)
    body += i ? R"(,{"q":1})" : R"({"q":1})";
  body += "]}";
  ASSERT_LT(body.size(), 1u << 20);
  auto r = in(company(), "PUT", "/api/v1/crm/call-logs/CALL-000001", body);
  EXPECT_EQ(r.status, 422) << r.body.substr(0, 300);
  EXPECT_LT(r.body.size(), 8000u);
  EXPECT_NE(r.body.find("ivrResponses[0].q"), std::string::npos) << r.body.substr(0, 300);
  EXPECT_NE(r.body.find("more problems not shown"), std::string::npos);
  EXPECT_EQ(client_.request("GET", "/healthz").status, 200);
}

TEST_F(hardening, a_known_path_with_another_method_is_405_naming_the_methods_it_takes) {
  auto admin = key(company(), "admin");
  auto m = client_.request("PUT", "/metrics");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.headers["allow"], "GET");
  auto t = as(admin, "DELETE", "/api/v1/support/tickets");
  EXPECT_EQ(t.status, 405);
  EXPECT_EQ(t.headers["allow"], "POST, GET");
  EXPECT_NE(t.body.find("method DELETE is not allowed"), std::string::npos) << t.body;
  auto one = as(admin, "POST", "/api/v1/support/tickets/TKT-000001");
  EXPECT_EQ(one.status, 405);
  EXPECT_NE(one.headers["allow"].find("GET"), std::string::npos) << one.headers["allow"];
  EXPECT_NE(one.headers["allow"].find("PUT"), std::string::npos) << one.headers["allow"];
  EXPECT_EQ(as(admin, "DELETE", "/api/v1/no/such/path").status, 404);
}

TEST_F(hardening, expect_100_continue_is_answered_and_a_bad_key_is_refused_before_the_body) {
  auto admin = key(company(), "admin");
  const std::string body = R"({"category":"other","subject":"continued"})";
  raw_socket s(port());
  s.send("POST /api/v1/support/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin
         + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
         + std::to_string(body.size()) + "\r\n\r\n");
  auto cont = s.read_all("\r\n\r\n");
  EXPECT_EQ(cont.substr(0, 25), "HTTP/1.1 100 Continue\r\n\r\n");
  s.send(body);
  auto created = s.read_all("continued");
  EXPECT_NE(created.find("HTTP/1.1 201"), std::string::npos) << created;
  // Behind a pipelined request, no 100 may overtake its answer: the body is read without one.
  raw_socket p(port());
  p.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /api/v1/support/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
         + admin + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
         + std::to_string(body.size()) + "\r\n\r\n" + body);
  auto both = p.read_all("continued");
  EXPECT_EQ(both.find("HTTP/1.1 100"), std::string::npos) << both;
  auto ok = both.find("HTTP/1.1 200"), made = both.find("HTTP/1.1 201");
  EXPECT_NE(ok, std::string::npos) << both;
  EXPECT_NE(made, std::string::npos) << both;
  EXPECT_LT(ok, made);
  // A megabyte announced with no valid key: answered 401 from the headers, body never sent.
  raw_socket t(port());
  auto started = std::chrono::steady_clock::now();
  t.send("POST /api/v1/support/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
         "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n");
  auto refused = t.read_all("}}");
  EXPECT_NE(refused.find("HTTP/1.1 401"), std::string::npos) << refused;
  EXPECT_NE(refused.find("WWW-Authenticate: Bearer"), std::string::npos) << refused;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  // The same with a wrong content type: 415 before the body.
  raw_socket u(port());
  u.send("POST /api/v1/support/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin
         + "\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n");
  EXPECT_NE(u.read_all("}}").find("HTTP/1.1 415"), std::string::npos);
}

TEST_F(hardening, error_answers_are_bounded_whatever_the_body) {
  auto admin = key(company(), "admin");
  std::string body = "{";
  for (int i = 0; i < 20000; ++i)
    body += "\"unknown_field_" + std::to_string(i) + "\":1,";
  body += "\"category\":\"other\",\"subject\":\"s\"}";
  ASSERT_LT(body.size(), 1u << 20);
  auto r = as(admin, "POST", "/api/v1/support/tickets", body, {{"Idempotency-Key", "many-unknowns"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_LT(r.body.size(), 16u << 10);
  simdjson::dom::array details;
  ASSERT_FALSE(r.json()["error"]["details"].get(details));
  EXPECT_EQ(details.size(), 51u);
  EXPECT_NE(r.body.find("more problems not shown"), std::string::npos);
  // The replay is the same short answer.
  auto again = as(admin, "POST", "/api/v1/support/tickets", body, {{"Idempotency-Key", "many-unknowns"}});
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
}

TEST_F(hardening, reads_of_companies_without_data_cost_nothing) {
  auto before = metric("crm_company_registries");
  ASSERT_GE(before, 0);
  for (int i = 0; i < 200; ++i) {
    auto c = "nobody-" + std::to_string(i);
    EXPECT_EQ(in(c, "GET", "/api/v1/support/tickets").status, 200);
    EXPECT_EQ(in(c, "GET", "/api/v1/support/tickets/TKT-000001").status, 404);
    EXPECT_EQ(in(c, "GET", "/api/v1/crm/sales-reps?status=active").status, 200);
    EXPECT_EQ(in(c, "GET", "/api/v1/support/metrics").status, 200);
  }
  EXPECT_EQ(metric("crm_company_registries"), before);
  // A write makes the company: one registry more.
  ASSERT_EQ(in("somebody", "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"s"})").status, 201);
  EXPECT_EQ(metric("crm_company_registries"), before + 1);
}

TEST_F(hardening, a_ticket_holds_at_most_1000_notes) {
  auto admin = key(company(), "admin");
  auto id = ticket(admin);
  for (int i = 0; i < 999; ++i)
    ASSERT_EQ(as(admin, "POST", "/api/v1/support/tickets/" + id + "/notes", R"({"note":"n"})").status, 201) << i;
  ASSERT_EQ(as(admin, "PUT", "/api/v1/support/tickets/" + id, R"({"notes":"the 1000th"})").status, 200);
  auto more = as(admin, "POST", "/api/v1/support/tickets/" + id + "/notes", R"({"note":"n"})");
  EXPECT_EQ(more.status, 409) << more.body;
  EXPECT_EQ(detail_fields(more), (std::set<std::string>{"notes"}));
  EXPECT_EQ(as(admin, "PUT", "/api/v1/support/tickets/" + id, R"({"notes":"one more"})").status, 409);
  // Other changes still work.
  EXPECT_EQ(as(admin, "PUT", "/api/v1/support/tickets/" + id, R"({"status":"in-progress"})").status, 200);
  // Snapshots leave the notes in their events; a reload gathers them, in order.
  restart();
  auto t = as(admin, "GET", "/api/v1/support/tickets/" + id);
  ASSERT_EQ(t.status, 200);
  simdjson::dom::array notes;
  ASSERT_FALSE(t.json()["notes"].get(notes));
  ASSERT_EQ(notes.size(), 1000u);
  EXPECT_EQ(std::string(notes.at(0)["noteId"].get_string().value()), id + "-N1");
  EXPECT_EQ(std::string(notes.at(999)["note"].get_string().value()), "the 1000th");
  EXPECT_EQ(t.str("status"), "in-progress");
  EXPECT_EQ(as(admin, "POST", "/api/v1/support/tickets/" + id + "/notes", R"({"note":"n"})").status, 409);
}

TEST_F(hardening, smaller_defects) {
  auto c = company();
  auto admin = key(c, "admin");
  auto id = ticket(admin);
  // null for a required field is 422, not "absent"; "" is not null.
  EXPECT_EQ(as(admin, "PUT", "/api/v1/crm/dispatcher/settings", R"({"assignTickets":null})").status, 422);
  auto empty = as(admin, "PUT", "/api/v1/support/tickets/" + id, R"({"assignedTo":""})");
  EXPECT_EQ(empty.status, 422);
  EXPECT_EQ(detail_fields(empty), (std::set<std::string>{"assignedTo"}));
  EXPECT_EQ(as(admin, "PUT", "/api/v1/support/tickets/" + id, R"({"assignedTo":null})").status, 200);
  // One 422 names every bad field: those of the body and those of the rules alike.
  auto all = as(admin, "POST", "/api/v1/support/tickets", R"({"category":"weather","subject":"","priority":"urgent","typo":1})");
  EXPECT_EQ(all.status, 422);
  EXPECT_EQ(detail_fields(all), (std::set<std::string>{"category", "subject", "priority", "typo"})) << all.body;
  auto ndr_all = as(admin, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"a b","attempt":0,"paymentMode":"card","codAmount":"x","action":"fly"})");
  EXPECT_EQ(ndr_all.status, 422);
  EXPECT_EQ(detail_fields(ndr_all), (std::set<std::string>{"ndrEventId", "attempt", "paymentMode", "codAmount", "action"})) << ndr_all.body;
  // Duplicate keys.
  auto dup = as(admin, "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"a","subject":"b"})");
  EXPECT_EQ(dup.status, 422);
  EXPECT_EQ(detail_fields(dup), (std::set<std::string>{"subject"}));
  // Money: two decimals at most, exactly.
  int n = 0;
  auto money = [&](const std::string& v) {
    return as(admin, "POST", "/api/v1/ndr/events",
              R"({"ndrEventId":"N-)" + std::to_string(++n) + R"(","paymentMode":"cod","codAmount":)" + v + "}")
      .status;
  };
  EXPECT_EQ(money("1.00000001"), 422);
  EXPECT_EQ(money("1.000000000000000001"), 422); // the double 1.0: the text has 18 places
  EXPECT_EQ(money("150e-2"), 201);
  EXPECT_EQ(money("0.001"), 422);
  EXPECT_EQ(money("1499.99"), 201);
  EXPECT_EQ(money("0.29"), 201);
  // Integers out of any range are a 422, not undefined behaviour.
  auto huge = as(admin, "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N-huge","attempt":1e300})");
  EXPECT_EQ(huge.status, 422) << huge.body;
  // Times and seqs out of range.
  EXPECT_EQ(as(admin, "GET", "/api/v1/support/metrics?from=2026-11-24T10:00:00.000%2B99:99").status, 400);
  EXPECT_EQ(as(admin, "GET", "/api/v1/audit/events?after=18446744073709551616").status, 400);
  EXPECT_EQ(as(admin, "GET", "/api/v1/audit/events?after=18446744073709551615").status, 200);
  // 404s never echo bytes that are not UTF-8 (they are 400 now) and stay valid JSON.
  auto nf = as(admin, "GET", "/api/v1/support/tickets/TKT-%E2%82%AC");
  EXPECT_EQ(nf.status, 404);
  EXPECT_TRUE(nf.json().is_object()) << nf.body;
}

TEST(hardening_server, a_pipelining_client_that_does_not_read_is_bounded) {
  testing::temp_dir dir;
  testing::server_process s((dir.path() / "data").string(), {}, {{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s.ready());
  http_client c(s.port());
  headers h{{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}};
  std::string description(9000, 'd');
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(c.request("POST", "/api/v1/support/tickets",
                        R"({"category":"other","subject":"s","description":")" + description + "\"}", h).status, 201);
  // About 1 MB an answer; 40 asked for at once, none read.
  std::string one = "GET /api/v1/support/tickets?limit=100 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + platform_token
                    + "\r\nX-Company-Id: acme\r\n\r\n";
  raw_socket greedy(s.port(), 4096);
  std::string all;
  for (int i = 0; i < 40; ++i)
    all += one;
  greedy.send(all);
  auto buffered = [&] { return metric_in(c.request("GET", "/metrics"), "crm_http_buffered_output_bytes").value_or(-1); };
  // Polls while the server works through what it may take: the kernel's socket buffers fill
  // first, then the server's own, up to its bound, and there it stops reading.
  double most = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until)
    most = std::max(most, buffered());
  EXPECT_GT(most, 0);
  // The 1 MiB bound plus the answers in flight when it was crossed (4 ahead at most), not 40.
  EXPECT_LE(most, (1 << 20) + 4 * 1'000'000);
  // Reading again, the client gets every answer, in order.
  std::string got;
  char buf[1 << 16];
  int answers = 0;
  while (answers < 40) {
    auto n = ::recv(greedy.fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "answers so far: " << answers;
    got.append(buf, static_cast<std::size_t>(n));
    std::size_t pos = 0;
    answers = 0;
    while ((pos = got.find("HTTP/1.1 200", pos)) != std::string::npos) {
      ++answers;
      ++pos;
    }
  }
  EXPECT_EQ(answers, 40);
}

TEST(hardening_server, connections_past_the_limit_are_closed_and_counted) {
  testing::temp_dir dir;
  testing::server_process s((dir.path() / "data").string(), {"--max-connections", "8"},
                            {{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s.ready());
  {
    // The server sees closes (of the readiness probes, say) a moment after they happen: first
    // wait until this connection is the only one it counts.
    http_client c(s.port());
    auto m = metrics_until(c, [](const http_response& r) { return metric_in(r, "crm_http_open_connections") == 1; });
    ASSERT_EQ(metric_in(m, "crm_http_open_connections"), 1) << m.body;
    std::vector<std::unique_ptr<raw_socket>> idle; // 7 more, each served once: 8 open
    for (int i = 0; i < 7; ++i) {
      idle.push_back(std::make_unique<raw_socket>(s.port()));
      idle.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      EXPECT_NE(idle.back()->read_all("\r\n\r\n").find("HTTP/1.1 200"), std::string::npos) << i;
    }
    raw_socket ninth(s.port());
    ninth.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(ninth.read_all(), ""); // closed at once, unanswered
  }
  // The server sees the closes a moment later: until then a new connection may still be
  // refused. It must get through within a few seconds, and the refusals were counted.
  auto m = metrics_until(s.port(), [](const http_response&) { return true; });
  ASSERT_EQ(m.status, 200);
  EXPECT_GE(metric_in(m, "crm_http_refused_connections_total").value_or(0), 1) << m.body;
}

TEST(hardening_server, a_low_descriptor_limit_lowers_the_connection_limit_so_clients_cannot_exhaust_it) {
  // The server inherits a hard limit of 1,100 descriptors: it keeps 1,024 for RocksDB and the
  // rest, so it takes at most 76 connections, closes the others at once, and stays answerable.
  testing::temp_dir dir;
  testing::server_process s((dir.path() / "data").string(), {}, {{"CRM_PLATFORM_TOKEN", platform_token}},
                            {"/usr/bin/prlimit", "--nofile=1100:1100", "--"});
  ASSERT_TRUE(s.ready()) << s.log();
  EXPECT_NE(s.log().find("--max-connections 10000 lowered to 76"), std::string::npos) << s.log();
  http_client first(s.port()); // once it is the only connection counted, 75 more fit
  auto seen = metrics_until(first, [](const http_response& r) { return metric_in(r, "crm_http_open_connections") == 1; });
  ASSERT_EQ(metric_in(seen, "crm_http_open_connections"), 1) << seen.body;
  std::vector<std::unique_ptr<raw_socket>> many;
  for (int i = 0; i < 150; ++i) {
    many.push_back(std::make_unique<raw_socket>(s.port()));
    many.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  int answered = 0;
  for (auto& c : many) // all kept open: the first 75 are served, the rest closed unanswered
    answered += c->read_all("\r\n\r\n").find("HTTP/1.1 200") != std::string::npos;
  EXPECT_EQ(answered, 75);
  many.clear();
  first.close();
  auto m = metrics_until(s.port(), [](const http_response&) { return true; });
  ASSERT_EQ(m.status, 200);
  EXPECT_GE(metric_in(m, "crm_http_refused_connections_total").value_or(0), 150 - 75) << m.body;
}

/// Sends `bytes`, which end in a body that stalls, to a server with a 1 s body timeout and a 60 s
/// idle timeout: the server closes the connection after the body's timeout, not the idle one,
/// and counts one timed-out connection. `got`: what it answered before closing.
void cut_off_by_the_body_timeout(const std::string& bytes, std::string& got) {
  testing::temp_dir dir;
  testing::server_process s((dir.path() / "data").string(), {"--body-timeout", "1s", "--idle-timeout", "60s"},
                            {{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s.ready());
  raw_socket slow(s.port());
  auto started = std::chrono::steady_clock::now();
  slow.send(bytes);
  got = slow.read_all(); // until the server closes
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(8)); // the body timeout, not the idle one
  // The socket is closed a moment before the count is taken.
  auto m = metrics_until(s.port(), [](const http_response& r) { return metric_in(r, "crm_http_timed_out_connections_total") == 1; });
  EXPECT_EQ(metric_in(m, "crm_http_timed_out_connections_total"), 1) << m.body;
}

/// A POST whose body stops after 5 of its 100 bytes.
std::string stalled_post() {
  return "POST /api/v1/support/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + platform_token
         + "\r\nX-Company-Id: acme\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"cat";
}

TEST(hardening_server, a_slow_body_is_cut_off_long_before_the_idle_timeout) {
  std::string got;
  cut_off_by_the_body_timeout(stalled_post(), got);
  EXPECT_EQ(got, ""); // the server closes it
}

TEST(hardening_server, an_answer_written_meanwhile_does_not_stretch_a_slow_body) {
  // Pipelined: a GET, then a POST whose body trickles. The GET's answer is written while the
  // body is awaited; the body keeps its own (short) deadline all the same.
  std::string got;
  cut_off_by_the_body_timeout("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + stalled_post(), got);
  EXPECT_NE(got.find("200 OK"), std::string::npos) << got; // the GET was answered
  EXPECT_EQ(got.find("201"), std::string::npos) << got;
}

TEST(hardening_server, an_idle_connection_is_closed_after_the_idle_timeout_and_a_busy_one_is_not) {
  testing::temp_dir dir;
  testing::server_process s((dir.path() / "data").string(), {"--idle-timeout", "1s"},
                            {{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s.ready());
  // Busy: a request every 300 ms for 2.4 s on one connection, each re-arming the deadline.
  raw_socket busy(s.port());
  for (int i = 0; i < 8; ++i) {
    busy.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto got = busy.read_all("\r\n\r\n");
    ASSERT_NE(got.find("200 OK"), std::string::npos) << "request " << i << ": " << got;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  // Idle: connected, nothing sent; and the busy one, now left alone.
  raw_socket idle(s.port());
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(idle.read_all(), ""); // closed by the server
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(8));
  auto rest = busy.read_all();
  EXPECT_EQ(rest.find("HTTP/1.1"), std::string::npos) << rest; // closed with nothing more sent
}

TEST(hardening_server, a_rate_below_one_spaces_requests_out) {
  testing::temp_dir dir;
  testing::server_process s((dir.path() / "data").string(), {"--rate-limit", "0.5"},
                            {{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s.ready());
  http_client c(s.port());
  headers h{{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}};
  EXPECT_EQ(c.request("GET", "/api/v1/support/tickets", {}, h).status, 200);
  auto second = c.request("GET", "/api/v1/support/tickets", {}, h);
  EXPECT_EQ(second.status, 429);
  EXPECT_EQ(second.headers["retry-after"], "2");
}

TEST(hardening_server, json_logs_are_json_whatever_the_message) {
  testing::temp_dir dir;
  auto data = (dir.path() / "da\"ta\\dir").string(); // quotes and backslashes reach the log
  testing::server_process s(data, {"--log-format", "json"}, {{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s.ready());
  EXPECT_EQ(s.terminate(), 0);
  std::istringstream lines(s.log());
  std::string line;
  int n = 0;
  simdjson::dom::parser p;
  while (std::getline(lines, line)) {
    if (line.empty())
      continue;
    simdjson::dom::element e;
    EXPECT_FALSE(p.parse(line).get(e)) << line;
    ++n;
  }
  EXPECT_GE(n, 2);
  EXPECT_NE(s.log().find("da\\\"ta\\\\dir"), std::string::npos) << s.log();
}

TEST(hardening_server, sigterm_during_a_write_flood_keeps_every_answered_write) {
  testing::temp_dir dir;
  auto data = (dir.path() / "data").string();
  auto s = std::make_unique<testing::server_process>(data, std::vector<std::string>{},
                                                     std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s->ready());
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::string> answered;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      http_client c(s->port());
      headers h{{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}};
      for (int i = 0; !stop; ++i) {
        auto r = c.request("POST", "/api/v1/support/tickets",
                           R"({"category":"other","subject":"w)" + std::to_string(w) + "-" + std::to_string(i) + "\"}", h);
        if (r.status == 0)
          break; // the server is gone
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(mu);
          answered.push_back(r.str("ticketId"));
        }
      }
    });
  while (true) { // SIGTERM once the flood is well under way
    std::this_thread::yield();
    std::lock_guard<std::mutex> lock(mu);
    if (answered.size() >= 300)
      break;
  }
  EXPECT_EQ(s->terminate(), 0);
  stop = true;
  for (auto& t : writers)
    t.join();
  s = std::make_unique<testing::server_process>(data, std::vector<std::string>{},
                                                std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s->ready());
  http_client c(s->port());
  headers h{{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}};
  for (auto& id : answered)
    EXPECT_EQ(c.request("GET", "/api/v1/support/tickets/" + id, {}, h).status, 200) << id;
  EXPECT_GE(answered.size(), 300u);
}

TEST(hardening_server, an_idempotency_key_is_written_with_its_change_so_a_crash_between_never_repeats_it) {
  testing::temp_dir dir;
  auto data = (dir.path() / "data").string();
  // The fault: every answer leaves, but no Idempotency-Key record is written after it, exactly
  // as when the process dies between the change and its answer's record. What protects the
  // retry is the record written in the change's own batch.
  auto s = std::make_unique<testing::server_process>(
    data, std::vector<std::string>{},
    std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", platform_token}, {"CRM_FAULT_DROP_IDEMPOTENCY_ANSWERS", "1"}});
  ASSERT_TRUE(s->ready());
  http_client c(s->port());
  headers h{{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}};
  auto with_key = [&](const std::string& k) {
    auto x = h;
    x.emplace_back("Idempotency-Key", k);
    return x;
  };
  struct call_t {
    std::string target, body, key;
    int status;
  };
  auto rep_r = c.request("POST", "/api/v1/crm/sales-reps", R"({"name":"R","email":"r@x.in","phone":"9876543210","territory":"north"})",
                         with_key("rep-1"));
  ASSERT_EQ(rep_r.status, 201) << rep_r.body;
  auto t = c.request("POST", "/api/v1/support/tickets", R"({"category":"other","subject":"once"})", with_key("t-1"));
  ASSERT_EQ(t.status, 201);
  auto id = t.str("ticketId");
  std::vector<call_t> calls = {
    {"/api/v1/support/tickets/" + id + "/notes", R"({"note":"once"})", "n-1", 201},
    {"/api/v1/ndr/events", R"({"ndrEventId":"NDR-1","shipmentId":"S1","action":"call","territory":"north"})", "ndr-1", 201},
    {"/api/v1/admin/api-keys", R"({"companyId":"acme","role":"viewer","name":"k"})", "key-1", 201},
  };
  std::vector<http_response> first;
  for (auto& x : calls) {
    first.push_back(c.request("POST", x.target, x.body, with_key(x.key)));
    ASSERT_EQ(first.back().status, x.status) << x.target << " " << first.back().body;
  }
  auto call_id = first[1].str("callLogId");
  ASSERT_FALSE(call_id.empty());
  auto cb = c.request("POST", "/api/v1/crm/call-logs/" + call_id + "/callback", R"({"scheduledFor":"2030-01-01T00:00:00.000Z"})",
                      with_key("cb-1"));
  ASSERT_EQ(cb.status, 200) << cb.body;
  calls.push_back({"/api/v1/crm/call-logs/" + call_id + "/callback", R"({"scheduledFor":"2030-01-01T00:00:00.000Z"})", "cb-1", 200});
  first.push_back(cb);
  calls.push_back({"/api/v1/crm/sales-reps", R"({"name":"R","email":"r@x.in","phone":"9876543210","territory":"north"})", "rep-1", 201});
  first.push_back(rep_r);
  calls.push_back({"/api/v1/support/tickets", R"({"category":"other","subject":"once"})", "t-1", 201});
  first.push_back(t);
  auto seq = [&](http_client& cl) { return metric_in(cl.request("GET", "/metrics"), "crm_last_event_seq").value_or(-1); };
  auto before = seq(c);
  s->kill9();
  s = std::make_unique<testing::server_process>(data, std::vector<std::string>{},
                                                std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", platform_token}});
  ASSERT_TRUE(s->ready());
  http_client d(s->port());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto again = d.request("POST", calls[i].target, calls[i].body, with_key(calls[i].key));
    EXPECT_EQ(again.status, calls[i].status) << calls[i].target << " " << again.body;
    EXPECT_EQ(again.headers["idempotent-replayed"], "true") << calls[i].target;
    if (calls[i].key == "key-1") {
      EXPECT_EQ(again.str("id"), first[i].str("id"));
      EXPECT_EQ(again.str("key"), "");
    } else {
      EXPECT_EQ(again.body, first[i].body) << calls[i].target;
    }
  }
  EXPECT_EQ(seq(d), before); // nothing was done twice
}

} // namespace
} // namespace crm::blackbox
