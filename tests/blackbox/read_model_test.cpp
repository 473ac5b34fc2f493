// Reads are served from the read model on the io threads, without a message to an actor: an
// answered write must be seen by the very next read, whatever the read (one entity, a filtered
// list, metrics, the dispatcher setting), from several clients at once.
#include <atomic>
#include <thread>

#include "blackbox/fixture.hpp"

namespace crm::blackbox {
namespace {

class read_model : public server_suite {};

TEST_F(read_model, every_answered_write_is_seen_by_the_next_read) {
  auto company_id = company();
  auto k = key(company_id, "admin");
  constexpr int threads = 4, rounds = 40;
  std::atomic<int> failures{0}, checked{0};
  auto fail = [&](const std::string& what, const http_response& r) {
    if (failures++ < 10)
      ADD_FAILURE() << what << ": " << r.status << " " << r.body;
  };
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      http_client c(port());
      headers auth{{"Authorization", "Bearer " + k}};
      for (int i = 0; i < rounds && failures == 0; ++i) {
        auto word = "rw" + std::to_string(w) + "x" + std::to_string(i);
        auto made = c.request("POST", "/api/v1/support/tickets",
                              R"({"category":"billing","subject":"read model )" + word + R"("})", auth);
        if (made.status != 201)
          return fail("create", made);
        auto id = made.str("ticketId");
        auto got = c.request("GET", "/api/v1/support/tickets/" + id, {}, auth);
        if (got.status != 200 || got.str("status") != "open")
          return fail("read after create", got);
        auto put = c.request("PUT", "/api/v1/support/tickets/" + id, R"({"status":"in-progress"})", auth);
        if (put.status != 200)
          return fail("update", put);
        got = c.request("GET", "/api/v1/support/tickets/" + id, {}, auth);
        if (got.str("status") != "in-progress")
          return fail("read after update", got);
        auto list = c.request("GET", "/api/v1/support/tickets?status=in-progress&q=" + word, {}, auth);
        if (list.status != 200 || list.body.find(id) == std::string::npos)
          return fail("list after update", list);
        auto note = c.request("POST", "/api/v1/support/tickets/" + id + "/notes", R"({"note":")" + word + R"("})", auth);
        if (note.status != 201)
          return fail("note", note);
        got = c.request("GET", "/api/v1/support/tickets/" + id, {}, auth);
        if (got.body.find(note.str("noteId")) == std::string::npos)
          return fail("read after note", got);
        checked++;
      }
    });
  for (auto& t : pool)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(checked.load(), threads * rounds);
  auto m = as(k, "GET", "/api/v1/support/metrics");
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_EQ(m.json()["created"].get_int64().value(), threads * rounds) << m.body;
}

TEST_F(read_model, rep_changes_and_settings_are_seen_by_the_next_read) {
  auto company_id = company();
  auto k = key(company_id, "admin");
  auto id = rep(k, "rw@x.in");
  for (auto a : {"busy", "offline", "available", "busy"}) {
    auto u = as(k, "PUT", "/api/v1/crm/sales-reps/" + id, std::string(R"({"availabilityStatus":")") + a + "\"}");
    ASSERT_EQ(u.status, 200) << u.body;
    auto g = as(k, "GET", "/api/v1/crm/sales-reps/" + id);
    EXPECT_EQ(g.str("availabilityStatus"), a);
    auto l = as(k, "GET", std::string("/api/v1/crm/sales-reps?availabilityStatus=") + a);
    EXPECT_NE(l.body.find(id), std::string::npos) << l.body;
  }
  for (auto on : {"true", "false", "true"}) {
    auto u = as(k, "PUT", "/api/v1/crm/dispatcher/settings", std::string(R"({"assignTickets":)") + on + "}");
    ASSERT_EQ(u.status, 200) << u.body;
    auto g = as(k, "GET", "/api/v1/crm/dispatcher/settings");
    EXPECT_NE(g.body.find(std::string("\"assignTickets\":") + on), std::string::npos) << g.body;
  }
}

TEST_F(read_model, reads_of_another_company_see_nothing) {
  auto a = key(company("a"), "admin");
  auto b = key(company("b"), "admin");
  auto t = ticket(a);
  auto r = rep(a, "other@x.in");
  EXPECT_EQ(as(b, "GET", "/api/v1/support/tickets/" + t).status, 404);
  EXPECT_EQ(as(b, "GET", "/api/v1/crm/sales-reps/" + r).status, 404);
  EXPECT_EQ(as(b, "GET", "/api/v1/crm/sales-reps/" + r + "/performance").status, 404);
  auto l = as(b, "GET", "/api/v1/support/tickets");
  EXPECT_EQ(l.json()["total"].get_int64().value(), 0) << l.body;
}

} // namespace
} // namespace crm::blackbox
