// Sales representatives (CONTRACT section 5) through the real binary: every row, validation,
// roles, tenancy, bank details (masking, reveal, never in plain text on disk or in the log, key
// rotation with crm-admin) and performance.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "blackbox/fixture.hpp"

namespace crm::blackbox {
namespace {

const std::string base = "/api/v1/crm/sales-reps";
const std::string bank = R"("bankDetails":{"accountNumber":"987654321012","ifscCode":"HDFC0001234","accountHolderName":"Asha Rao"})";

class reps : public server_suite {};

TEST_F(reps, create_get_list_update_delete) {
  auto m = key(company(), "manager");
  auto r = as(m, "POST", base,
              R"({"name":"Asha Rao","email":"asha@x.in","phone":"+919876543210","territory":"north",)"
              R"("skills":["logistics"],"maxOpenItems":5,"commissionPerTicket":150.5})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.str("id");
  EXPECT_EQ(id.substr(0, 4), "REP-");
  EXPECT_EQ(r.str("name"), "Asha Rao");
  EXPECT_EQ(r.str("status"), "active");
  EXPECT_FALSE(r.str("createdAt").empty());

  auto g = as(m, "GET", base + "/" + id);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.str("email"), "asha@x.in");
  EXPECT_EQ(g.str("territory"), "north");
  EXPECT_EQ(g.str("availabilityStatus"), "available");
  EXPECT_TRUE(g.json()["reportingTo"].is_null());
  EXPECT_TRUE(g.json()["bankDetails"].is_null());
  double commission = 0;
  EXPECT_FALSE(g.json()["commissionPerTicket"].get(commission));
  EXPECT_DOUBLE_EQ(commission, 150.5);
  std::int64_t cap = 0;
  EXPECT_FALSE(g.json()["maxOpenItems"].get(cap));
  EXPECT_EQ(cap, 5);
  auto first_activity = g.str("lastActivityAt");

  auto other = rep(m, "ravi@x.in", R"(,"territory":"south","reportingTo":")" + id + "\"");
  auto l = as(m, "GET", base + "?territory=north");
  ASSERT_EQ(l.status, 200) << l.body;
  simdjson::dom::array items;
  ASSERT_FALSE(l.json()["reps"].get(items));
  ASSERT_EQ(items.size(), 1u);
  std::int64_t total = 0;
  EXPECT_FALSE(l.json()["total"].get(total));
  EXPECT_EQ(total, 1);
  l = as(m, "GET", base + "?limit=1&page=2&sortBy=createdAt");
  ASSERT_EQ(l.status, 200) << l.body;
  ASSERT_FALSE(l.json()["reps"].get(items));
  ASSERT_EQ(items.size(), 1u);
  std::string_view second;
  EXPECT_FALSE(items.at(0)["id"].get(second));
  EXPECT_EQ(second, other);
  std::int64_t pages = 0;
  EXPECT_FALSE(l.json()["pages"].get(pages));
  EXPECT_EQ(pages, 2);

  auto u = as(m, "PUT", base + "/" + id, R"({"availabilityStatus":"busy","maxOpenItems":null,"territory":"east"})");
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(u.str("id"), id);
  EXPECT_EQ(u.body.find(R"("updated":true)") != std::string::npos, true);
  g = as(m, "GET", base + "/" + id);
  EXPECT_EQ(g.str("availabilityStatus"), "busy");
  EXPECT_EQ(g.str("territory"), "east");
  EXPECT_TRUE(g.json()["maxOpenItems"].is_null());
  EXPECT_GE(g.str("lastActivityAt"), first_activity);
  EXPECT_EQ(as(m, "GET", base + "?availabilityStatus=busy").json()["total"].get_int64().value(), 1);

