// Notifications (CONTRACT section 11) against a real receiver on loopback: the persisted outbox,
// retries with a doubling delay, the delivery id and the signature of platform webhooks, failed
// messages and their retry, and delivery after a kill -9.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <functional>
#include <set>
#include <map>
#include <memory>
#include <thread>

#include "testing/http_client.hpp"
#include "testing/receiver.hpp"
#include "testing/server_process.hpp"
#include "testing/temp_dir.hpp"

namespace crm::blackbox {
namespace {

using testing::http_client;
using testing::http_response;
using testing::received;
using testing::receiver;
using testing::server_process;

const std::string token = "notify-test-token";
const std::string secret = "webhook-secret-0123";

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &n);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s.push_back(hex[out[i] >> 4]);
    s.push_back(hex[out[i] & 15]);
  }
  return s;
}

struct node {
  testing::temp_dir dir;
  std::vector<std::string> args;
  std::string data() const { return (dir.path() / "data").string(); }
  std::unique_ptr<server_process> start() {
    auto s = std::make_unique<server_process>(
      data(), args, std::map<std::string, std::string>{{"CRM_PLATFORM_TOKEN", token}, {"CRM_WEBHOOK_SECRET", secret}});
    EXPECT_TRUE(s->ready()) << s->log();
    return s;
  }
};

http_response call(unsigned short port, const std::string& method, const std::string& target,
                   const std::string& body = {}) {
  http_client c(port);
  return c.request(method, target, body, {{"Authorization", "Bearer " + token}, {"X-Company-Id", "acme"}});
}

/// The webhooks of one kind among what the receiver got.
std::vector<received> of_event(const std::vector<received>& all, const std::string& name) {
  std::vector<received> out;
  for (auto& r : all)
    if (r.headers.count("x-crm-event") && r.headers.at("x-crm-event") == name)
      out.push_back(r);
  return out;
}

/// Polls GET /api/v1/notifications until `pred` holds of the answer (at most 15 s).
http_response notifications_until(unsigned short port, const std::string& query,
                                  const std::function<bool(const http_response&)>& pred) {
  http_response r;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  do {
    r = call(port, "GET", "/api/v1/notifications" + query);
    if (r.status == 200 && pred(r))
      return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < until);
  return r;
}

std::int64_t total_of(const http_response& r) {
  std::int64_t n = -1;
  if (r.json()["total"].get(n))
    return -1;
  return n;
}

TEST(notifications, a_webhook_is_signed_retried_with_a_doubling_delay_and_keeps_its_delivery_id) {
  receiver hook({503, 500}); // two failures, then accepted
  node n;
  n.args = {"--webhook-url", hook.url(), "--notify-retry-delay", "200ms"};
  auto s = n.start();
  auto d = call(s->port(), "POST", "/api/v1/disputes", R"({"type":"damaged-goods","claimAmount":1499.5})");
  ASSERT_EQ(d.status, 201) << d.body;
  auto got = of_event(hook.wait_for(3, 15), "dispute.created");
  ASSERT_EQ(got.size(), 3u);
  auto id = got[0].headers.at("x-crm-delivery");
  EXPECT_EQ(id.rfind("NTF-", 0), 0u);
  for (auto& r : got) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.headers.at("x-crm-delivery"), id); // the same on every try
    EXPECT_EQ(r.headers.at("x-crm-signature"), "sha256=" + hmac_hex(secret, r.body));
    EXPECT_EQ(r.body, got[0].body);
  }
  // The body is the event: dispute.created of this dispute.
  simdjson::dom::parser p;
  simdjson::dom::element ev;
  ASSERT_FALSE(p.parse(got[0].body).get(ev)) << got[0].body;
  std::string_view type, entity;
  ASSERT_FALSE(ev["type"].get(type));
  ASSERT_FALSE(ev["entity"].get(entity));
  EXPECT_EQ(type, "dispute.created");
  EXPECT_EQ(entity, d.str("disputeId"));
  // 200 ms, then 400 ms between the tries (the timer resolution is 200 ms).
  auto gap = [](const received& a, const received& b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b.at - a.at).count();
  };
  EXPECT_GE(gap(got[0], got[1]), 190);
  EXPECT_GE(gap(got[1], got[2]), 390);
  auto list = notifications_until(s->port(), "?status=sent&channel=webhook", [](const http_response& r) {
    return total_of(r) == 1;
  });
  ASSERT_EQ(total_of(list), 1) << list.body;
  simdjson::dom::element item;
  ASSERT_FALSE(list.json()["notifications"].at(0).get(item));
  std::int64_t attempts = 0;
  ASSERT_FALSE(item["attempts"].get(attempts));
  EXPECT_EQ(attempts, 3);
  std::string_view nid, event, to;
  ASSERT_FALSE(item["id"].get(nid));
  ASSERT_FALSE(item["event"].get(event));
  ASSERT_FALSE(item["to"].get(to));
  EXPECT_EQ(to, "platform"); // the webhook URL is not shown
  EXPECT_EQ(nid, id);
  EXPECT_EQ(event, "dispute.created");
  // Accepted once: nothing more comes.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(of_event(hook.all(), "dispute.created").size(), 3u);
}

