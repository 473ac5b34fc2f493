// Durability: graceful stop, kill -9 during concurrent writes, timers across restarts, replay
// equivalence and crm-audit on the data dir. Each test runs its own server.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "storage/store.hpp"
#include "testing/http_client.hpp"
#include "testing/server_process.hpp"
#include "testing/temp_dir.hpp"

namespace crm::blackbox {
namespace {

using testing::http_client;
using testing::http_response;
using testing::server_process;

const std::string token = "restart-test-token";

struct node {
  testing::temp_dir dir;
  std::string data() const { return (dir.path() / "data").string(); }
  std::unique_ptr<server_process> start(std::vector<std::string> args = {}) {
    auto s = std::make_unique<server_process>(data(), std::move(args),
                                              std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", token}});
    EXPECT_TRUE(s->ready()) << s->log();
    return s;
  }
};

http_response call(unsigned short port, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
  http_client c(port);
  return c.request(method, target, body,
                   {{"Authorization", "Bearer " + token}, {"X-Company-Id", "acme"}});
}

int count_events(unsigned short port, const std::string& type) {
  auto r = call(port, "GET", "/api/v1/audit/events?limit=1000&type=" + type);
  simdjson::dom::array a;
  if (r.json()["events"].get(a))
    return -1;
  return static_cast<int>(a.size());
}

TEST(restart, sigterm_exits_0_and_everything_is_there_after) {
  node n;
  auto s = n.start();
  auto r = call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"keep me"})");
  ASSERT_EQ(r.status, 201);
  auto id = r.str("ticketId");
  ASSERT_EQ(call(s->port(), "POST", "/api/v1/support/tickets/" + id + "/notes", R"({"note":"n1"})").status, 201);
  EXPECT_EQ(s->terminate(), 0);
  s = n.start();
  auto g = call(s->port(), "GET", "/api/v1/support/tickets/" + id);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.str("subject"), "keep me");
  EXPECT_NE(g.body.find("\"n1\""), std::string::npos);
  auto next = call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"next"})");
  EXPECT_EQ(next.str("ticketId"), "TKT-000002");
}

TEST(restart, kill_9_during_concurrent_writes_loses_no_answered_write) {
  node n;
  auto s = n.start();
  std::mutex mu;
  std::map<std::string, std::string> answered; // ticketId -> last answered status
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  auto port = s->port();
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      http_client c(port);
      const std::vector<std::pair<std::string, std::string>> h = {
        {"Authorization", "Bearer " + token}, {"X-Company-Id", "acme"}};
      for (int i = 0; !stop; ++i) {
        auto r = c.request("POST", "/api/v1/support/tickets",
                           R"({"category":"billing","subject":"crash )" + std::to_string(t) + "-" + std::to_string(i) + "\"}", h);
        if (r.status != 201)
          continue;
        auto id = r.str("ticketId");
        {
          std::lock_guard<std::mutex> lock(mu);
          answered[id] = "open";
        }
        ++writes;
        auto u = c.request("PUT", "/api/v1/support/tickets/" + id, R"({"status":"in-progress"})", h);
        if (u.status == 200) {
          std::lock_guard<std::mutex> lock(mu);
          answered[id] = "in-progress";
          ++writes;
        }
      }
    });
  while (writes < 400)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s->kill9(); // while the clients are writing
  stop = true;
  for (auto& c : clients)
    c.join();
  s = n.start();
  ASSERT_GE(answered.size(), 200u);
  for (auto& [id, status] : answered) {
    auto g = call(s->port(), "GET", "/api/v1/support/tickets/" + id);
    ASSERT_EQ(g.status, 200) << id << " was answered 201 but is gone";
    if (status == "in-progress") {
      EXPECT_EQ(g.str("status"), "in-progress") << id;
    }
  }
  s->terminate();
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, out), 0) << out;
  EXPECT_NE(out.find("OK:"), std::string::npos);
}

