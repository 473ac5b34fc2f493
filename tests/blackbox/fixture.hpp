#pragma once
// A crm-server started once per test suite on a loopback port, and helpers that speak to it as
// a client would. Each test works in companies of its own, so tests do not see each other.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "testing/http_client.hpp"
#include "testing/server_process.hpp"
#include "testing/temp_dir.hpp"

namespace crm::blackbox {

using testing::http_client;
using testing::http_response;
using headers = std::vector<std::pair<std::string, std::string>>;

inline const std::string platform_token = "test-platform-token-0123456789";

class server_suite : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new testing::temp_dir();
    server_ = new testing::server_process((dir_->path() / "data").string(), {},
                                          {{"CRM_PLATFORM_TOKEN", platform_token}});
    ASSERT_TRUE(server_->ready()) << server_->log();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }

  unsigned short port() const { return server_->port(); }

  /// Stops the suite's server with SIGTERM (it must exit 0), runs `while_stopped` on its data
  /// dir, and starts it again there; client_ follows it to its new port.
  void restart(const std::function<void(const std::string& data_dir)>& while_stopped = {}) {
    ASSERT_EQ(server_->terminate(), 0) << server_->log();
    auto data = (dir_->path() / "data").string();
    if (while_stopped)
      while_stopped(data);
    delete server_;
    server_ = new testing::server_process(data, {}, {{"CRM_PLATFORM_TOKEN", platform_token}});
    ASSERT_TRUE(server_->ready()) << server_->log();
    client_.retarget(server_->port());
  }

  /// A company id unique to this test.
  std::string company(const std::string& suffix = "a") const {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string(info->name()).substr(0, 60) + "-" + suffix;
  }

  http_response platform(const std::string& method, const std::string& target,
                         const std::string& body = {}, headers extra = {}) {
    extra.emplace_back("Authorization", "Bearer " + platform_token);
    return client_.request(method, target, body, extra);
  }

  /// Makes an API key and returns it.
  std::string key(const std::string& company, const std::string& role,
                  const std::string& rep_id = {}) {
    std::string body = R"({"companyId":")" + company + R"(","role":")" + role
                       + R"(","name":"test key")" + (rep_id.empty() ? "" : R"(,"repId":")" + rep_id + "\"")
                       + "}";
    auto r = platform("POST", "/api/v1/admin/api-keys", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("key");
  }

  http_response as(const std::string& key, const std::string& method, const std::string& target,
                   const std::string& body = {}, headers extra = {}) {
    extra.emplace_back("Authorization", "Bearer " + key);
    return client_.request(method, target, body, extra);
  }

  /// Creates a ticket and returns its id.
  std::string ticket(const std::string& key, const std::string& body = R"({"category":"billing","subject":"Refund not received"})") {
    auto r = as(key, "POST", "/api/v1/support/tickets", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("ticketId");
  }

  /// Creates a sales rep and returns its id.
  std::string rep(const std::string& key, const std::string& email, const std::string& extra = {}) {
    auto r = as(key, "POST", "/api/v1/crm/sales-reps",
                R"({"name":"Asha Rao","email":")" + email + R"(","phone":"+919876543210")" + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.str("id");
  }

  static testing::temp_dir* dir_;
  static testing::server_process* server_;
  http_client client_{static_cast<unsigned short>(server_ ? server_->port() : 0)};
};

inline testing::temp_dir* server_suite::dir_ = nullptr;
inline testing::server_process* server_suite::server_ = nullptr;

/// The fields named in error.details.
inline std::set<std::string> detail_fields(const http_response& r) {
  std::set<std::string> out;
  simdjson::dom::array details;
  if (r.json()["error"]["details"].get(details))
    return out;
  for (auto d : details) {
    std::string_view f;
    if (!d["field"].get(f))
      out.emplace(f);
  }
  return out;
}

/// The value of one gauge or counter in a /metrics answer; nullopt when it is not there.
inline std::optional<double> metric_in(const http_response& m, const std::string& name) {
  auto key = "\n" + name + " ";
  auto pos = m.body.find(key);
  if (pos == std::string::npos)
    return std::nullopt;
  return std::stod(m.body.substr(pos + key.size()));
}

/// Asks GET /metrics, on a new connection each time (one may be refused), until `done` holds of
/// the answer or 10 s pass; the last answer. The server counts a connection's end a moment
/// after the client sees it.
inline http_response metrics_until(unsigned short port, const std::function<bool(const http_response&)>& done) {
  http_response m;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    http_client c(port);
    m = c.request("GET", "/metrics");
  } while (!(m.status == 200 && done(m)) && std::chrono::steady_clock::now() < until);
  return m;
}

/// The same on one client's connection, which stays open (and counted) throughout.
inline http_response metrics_until(http_client& c, const std::function<bool(const http_response&)>& done) {
  http_response m;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do
    m = c.request("GET", "/metrics");
  while (!(m.status == 200 && done(m)) && std::chrono::steady_clock::now() < until);
  return m;
}

inline std::string error_code(const http_response& r) {
  std::string_view c;
  if (r.json()["error"]["code"].get(c))
    return {};
  return std::string(c);
}

} // namespace crm::blackbox