TEST(notifications, a_refund_is_a_webhook_for_the_platform) {
  receiver hook;
  node n;
  n.args = {"--webhook-url", hook.url()};
  auto s = n.start();
  auto d = call(s->port(), "POST", "/api/v1/disputes", R"({"type":"lost-shipment","claimAmount":800,"relatedOrderId":"ORD-7"})");
  ASSERT_EQ(d.status, 201);
  auto id = d.str("disputeId");
  ASSERT_EQ(call(s->port(), "PUT", "/api/v1/disputes/" + id, R"({"status":"decision"})").status, 200);
  ASSERT_EQ(call(s->port(), "POST", "/api/v1/disputes/" + id + "/resolve", R"({"resolution":"refund","refundAmount":800})").status, 200);
  hook.wait_for(3, 10);
  auto refunds = of_event(hook.all(), "refund.requested");
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_NE(refunds[0].body.find("\"dispute.refund_requested\""), std::string::npos) << refunds[0].body;
  EXPECT_NE(refunds[0].body.find("ORD-7"), std::string::npos);
  EXPECT_EQ(of_event(hook.all(), "dispute.resolved").size(), 1u);
  EXPECT_EQ(of_event(hook.all(), "replacement.requested").size(), 0u);
}

TEST(notifications, a_message_that_keeps_failing_is_failed_and_a_retry_sends_it) {
  receiver hook({503, 503}); // fails both tries allowed, then accepts
  node n;
  n.args = {"--webhook-url", hook.url(), "--notify-retry-delay", "100ms", "--notify-max-attempts", "2"};
  auto s = n.start();
  ASSERT_EQ(call(s->port(), "POST", "/api/v1/disputes", R"({"type":"damaged-goods","claimAmount":10})").status, 201);
  auto failed = notifications_until(s->port(), "?status=failed", [](const http_response& r) { return total_of(r) == 1; });
  ASSERT_EQ(total_of(failed), 1) << failed.body;
  simdjson::dom::element item;
  ASSERT_FALSE(failed.json()["notifications"].at(0).get(item));
  std::int64_t attempts = 0;
  std::string_view id, last_error;
  ASSERT_FALSE(item["attempts"].get(attempts));
  ASSERT_FALSE(item["id"].get(id));
  ASSERT_FALSE(item["lastError"].get(last_error));
  EXPECT_EQ(attempts, 2);
  EXPECT_NE(last_error.find("503"), std::string_view::npos);
  auto nid = std::string(id);
  auto r = call(s->port(), "POST", "/api/v1/notifications/" + nid + "/retry");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.str("status"), "pending");
  auto sent = notifications_until(s->port(), "?status=sent", [](const http_response& r) { return total_of(r) == 1; });
  ASSERT_EQ(total_of(sent), 1) << sent.body;
  EXPECT_EQ(hook.all().size(), 3u);
  // A sent one takes no retry; an unknown id is 404; a viewer may not look.
  EXPECT_EQ(call(s->port(), "POST", "/api/v1/notifications/" + nid + "/retry").status, 409);
  EXPECT_EQ(call(s->port(), "POST", "/api/v1/notifications/NTF-999999/retry").status, 404);
  EXPECT_EQ(call(s->port(), "GET", "/api/v1/notifications?status=lost").status, 422);
}

TEST(notifications, a_server_killed_mid_delivery_delivers_every_message_after_restart) {
  receiver hook({503, 503, 503, 503, 503, 503}); // the first tries fail, until after the crash
  node n;
  n.args = {"--webhook-url", hook.url(), "--notify-retry-delay", "300ms"};
  auto s = n.start();
  std::vector<std::string> disputes;
  for (int i = 0; i < 3; ++i) {
    auto d = call(s->port(), "POST", "/api/v1/disputes", R"({"type":"damaged-goods","claimAmount":5})");
    ASSERT_EQ(d.status, 201);
    disputes.push_back(d.str("disputeId"));
  }
  hook.wait_for(3, 10); // each tried once, and failed
  s->kill9();
  s = n.start();
  auto sent = notifications_until(s->port(), "?status=sent", [](const http_response& r) { return total_of(r) == 3; });
  ASSERT_EQ(total_of(sent), 3) << sent.body;
  // Every dispute's message came through, each under one delivery id, whatever was tried twice.
  std::map<std::string, std::set<std::string>> ids_by_dispute;
  for (auto& r : of_event(hook.all(), "dispute.created"))
    for (auto& d : disputes)
      if (r.body.find("\"" + d + "\"") != std::string::npos)
        ids_by_dispute[d].insert(r.headers.at("x-crm-delivery"));
  ASSERT_EQ(ids_by_dispute.size(), 3u);
  for (auto& [d, ids] : ids_by_dispute)
    EXPECT_EQ(ids.size(), 1u) << d;
  // And nothing is made again at the next start.
  EXPECT_EQ(s->terminate(), 0);
  s = n.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto all = call(s->port(), "GET", "/api/v1/notifications");
  EXPECT_EQ(total_of(all), 3) << all.body;
}

} // namespace
} // namespace crm::blackbox