TEST(restart, kill_9_during_ndr_calls_loses_no_call_and_assigns_each_once) {
  node n;
  auto s = n.start();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(call(s->port(), "POST", "/api/v1/crm/sales-reps",
                   R"({"name":"R","email":"r)" + std::to_string(i) + R"(@x.in","phone":"9876543210","maxOpenItems":50})")
                .status,
              201);
  auto port = s->port();
  std::mutex mu;
  std::vector<std::string> answered; // call log ids answered 201
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        auto r = call(port, "POST", "/api/v1/ndr/events",
                      R"({"ndrEventId":"K-)" + std::to_string(t) + "-" + std::to_string(i) + R"(","action":"call"})");
        if (r.status != 201)
          continue;
        std::lock_guard<std::mutex> lock(mu);
        answered.push_back(r.str("callLogId"));
        ++writes;
      }
    });
  while (writes < 300)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s->kill9();
  stop = true;
  for (auto& c : clients)
    c.join();
  s = n.start();
  ASSERT_GE(answered.size(), 300u);
  for (auto& id : answered)
    ASSERT_EQ(call(s->port(), "GET", "/api/v1/crm/call-logs/" + id).status, 200) << id << " was answered 201 but is gone";
  // 3 reps x 50 places: 150 calls assigned, the rest wait; none twice.
  std::int64_t assigned = 0, total = 0;
  for (int i = 0; i < 500; ++i) {
    auto l = call(s->port(), "GET", "/api/v1/crm/call-logs?limit=1&assignedTo=null");
    total = call(s->port(), "GET", "/api/v1/crm/call-logs?limit=1").json()["total"].get_int64().value();
    assigned = total - l.json()["total"].get_int64().value();
    if (assigned == 150)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(assigned, 150);
  EXPECT_EQ(count_events(s->port(), "call.assigned"), 150);
  EXPECT_EQ(s->terminate(), 0);
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, out), 0) << out;
}

TEST(restart, a_deadline_passed_while_down_fires_once_at_start) {
  node n;
  auto s = n.start();
  auto r = call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"late"})");
  auto fine = call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"done"})");
  ASSERT_EQ(call(s->port(), "PUT", "/api/v1/support/tickets/" + fine.str("ticketId"), R"({"status":"resolved"})").status, 200);
  s->kill9();
  s = n.start({"--clock-offset", "25h"}); // a day and an hour later
  auto g = call(s->port(), "GET", "/api/v1/support/tickets/" + r.str("ticketId"));
  bool breached = false;
  ASSERT_FALSE(g.json()["slaBreached"].get(breached));
  EXPECT_TRUE(breached);
  EXPECT_EQ(count_events(s->port(), "ticket.sla_breached"), 1);
  EXPECT_EQ(s->terminate(), 0);
  s = n.start({"--clock-offset", "26h"});
  EXPECT_EQ(count_events(s->port(), "ticket.sla_breached"), 1); // once, not again
  auto f = call(s->port(), "GET", "/api/v1/support/tickets/" + fine.str("ticketId"));
  ASSERT_FALSE(f.json()["slaBreached"].get(breached));
  EXPECT_FALSE(breached);
}

TEST(restart, sla_breach_is_set_on_its_own_while_running) {
  node n;
  auto s = n.start({"--sla-resolve", "300ms"});
  auto r = call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"quick"})");
  auto id = r.str("ticketId");
  // The server's own timer marks it; we only poll its answer (bounded).
  bool breached = false;
  for (int i = 0; i < 300 && !breached; ++i) {
    auto g = call(s->port(), "GET", "/api/v1/support/tickets/" + id);
    if (g.json()["slaBreached"].get(breached))
      breached = false;
    if (!breached)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(breached);
  EXPECT_EQ(count_events(s->port(), "ticket.sla_breached"), 1);
}