  auto d = as(m, "DELETE", base + "/" + id);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_NE(d.body.find(R"("deleted":true)"), std::string::npos);
  EXPECT_EQ(as(m, "GET", base + "/" + id).str("status"), "inactive");
  EXPECT_EQ(as(m, "GET", base + "?status=inactive").json()["total"].get_int64().value(), 1);
  EXPECT_EQ(as(m, "DELETE", base + "/" + id).status, 409);
  EXPECT_EQ(as(m, "GET", base + "/REP-999999").status, 404);
}

TEST_F(reps, bad_input_names_the_field) {
  auto m = key(company(), "manager");
  auto r = as(m, "POST", base, R"({"name":"A","email":"nope","phone":"12345"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"email", "phone"}));
  auto a = key(company(), "admin");
  r = as(a, "POST", base,
         R"({"name":"A","email":"a@x.in","phone":"9876543210","bankDetails":{"accountNumber":"12AB","ifscCode":"HDFC1001234","accountHolderName":"A"}})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"bankDetails.accountNumber", "bankDetails.ifscCode"}));
  r = as(m, "POST", base, R"({"name":"A","email":"a@x.in","phone":"9876543210","nickname":"x"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"nickname"});
  r = as(m, "POST", base, R"({"name":"A","email":"a@x.in","phone":"9876543210","availabilityStatus":"asleep"})");
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"availabilityStatus"});
  EXPECT_EQ(as(m, "POST", base, R"({"name":"A",)").status, 400);
  EXPECT_EQ(as(m, "GET", base + "?colour=red").status, 400);
  EXPECT_EQ(as(m, "GET", base + "?status=sleeping").status, 422);

  auto one = rep(m, "one@x.in");
  r = as(m, "POST", base, R"({"name":"B","email":"ONE@x.in","phone":"9876543211"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find(one), std::string::npos);
  r = as(m, "POST", base, R"({"name":"B","email":"b@x.in","phone":"9876543211","reportingTo":"REP-999999"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"reportingTo"});
  // A rep of another company is no rep here.
  auto foreign = rep(key(company("b"), "manager"), "f@x.in");
  r = as(m, "POST", base, R"({"name":"B","email":"b@x.in","phone":"9876543211","reportingTo":")" + foreign + "\"}");
  EXPECT_EQ(r.status, 422);
  // Cycles: one <- two <- three; one may not report to three.
  auto two = rep(m, "two@x.in", R"(,"reportingTo":")" + one + "\"");
  auto three = rep(m, "three@x.in", R"(,"reportingTo":")" + two + "\"");
  r = as(m, "PUT", base + "/" + one, R"({"reportingTo":")" + three + "\"}");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields(r), std::set<std::string>{"reportingTo"});
  EXPECT_EQ(as(m, "PUT", base + "/" + one, R"({"reportingTo":")" + one + "\"}").status, 422);
  EXPECT_EQ(as(m, "PUT", base + "/" + two, R"({"email":"one@x.in"})").status, 409);
  EXPECT_EQ(as(m, "PUT", base + "/" + two, R"({})").status, 422);
}