TEST(restart, replay_from_the_log_alone_equals_the_live_state) {
  node n;
  auto s = n.start({"--snapshot-every", "2"});
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto r = call(s->port(), "POST", "/api/v1/support/tickets",
                  R"({"category":"technical","subject":"T)" + std::to_string(i) +
                    R"(","customer":{"name":"C","email":"c@x.in"}})");
    ids.push_back(r.str("ticketId"));
  }
  auto boss = call(s->port(), "POST", "/api/v1/crm/sales-reps",
                   R"({"name":"Boss","email":"boss@x.in","phone":"9876543210","territory":"north"})").str("id");
  auto rep = call(s->port(), "POST", "/api/v1/crm/sales-reps",
                  R"({"name":"Asha","email":"asha@x.in","phone":"+919876543211","reportingTo":")" + boss
                    + R"(","bankDetails":{"accountNumber":"123456789012","ifscCode":"HDFC0001234","accountHolderName":"Asha"}})").str("id");
  ASSERT_EQ(call(s->port(), "PUT", "/api/v1/crm/sales-reps/" + rep, R"({"availabilityStatus":"busy","skills":["billing"]})").status, 200);
  call(s->port(), "PUT", "/api/v1/support/tickets/" + ids[0], R"({"status":"in-progress","assignedTo":")" + rep + R"("})");
  call(s->port(), "PUT", "/api/v1/support/tickets/" + ids[0], R"({"status":"resolved"})");
  call(s->port(), "POST", "/api/v1/support/tickets/" + ids[1] + "/notes", R"({"note":"hello","type":"customer"})");
  call(s->port(), "PUT", "/api/v1/support/tickets/" + ids[2], R"({"status":"closed"})");
  call(s->port(), "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N-1","attempt":2})");
  auto call_id = call(s->port(), "POST", "/api/v1/ndr/events", R"({"ndrEventId":"N-2","action":"call"})").str("callLogId");
  ASSERT_EQ(call(s->port(), "PUT", "/api/v1/crm/call-logs/" + call_id,
                 R"({"status":"no-answer","ivrResponses":[{"question":"q","answer":"a"}]})").status,
            200);
  std::map<std::string, std::string> live;
  for (auto& id : ids)
    live[id] = call(s->port(), "GET", "/api/v1/support/tickets/" + id).body;
  auto live_call = call(s->port(), "GET", "/api/v1/crm/call-logs/" + call_id).body;
  std::map<std::string, std::string> live_reps;
  for (auto& id : {boss, rep})
    live_reps[id] = call(s->port(), "GET", "/api/v1/crm/sales-reps/" + id).body;
  // On the live server's data dir (a secondary instance).
  std::string out;
  ASSERT_EQ(testing::run_command({testing::binary("crm-audit"), "replay", "--data-dir", n.data()}, out), 0);
  simdjson::dom::parser p;
  simdjson::dom::array tickets;
  ASSERT_FALSE(p.parse(out).get_object()["tickets"].get(tickets)) << out;
  EXPECT_EQ(tickets.size(), 8u);
  for (auto t : tickets) {
    std::string_view id;
    ASSERT_FALSE(t["ticketId"].get(id));
    if (live.count(std::string(id))) {
      EXPECT_EQ(simdjson::minify(t), live[std::string(id)]) << id;
    }
  }
  simdjson::dom::array call_logs;
  ASSERT_FALSE(p.parse(out).get_object()["callLogs"].get(call_logs)) << out;
  ASSERT_EQ(call_logs.size(), 1u);
  EXPECT_EQ(simdjson::minify(call_logs.at(0)), live_call);
  simdjson::dom::array reps;
  ASSERT_FALSE(p.parse(out).get_object()["reps"].get(reps)) << out;
  ASSERT_EQ(reps.size(), 2u);
  for (auto r : reps) {
    std::string_view id;
    ASSERT_FALSE(r["id"].get(id));
    EXPECT_EQ(simdjson::minify(r), live_reps[std::string(id)]) << id;
  }
  // And after a restart (snapshots plus tails) the served state is the same again.
  EXPECT_EQ(s->terminate(), 0);
  s = n.start();
  for (auto& [id, body] : live)
    EXPECT_EQ(call(s->port(), "GET", "/api/v1/support/tickets/" + id).body, body);
  for (auto& [id, body] : live_reps)
    EXPECT_EQ(call(s->port(), "GET", "/api/v1/crm/sales-reps/" + id).body, body);
  EXPECT_EQ(call(s->port(), "GET", "/api/v1/crm/call-logs/" + call_id).body, live_call);
  // --until: before anything happened there was nothing.
  ASSERT_EQ(testing::run_command({testing::binary("crm-audit"), "replay", "--data-dir", n.data(), "--until",
                                  "2000-01-01T00:00:00Z"}, out), 0);
  EXPECT_NE(out.find("\"tickets\":[]"), std::string::npos);
  ASSERT_EQ(testing::run_command({testing::binary("crm-audit"), "history", "--data-dir", n.data(), ids[0]}, out), 0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4); // created, assigned, 2 status changes
}

TEST(restart, crm_audit_verify_finds_where_the_chain_breaks) {
  node n;
  auto s = n.start();
  for (int i = 0; i < 5; ++i)
    call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"x"})");
  std::string out;
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, out), 0) << out;
  EXPECT_EQ(s->terminate(), 0);
  {
    auto db = storage::store::open(n.data(), storage::open_mode::read_write);
    ASSERT_TRUE(db.ok());
    auto& store = *db.value();
    auto v = *store.get(storage::cf::events, storage::be64(3)).value();
    v.replace(v.find("\"x\""), 3, "\"y\"");
    ASSERT_TRUE(store.db().Put({}, store.handle(storage::cf::events), storage::be64(3), v).ok());
  }
  EXPECT_EQ(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, out), 1);
  EXPECT_NE(out.find("breaks at seq 3"), std::string::npos) << out;
}