TEST_F(reps, roles_tenancy_and_bank_details) {
  auto c = company();
  auto admin = key(c, "admin");
  auto manager = key(c, "manager");
  auto viewer = key(c, "viewer");
  auto r = as(admin, "POST", base, R"({"name":"A","email":"a@x.in","phone":"9876543210",)" + bank + "}");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.str("id");
  auto agent = key(c, "agent", id);

  EXPECT_EQ(as(agent, "POST", base, R"({"name":"B","email":"b@x.in","phone":"9876543211"})").status, 403);
  EXPECT_EQ(as(viewer, "PUT", base + "/" + id, R"({"name":"B"})").status, 403);
  EXPECT_EQ(as(viewer, "DELETE", base + "/" + id).status, 403);
  EXPECT_EQ(as(manager, "POST", base, R"({"name":"B","email":"b@x.in","phone":"9876543211",)" + bank + "}").status, 403);

  // Masked for everyone; revealed to admin and platform only, and only when asked.
  for (auto* k : {&admin, &manager, &viewer, &agent}) {
    auto g = as(*k, "GET", base + "/" + id);
    ASSERT_EQ(g.status, 200);
    EXPECT_EQ(g.body.find("987654321012"), std::string::npos) << g.body;
    EXPECT_NE(g.body.find(R"("bankDetails":{"accountNumberMasked":"XXXXXX1012","ifscCode":"HDFC0001234"})"),
              std::string::npos)
      << g.body;
  }
  EXPECT_EQ(as(manager, "GET", base + "/" + id + "?reveal=bankDetails").status, 403);
  EXPECT_EQ(as(viewer, "GET", base + "/" + id + "?reveal=bankDetails").status, 403);
  auto shown = as(admin, "GET", base + "/" + id + "?reveal=bankDetails");
  ASSERT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find(R"("accountNumber":"987654321012")"), std::string::npos) << shown.body;
  shown = platform("GET", base + "/" + id + "?reveal=bankDetails", {}, {{"X-Company-Id", c}});
  EXPECT_NE(shown.body.find(R"("accountNumber":"987654321012")"), std::string::npos) << shown.body;
  EXPECT_EQ(as(admin, "GET", base + "/" + id + "?reveal=everything").status, 400);

  // An agent bound to the rep may set its own availability, and nothing else.
  EXPECT_EQ(as(agent, "PUT", base + "/" + id, R"({"availabilityStatus":"offline"})").status, 200);
  EXPECT_EQ(as(agent, "PUT", base + "/" + id, R"({"name":"Other"})").status, 403);
  auto someone = rep(manager, "s@x.in");
  EXPECT_EQ(as(agent, "PUT", base + "/" + someone, R"({"availabilityStatus":"offline"})").status, 403);
  EXPECT_EQ(as(admin, "GET", base + "/" + id).str("availabilityStatus"), "offline");

  // Tenancy: another company's key sees nothing.
  auto stranger = key(company("b"), "admin");
  EXPECT_EQ(as(stranger, "GET", base + "/" + id).status, 404);
  EXPECT_EQ(as(stranger, "PUT", base + "/" + id, R"({"name":"X"})").status, 404);
  EXPECT_EQ(as(stranger, "DELETE", base + "/" + id).status, 404);
  EXPECT_EQ(as(stranger, "GET", base + "/" + id + "/performance").status, 404);
  EXPECT_EQ(as(stranger, "GET", base).json()["total"].get_int64().value(), 0);
}

TEST_F(reps, performance_and_handing_back_work) {
  auto c = company();
  auto m = key(c, "manager");
  auto id = rep(m, "p@x.in", R"(,"commissionPerTicket":200)");
  auto agent = key(c, "agent", id);
  auto t1 = ticket(m);
  auto t2 = ticket(m);
  auto t3 = ticket(m);
  for (auto& t : {t1, t2, t3})
    ASSERT_EQ(as(m, "PUT", "/api/v1/support/tickets/" + t, R"({"assignedTo":")" + id + "\"}").status, 200);
  ASSERT_EQ(as(m, "PUT", "/api/v1/support/tickets/" + t1, R"({"status":"resolved"})").status, 200);

  auto mine = as(agent, "GET", "/api/v1/support/tickets?assignedTo=me");
  EXPECT_EQ(mine.json()["total"].get_int64().value(), 3) << mine.body;

  auto p = as(m, "GET", base + "/" + id + "/performance");
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.json()["ticketsAssigned"].get_int64().value(), 3);
  EXPECT_EQ(p.json()["ticketsResolved"].get_int64().value(), 1);
  EXPECT_DOUBLE_EQ(p.json()["slaCompliance"].get_double().value(), 1.0);
  EXPECT_GE(p.json()["avgResolutionTime"].get_int64().value(), 0);
  EXPECT_EQ(p.json()["callsCompleted"].get_int64().value(), 0);
  EXPECT_EQ(p.json()["leadsWon"].get_int64().value(), 0);
  EXPECT_DOUBLE_EQ(p.json()["commissionEarned"].get_double().value(), 200.0);
  // A new rate counts from now on: the ticket resolved before keeps the rate of its day.
  ASSERT_EQ(as(m, "PUT", base + "/" + id, R"({"commissionPerTicket":350.5})").status, 200);
  ASSERT_EQ(as(m, "PUT", "/api/v1/support/tickets/" + t2, R"({"status":"resolved"})").status, 200);
  auto p2 = as(m, "GET", base + "/" + id + "/performance");
  EXPECT_EQ(p2.json()["ticketsResolved"].get_int64().value(), 2);
  EXPECT_DOUBLE_EQ(p2.json()["commissionEarned"].get_double().value(), 550.5) << p2.body;
  ASSERT_EQ(as(m, "PUT", "/api/v1/support/tickets/" + t2, R"({"status":"in-progress"})").status, 200);
  auto later = as(m, "GET", base + "/" + id + "/performance?from=2099-01-01T00:00:00Z");
  EXPECT_EQ(later.json()["ticketsAssigned"].get_int64().value(), 0);
  EXPECT_TRUE(later.json()["avgResolutionTime"].is_null());
  EXPECT_EQ(as(m, "GET", base + "/" + id + "/performance?from=yesterday").status, 400);
  EXPECT_EQ(as(m, "GET", base + "/REP-999999/performance").status, 404);

  // Deleting the rep hands its open tickets back; the resolved one keeps its history.
  ASSERT_EQ(as(m, "DELETE", base + "/" + id).status, 200);
  bool released = false;
  for (int i = 0; i < 100 && !released; ++i) {
    released = as(m, "GET", "/api/v1/support/tickets/" + t2).json()["assignedTo"].is_null()
               && as(m, "GET", "/api/v1/support/tickets/" + t3).json()["assignedTo"].is_null();
    if (!released)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(released);
  EXPECT_EQ(as(m, "GET", "/api/v1/support/tickets/" + t1).str("assignedTo"), id);
}

// -- bank details at rest ---------------------------------------------------------------------

const std::string key_a(64, 'a');
const std::string key_b = std::string(32, '1') + std::string(32, 'f');

struct own_server {
  testing::temp_dir dir;
  std::string data() const { return (dir.path() / "data").string(); }
  std::unique_ptr<testing::server_process> start(std::map<std::string, std::string> env) {
    env["CRM_PLATFORM_TOKEN"] = platform_token;
    auto s = std::make_unique<testing::server_process>(data(), std::vector<std::string>{}, env);
    EXPECT_TRUE(s->ready()) << s->log();
    return s;
  }
};

http_response as_platform(unsigned short port, const std::string& method, const std::string& target,
                          const std::string& body = {}) {
  testing::http_client c(port);
  return c.request(method, target, body, {{"Authorization", "Bearer " + platform_token}, {"X-Company-Id", "acme"}});
}

/// True when any file under `root` holds `needle`.
bool any_file_holds(const std::filesystem::path& root, const std::string& needle, std::string& where) {
  for (auto& f : std::filesystem::recursive_directory_iterator(root)) {
    if (!f.is_regular_file())
      continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) {
      where = f.path().string();
      return true;
    }
  }
  return false;
}

int run_admin(const std::string& data, const std::string& current, const std::string& previous, std::string& out) {
  ::setenv("CRM_MASTER_KEY", current.c_str(), 1);
  ::setenv("CRM_MASTER_KEY_PREVIOUS", previous.c_str(), 1);
  int rc = testing::run_command({testing::binary("crm-admin"), "rotate-key", "--data-dir", data}, out);
  ::unsetenv("CRM_MASTER_KEY");
  ::unsetenv("CRM_MASTER_KEY_PREVIOUS");
  return rc;
}