/// Runs crm-server on a damaged data dir: it must refuse to start (exit 1 within the timeout,
/// not serve) and say why. Returns what it printed.
std::string refuses_to_start(const std::string& data) {
  std::string out;
  int rc = testing::run_command({"/bin/sh", "-c",
                                 "timeout 30 " + testing::binary("crm-server")
                                   + " --listen 127.0.0.1:0 --data-dir '" + data + "' 2>&1"},
                                out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(rc, 124) << "it started on a damaged data dir: " << out; // timeout's code
  EXPECT_NE(out.find("cannot start"), std::string::npos) << out;
  return out;
}

std::vector<std::filesystem::path> files_ending(const std::string& dir, const std::string& ext) {
  std::vector<std::filesystem::path> out;
  for (auto& f : std::filesystem::directory_iterator(dir))
    if (f.path().extension() == ext)
      out.push_back(f.path());
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return std::filesystem::file_size(a) > std::filesystem::file_size(b); });
  return out;
}

void overwrite(const std::filesystem::path& f, std::uintmax_t at, std::size_t n) {
  std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
  io.seekp(static_cast<std::streamoff>(at));
  std::string junk(n, '\xA5');
  io.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

TEST(damaged, a_corrupted_wal_refuses_to_start_and_fails_verify) {
  node n;
  auto s = n.start();
  for (int i = 0; i < 300; ++i)
    ASSERT_EQ(call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"in the wal"})").status, 201);
  s->kill9(); // nothing flushed: every event is in the WAL only
  s.reset();
  auto wals = files_ending(n.data(), ".log");
  ASSERT_FALSE(wals.empty());
  auto size = std::filesystem::file_size(wals.front());
  ASSERT_GT(size, 20000u);
  overwrite(wals.front(), size / 2, 64);
  auto out = refuses_to_start(n.data());
  EXPECT_NE(out.find("orruption"), std::string::npos) << out;
  std::string verify;
  EXPECT_NE(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, verify), 0) << verify;
}

TEST(damaged, a_corrupted_or_truncated_table_file_refuses_to_start_and_fails_verify) {
  for (bool truncate : {false, true}) {
    node n;
    auto s = n.start();
    for (int i = 0; i < 300; ++i)
      ASSERT_EQ(call(s->port(), "POST", "/api/v1/support/tickets", R"({"category":"other","subject":"in a table"})").status, 201);
    ASSERT_EQ(s->terminate(), 0);
    s.reset();
    {
      auto db = storage::store::open(n.data(), storage::open_mode::read_write);
      ASSERT_TRUE(db.ok());
      auto& store = *db.value();
      for (auto c : {storage::cf::events, storage::cf::indexes, storage::cf::snapshots, storage::cf::timers})
        ASSERT_TRUE(store.db().Flush(rocksdb::FlushOptions(), store.handle(c)).ok());
    }
    auto tables = files_ending(n.data(), ".sst");
    ASSERT_FALSE(tables.empty());
    for (auto& t : tables) {
      auto size = std::filesystem::file_size(t);
      if (truncate)
        std::filesystem::resize_file(t, size / 2);
      else
        overwrite(t, size / 3, 256);
    }
    refuses_to_start(n.data());
    std::string verify;
    EXPECT_NE(testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", n.data()}, verify), 0)
      << (truncate ? "truncated: " : "corrupted: ") << verify;
  }
}

} // namespace
} // namespace crm::blackbox

namespace crm::blackbox {
namespace {

TEST(limits, a_key_over_its_rate_gets_429_with_retry_after) {
  node n;
  auto s = n.start({"--rate-limit", "5"});
  http_client c(s->port());
  const std::vector<std::pair<std::string, std::string>> h = {
    {"Authorization", "Bearer " + token}, {"X-Company-Id", "acme"}};
  int ok = 0, limited = 0;
  http_response last;
  for (int i = 0; i < 20; ++i) {
    auto r = c.request("GET", "/api/v1/support/tickets", {}, h);
    if (r.status == 200)
      ++ok;
    if (r.status == 429) {
      ++limited;
      last = r;
    }
  }
  EXPECT_GE(ok, 5);
  EXPECT_GE(limited, 10);
  EXPECT_EQ(last.headers["retry-after"], "1");
  EXPECT_EQ(last.str("error").empty(), true); // the error is an object, not a string
  std::string_view code;
  ASSERT_FALSE(last.json()["error"]["code"].get(code));
  EXPECT_EQ(code, "rate_limited");
  EXPECT_EQ(c.request("GET", "/healthz").status, 200); // health is never limited
}

} // namespace
} // namespace crm::blackbox