TEST(bank_details, never_reach_the_disk_or_the_log_in_plain_text) {
  own_server n;
  auto s = n.start({{"CRM_MASTER_KEY", key_a}});
  auto r = as_platform(s->port(), "POST", base, R"({"name":"A","email":"a@x.in","phone":"9876543210",)" + bank + "}");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.str("id");
  ASSERT_EQ(as_platform(s->port(), "PUT", base + "/" + id,
                        R"({"bankDetails":{"accountNumber":"112233445566","ifscCode":"SBIN0000001","accountHolderName":"A"}})")
              .status,
            200);
  // Bad input echoing a number must not log it either.
  as_platform(s->port(), "PUT", base + "/" + id, R"({"bankDetails":{"accountNumber":"99887766554433221100","ifscCode":"x"}})");
  auto shown = as_platform(s->port(), "GET", base + "/" + id + "?reveal=bankDetails");
  EXPECT_NE(shown.body.find("112233445566"), std::string::npos) << shown.body; // the test can see it
  EXPECT_EQ(s->terminate(), 0);
  std::string where;
  for (auto* plain : {"987654321012", "112233445566", "99887766554433221100", "Asha Rao"}) {
    EXPECT_FALSE(any_file_holds(n.data(), plain, where)) << plain << " found in " << where;
    EXPECT_EQ(s->log().find(plain), std::string::npos) << plain << " found in the server log";
  }
}

TEST(bank_details, rotate_key_reseals_under_the_new_key) {
  own_server n;
  auto s = n.start({{"CRM_MASTER_KEY", key_a}});
  auto id = as_platform(s->port(), "POST", base, R"({"name":"A","email":"a@x.in","phone":"9876543210",)" + bank + "}").str("id");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(s->terminate(), 0);

  // The new key alone cannot open what the old one sealed...
  s = n.start({{"CRM_MASTER_KEY", key_b}});
  EXPECT_EQ(as_platform(s->port(), "GET", base + "/" + id + "?reveal=bankDetails").status, 503);
  EXPECT_EQ(as_platform(s->port(), "GET", base + "/" + id).status, 200); // masked still works
  EXPECT_EQ(s->terminate(), 0);
  // ...with the previous key beside it, it can.
  s = n.start({{"CRM_MASTER_KEY", key_b}, {"CRM_MASTER_KEY_PREVIOUS", key_a}});
  EXPECT_NE(as_platform(s->port(), "GET", base + "/" + id + "?reveal=bankDetails").body.find("987654321012"),
            std::string::npos);
  // crm-admin needs the data dir to itself.
  std::string out;
  EXPECT_EQ(run_admin(n.data(), key_b, key_a, out), 2);
  EXPECT_EQ(s->terminate(), 0);

  ASSERT_EQ(run_admin(n.data(), key_b, key_a, out), 0) << out;
  EXPECT_NE(out.find("1 re-encrypted"), std::string::npos) << out;
  ASSERT_EQ(run_admin(n.data(), key_b, key_a, out), 0) << out;
  EXPECT_NE(out.find("0 re-encrypted"), std::string::npos) << out;

  // After the rotation the new key alone opens it, and the old key is not needed.
  s = n.start({{"CRM_MASTER_KEY", key_b}});
  auto shown = as_platform(s->port(), "GET", base + "/" + id + "?reveal=bankDetails");
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_NE(shown.body.find("987654321012"), std::string::npos) << shown.body;
  auto ev = as_platform(s->port(), "GET", "/api/v1/audit/events?type=rep.bank_details_rekeyed");
  EXPECT_NE(ev.body.find(id), std::string::npos) << ev.body;
  EXPECT_EQ(ev.body.find("987654321012"), std::string::npos);
  EXPECT_EQ(s->terminate(), 0);
  std::string where;
  EXPECT_FALSE(any_file_holds(n.data(), "987654321012", where)) << where;
}

} // namespace
} // namespace crm::blackbox
