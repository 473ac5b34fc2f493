// Notifications (CONTRACT section 11) against a real receiver on loopback: the persisted outbox,
// retries with a doubling delay, the delivery id and the signature of platform webhooks, failed
// messages and their retry, and delivery after a kill -9. Email against a real SMTP server
// (aiosmtpd, testing/smtp_sink.hpp): a status change and the daily summary, with the company's
// templates; the template API; escalation with its WhatsApp and webhook, once per ticket.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <set>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing/http_client.hpp"
#include "testing/receiver.hpp"
#include "testing/server_process.hpp"
#include "testing/smtp_sink.hpp"
#include "testing/temp_dir.hpp"

namespace crm::blackbox {
namespace {

using testing::http_client;
using testing::http_response;
using testing::received;
using testing::receiver;
using testing::server_process;
using testing::smtp_sink;

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

/// Polls GET of `target` until it answers 200 and `pred` holds of the answer (at most
/// `seconds`); the last answer.
http_response get_until(unsigned short port, const std::string& target,
                        const std::function<bool(const http_response&)>& pred, int seconds = 15) {
  http_response r;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  do {
    r = call(port, "GET", target);
    if (r.status == 200 && pred(r))
      return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < until);
  return r;
}

/// Polls GET /api/v1/notifications until `pred` holds of the answer (at most 15 s).
http_response notifications_until(unsigned short port, const std::string& query,
                                  const std::function<bool(const http_response&)>& pred) {
  return get_until(port, "/api/v1/notifications" + query, pred);
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
  // A sent one takes no retry; an unknown id is 404; an unknown status is 422.
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

// --- Email over SMTP, templates, the daily summary, escalation ---------------------------------

const std::string smtp_from = "crm@example.com";

/// A request as the platform acting for `company`.
http_response call_in(unsigned short port, const std::string& company, const std::string& method,
                      const std::string& target, const std::string& body = {}) {
  http_client c(port);
  return c.request(method, target, body, {{"Authorization", "Bearer " + token}, {"X-Company-Id", company}});
}

/// A request with an API key of a company (no X-Company-Id: the key names its company).
http_response as(unsigned short port, const std::string& key, const std::string& method, const std::string& target,
                 const std::string& body = {}) {
  http_client c(port);
  return c.request(method, target, body, {{"Authorization", "Bearer " + key}});
}

/// Makes an API key with `role` in `company` and returns it.
std::string make_key(unsigned short port, const std::string& company, const std::string& role) {
  http_client c(port);
  auto r = c.request("POST", "/api/v1/admin/api-keys",
                     R"({"companyId":")" + company + R"(","role":")" + role + R"(","name":"test key"})",
                     {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(r.status, 201) << r.body;
  return r.str("key");
}

/// Makes a rep of `company` (reporting to `reporting_to` when given) and returns its id.
std::string make_rep(unsigned short port, const std::string& company, const std::string& name, const std::string& email,
                     const std::string& phone, const std::string& reporting_to = {}) {
  auto r = call_in(port, company, "POST", "/api/v1/crm/sales-reps",
                   R"({"name":")" + name + R"(","email":")" + email + R"(","phone":")" + phone + "\""
                     + (reporting_to.empty() ? std::string() : R"(,"reportingTo":")" + reporting_to + "\"") + "}");
  EXPECT_EQ(r.status, 201) << r.body;
  return r.str("id");
}

/// Makes a ticket of `company` and returns its id.
std::string make_ticket(unsigned short port, const std::string& company, const std::string& body) {
  auto r = call_in(port, company, "POST", "/api/v1/support/tickets", body);
  EXPECT_EQ(r.status, 201) << r.body;
  return r.str("ticketId");
}

/// `s` as a JSON string (quotes, backslashes and line breaks escaped).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// The fields named in error.details.
std::set<std::string> detail_fields_of(const http_response& r) {
  std::set<std::string> out;
  simdjson::dom::array details;
  if (r.json()["error"]["details"].get(details))
    return out;
  for (simdjson::dom::element d : details) {
    std::string_view f;
    if (!d["field"].get(f))
      out.emplace(f);
  }
  return out;
}

/// One row of a {"templates": [...]} answer.
struct template_seen {
  std::string event, channel, subject, body;
  std::vector<std::string> placeholders;
  bool customized = false;
};

std::vector<template_seen> templates_of(const http_response& r) {
  std::vector<template_seen> out;
  simdjson::dom::array rows;
  if (r.json()["templates"].get(rows))
    return out;
  for (simdjson::dom::element row : rows) {
    template_seen t;
    std::string_view v;
    if (!row["event"].get(v))
      t.event = v;
    if (!row["channel"].get(v))
      t.channel = v;
    if (!row["subject"].get(v))
      t.subject = v;
    if (!row["body"].get(v))
      t.body = v;
    simdjson::dom::array names;
    if (!row["placeholders"].get(names))
      for (simdjson::dom::element name : names)
        if (!name.get(v))
          t.placeholders.emplace_back(v);
    bool b = false;
    if (!row["customized"].get(b))
      t.customized = b;
    out.push_back(std::move(t));
  }
  return out;
}

/// The row (event, channel) of a {"templates": [...]} answer; an empty event when it has none.
template_seen template_of(const http_response& r, const std::string& event, const std::string& channel) {
  for (auto& t : templates_of(r))
    if (t.event == event && t.channel == channel)
      return t;
  return {};
}

/// Today's date in Asia/Kolkata (UTC+05:30 all year), the default --timezone of the summary.
std::string kolkata_date() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::minutes(330));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

/// The strings of an array field of the answer.
std::vector<std::string> strings_of(const http_response& r, const char* key) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (r.json()[key].get(a))
    return out;
  for (simdjson::dom::element e : a) {
    std::string_view v;
    if (!e.get(v))
      out.emplace_back(v);
  }
  return out;
}

/// The id of the first notification in a GET /api/v1/notifications answer.
std::string first_notification_id(const http_response& r) {
  std::string_view id;
  if (r.json()["notifications"].at(0)["id"].get(id))
    return {};
  return std::string(id);
}

/// Polls GET of a ticket until `pred` holds of the answer (at most 10 s); the last answer.
http_response ticket_until(unsigned short port, const std::string& id,
                           const std::function<bool(const http_response&)>& pred) {
  return get_until(port, "/api/v1/support/tickets/" + id, pred, 10);
}

bool is_escalated(const http_response& r) {
  bool b = false;
  return r.status == 200 && !r.json()["escalated"].get(b) && b;
}

/// A message the WhatsApp gateway got: the JSON {to, channel, template, body} posted to it.
struct gateway_message {
  std::string to, channel, template_name, body;
};

/// What was posted to the gateway at `target` with the template `name`.
std::vector<gateway_message> gateway_messages(const std::vector<received>& all, const std::string& target,
                                              const std::string& name) {
  std::vector<gateway_message> out;
  simdjson::dom::parser p;
  for (auto& r : all) {
    if (r.method != "POST" || r.target != target)
      continue;
    simdjson::dom::element d;
    std::string_view to, channel, tpl, body;
    if (p.parse(r.body).get(d) || d["to"].get(to) || d["channel"].get(channel) || d["template"].get(tpl)
        || d["body"].get(body))
      continue;
    if (tpl == name)
      out.push_back({std::string(to), std::string(channel), std::string(tpl), std::string(body)});
  }
  return out;
}

/// The webhooks of one kind about one entity (the event's "entity").
std::vector<received> of_event_about(const std::vector<received>& all, const std::string& name, const std::string& entity) {
  std::vector<received> out;
  simdjson::dom::parser p;
  for (auto& r : of_event(all, name)) {
    simdjson::dom::element ev;
    std::string_view e;
    if (!p.parse(r.body).get(ev) && !ev["entity"].get(e) && e == entity)
      out.push_back(r);
  }
  return out;
}

TEST(notifications, a_status_change_emails_the_customer_over_smtp_in_the_companys_template_which_survives_a_restart) {
  smtp_sink smtp;
  ASSERT_TRUE(smtp.ready()) << smtp.error();
  node n;
  n.args = {"--smtp-url", smtp.url(), "--smtp-from", smtp_from};
  auto s = n.start();
  auto t = call(s->port(), "POST", "/api/v1/support/tickets",
                R"({"category":"billing","subject":"Refund not received",)"
                R"("customer":{"name":"Ravi Kumar","email":"ravi@example.in","phone":"+919876543210"}})");
  ASSERT_EQ(t.status, 201) << t.body;
  auto id = t.str("ticketId");
  const std::string ticket = "/api/v1/support/tickets/" + id;

  // The default template: one email to the customer, from --smtp-from, naming the ticket and
  // the status it is in now.
  ASSERT_EQ(call(s->port(), "PUT", ticket, R"({"status":"in-progress"})").status, 200);
  auto got = smtp.wait_for(1);
  ASSERT_EQ(got.size(), 1u) << s->log();
  EXPECT_EQ(got[0].subject, "Your ticket " + id + " is now in-progress");
  EXPECT_EQ(got[0].to, "ravi@example.in");
  EXPECT_EQ(got[0].from, smtp_from);
  EXPECT_EQ(got[0].headers["x-rcptto"], "ravi@example.in"); // the envelope, as the SMTP server saw it
  EXPECT_EQ(got[0].headers["x-mailfrom"], smtp_from);
  EXPECT_EQ(got[0].body, "Hello Ravi Kumar,\n\nyour support ticket " + id + " (Refund not received) is now in-progress.\n");
  // The outbox shows it sent, and the Message-ID names its entry.
  auto sent = notifications_until(s->port(), "?status=sent&channel=email", [](const http_response& r) {
    return total_of(r) == 1;
  });
  ASSERT_EQ(total_of(sent), 1) << sent.body;
  EXPECT_EQ(got[0].message_id, "<" + first_notification_id(sent) + "@example.com>");

  // The company's own template: the next change's email is rendered from it, as plain text
  // (nothing HTML-escaped).
  const std::string subject = "[{{ticket.ticketId}}] {{ticket.previousStatus}} -> {{ticket.status}}";
  const std::string body = "Dear {{ticket.customerName}},\n"
                           "{{ticket.ticketId}} \"{{ticket.subject}}\" went from {{ticket.previousStatus}} to "
                           "{{ticket.status}} ({{ticket.priority}}/{{ticket.category}}).\n"
                           "-- Support & Returns <support@acme.in>\n";
  auto put = call(s->port(), "PUT", "/api/v1/notifications/templates/ticket.status_changed/email",
                  R"({"subject":)" + quoted(subject) + R"(,"body":)" + quoted(body) + "}");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(templates_of(put).size(), 8u); // the whole list, as GET answers
  auto row = template_of(put, "ticket.status_changed", "email");
  EXPECT_TRUE(row.customized);
  EXPECT_EQ(row.subject, subject);
  EXPECT_EQ(row.body, body);
  ASSERT_EQ(call(s->port(), "PUT", ticket, R"({"status":"resolved"})").status, 200);
  got = smtp.wait_for(2);
  ASSERT_EQ(got.size(), 2u) << s->log();
  EXPECT_EQ(got[1].subject, "[" + id + "] in-progress -> resolved");
  EXPECT_EQ(got[1].body, "Dear Ravi Kumar,\n" + id + " \"Refund not received\" went from in-progress to resolved "
                         "(medium/billing).\n-- Support & Returns <support@acme.in>\n");
  EXPECT_EQ(got[1].to, "ravi@example.in");
  EXPECT_EQ(got[1].from, smtp_from);

  // The template is in the event log: after a restart it is still the company's.
  EXPECT_EQ(s->terminate(), 0) << s->log();
  s = n.start();
  auto after = call(s->port(), "GET", "/api/v1/notifications/templates");
  ASSERT_EQ(after.status, 200) << after.body;
  row = template_of(after, "ticket.status_changed", "email");
  EXPECT_TRUE(row.customized);
  EXPECT_EQ(row.subject, subject);
  EXPECT_EQ(row.body, body);
  EXPECT_FALSE(template_of(after, "ticket.assigned", "whatsapp").customized); // the others untouched
}

TEST(notifications, templates_refuse_unknown_placeholders_rows_and_roles_and_stay_within_their_company) {
  node n;
  auto s = n.start();
  auto port = s->port();
  const std::string path = "/api/v1/notifications/templates";

  // The catalogue: eight rows, each with its placeholders and a default text, none customized.
  auto all = call(port, "GET", path);
  ASSERT_EQ(all.status, 200) << all.body;
  auto rows = templates_of(all);
  EXPECT_EQ(rows.size(), 8u) << all.body;
  std::set<std::pair<std::string, std::string>> pairs;
  for (auto& r : rows) {
    pairs.emplace(r.event, r.channel);
    EXPECT_FALSE(r.customized) << r.event;
    EXPECT_FALSE(r.body.empty()) << r.event;
    EXPECT_FALSE(r.placeholders.empty()) << r.event;
  }
  EXPECT_EQ(pairs, (std::set<std::pair<std::string, std::string>>{{"ticket.assigned", "whatsapp"},
                                                                   {"call.assigned", "whatsapp"},
                                                                   {"ticket.status_changed", "email"},
                                                                   {"call.callback_due", "sms"},
                                                                   {"ticket.escalated", "whatsapp"},
                                                                   {"dispute.created", "email"},
                                                                   {"dispute.resolved", "email"},
                                                                   {"summary.daily", "email"}}));
  auto changed = template_of(all, "ticket.status_changed", "email");
  EXPECT_NE(std::find(changed.placeholders.begin(), changed.placeholders.end(), "ticket.ticketId"),
            changed.placeholders.end());

  // A placeholder the row does not offer is 422 naming the part it is in; so is one that only
  // another row offers, a missing body, and an email without a subject.
  const std::string row = path + "/ticket.status_changed/email";
  auto r = call(port, "PUT", row, R"({"subject":"About {{ticket.ticketId}}","body":"Ticket {{ticket.nope}} moved"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields_of(r), std::set<std::string>{"body"}) << r.body;
  r = call(port, "PUT", row, R"({"subject":"About {{ticket.nope}}","body":"Ticket {{ticket.ticketId}} moved"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields_of(r), std::set<std::string>{"subject"}) << r.body;
  r = call(port, "PUT", row, R"({"subject":"About {{ticket.ticketId}}","body":"Order {{call.orderId}}"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields_of(r), std::set<std::string>{"body"}) << r.body;
  r = call(port, "PUT", row, R"({"subject":"About {{ticket.ticketId}}"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields_of(r), std::set<std::string>{"body"}) << r.body;
  r = call(port, "PUT", row, R"({"body":"Ticket {{ticket.ticketId}} moved"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(detail_fields_of(r), std::set<std::string>{"subject"}) << r.body;

  // An event or channel the catalogue does not have, or a pair it does not have: 404.
  for (const auto& target : {path + "/ticket.nope/email", path + "/ticket.assigned/fax", path + "/ticket.assigned/email"}) {
    r = call(port, "PUT", target, R"({"subject":"Hello","body":"Hello"})");
    EXPECT_EQ(r.status, 404) << target << " " << r.body;
  }
  // None of that changed anything.
  EXPECT_FALSE(template_of(call(port, "GET", path), "ticket.status_changed", "email").customized);

  // Every role reads its company's templates (CONTRACT section 2); an agent or a viewer may not
  // change them, a manager may.
  auto agent = make_key(port, "acme", "agent");
  auto viewer = make_key(port, "acme", "viewer");
  auto manager = make_key(port, "acme", "manager");
  EXPECT_EQ(as(port, agent, "GET", path).status, 200);
  EXPECT_EQ(as(port, viewer, "GET", path).status, 200);
  EXPECT_EQ(as(port, viewer, "GET", "/api/v1/notifications").status, 200);
  EXPECT_EQ(as(port, agent, "PUT", path + "/ticket.assigned/whatsapp", R"({"body":"Hi {{rep.name}}"})").status, 403);
  EXPECT_EQ(as(port, viewer, "PUT", path + "/ticket.assigned/whatsapp", R"({"body":"Hi {{rep.name}}"})").status, 403);
  EXPECT_EQ(as(port, viewer, "POST", "/api/v1/notifications/NTF-000001/retry").status, 403);
  EXPECT_EQ(as(port, manager, "GET", path).status, 200);
  EXPECT_EQ(as(port, manager, "PUT", path + "/ticket.escalated/whatsapp",
               R"({"body":"Escalated: {{ticket.ticketId}} after {{escalation.after}}"})").status, 200);

  // One company's template is its own: another company still has the default.
  const std::string mine = "Hi {{rep.name}}, {{ticket.ticketId}} is yours";
  auto put = call(port, "PUT", path + "/ticket.assigned/whatsapp", R"({"body":)" + quoted(mine) + "}");
  ASSERT_EQ(put.status, 200) << put.body;
  auto saved = template_of(put, "ticket.assigned", "whatsapp");
  EXPECT_TRUE(saved.customized);
  EXPECT_EQ(saved.body, mine);
  EXPECT_EQ(saved.subject, "");
  auto other = call_in(port, "globex", "GET", path);
  ASSERT_EQ(other.status, 200) << other.body;
  auto theirs = template_of(other, "ticket.assigned", "whatsapp");
  EXPECT_EQ(theirs.event, "ticket.assigned");
  EXPECT_FALSE(theirs.customized);
  EXPECT_EQ(theirs.body, "New ticket {{ticket.ticketId}} assigned to you: {{ticket.subject}}");
  for (auto& t : templates_of(other))
    EXPECT_FALSE(t.customized) << t.event;
  auto ours = as(port, manager, "GET", path);
  EXPECT_EQ(template_of(ours, "ticket.assigned", "whatsapp").body, mine);
}

TEST(notifications, the_daily_summary_on_demand_emails_each_manager_over_smtp) {
  smtp_sink smtp;
  ASSERT_TRUE(smtp.ready()) << smtp.error();
  node n;
  n.args = {"--smtp-url", smtp.url(), "--smtp-from", smtp_from};
  auto s = n.start();
  auto port = s->port();
  // Meera manages Asha and Ravi; Asha has an open ticket, Ravi resolved one.
  auto boss = make_rep(port, "acme", "Meera Iyer", "meera@acme.in", "+919876500001");
  auto asha = make_rep(port, "acme", "Asha Rao", "asha@acme.in", "+919876500002", boss);
  auto ravi = make_rep(port, "acme", "Ravi Das", "ravi@acme.in", "+919876500003", boss);
  auto open_one = make_ticket(port, "acme", R"({"category":"billing","subject":"Refund not received"})");
  ASSERT_EQ(call(port, "PUT", "/api/v1/support/tickets/" + open_one, R"({"assignedTo":")" + asha + "\"}").status, 200);
  auto resolved_one = make_ticket(port, "acme", R"({"category":"logistics","subject":"Parcel late"})");
  ASSERT_EQ(call(port, "PUT", "/api/v1/support/tickets/" + resolved_one, R"({"assignedTo":")" + ravi + "\"}").status, 200);
  ASSERT_EQ(call(port, "PUT", "/api/v1/support/tickets/" + resolved_one, R"({"status":"resolved"})").status, 200);
  // A manager in another company: not in acme's summary.
  auto their_boss = make_rep(port, "globex", "Kiran Shah", "kiran@globex.in", "+919876500004");
  make_rep(port, "globex", "Dev Patel", "dev@globex.in", "+919876500005", their_boss);

  // An admin asks for it: 202 with the one message queued, and Meera gets it by email.
  auto admin = make_key(port, "acme", "admin");
  auto before = kolkata_date();
  auto r = as(port, admin, "POST", "/api/v1/notifications/summary");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.str("status"), "queued");
  auto ids = strings_of(r, "notifications");
  ASSERT_EQ(ids.size(), 1u) << r.body;
  auto got = smtp.wait_for(1);
  auto today = kolkata_date();
  ASSERT_EQ(got.size(), 1u) << s->log();
  EXPECT_EQ(got[0].to, "meera@acme.in");
  EXPECT_EQ(got[0].from, smtp_from);
  EXPECT_EQ(got[0].message_id, "<" + ids[0] + "@example.com>");
  if (got[0].subject != "Team summary for " + today)
    today = before; // midnight in Kolkata passed meanwhile
  EXPECT_EQ(got[0].subject, "Team summary for " + today);
  EXPECT_EQ(got[0].body, "Hello Meera Iyer,\n\nyour team of 2 reps on " + today
                           + ":\n- open tickets: 1\n- breached (SLA): 0\n- resolved in the last 24 hours: 1\n");

  // The platform may ask too (another one is sent); a manager may not.
  r = call(port, "POST", "/api/v1/notifications/summary");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(strings_of(r, "notifications").size(), 1u) << r.body;
  got = smtp.wait_for(2);
  ASSERT_EQ(got.size(), 2u) << s->log();
  EXPECT_EQ(got[1].to, "meera@acme.in");
  auto manager = make_key(port, "acme", "manager");
  EXPECT_EQ(as(port, manager, "POST", "/api/v1/notifications/summary").status, 403);
}

TEST(notifications, an_unresolved_ticket_is_escalated_to_the_supervisor_once_also_across_a_restart) {
  receiver hook;
  node n;
  n.args = {"--escalate-after", "2s", "--webhook-url", hook.url("/hooks"), "--whatsapp-url", hook.url("/wa")};
  auto s = n.start();
  auto port = s->port();
  const std::string boss_phone = "+919876500001", rep_phone = "+919876500002";
  auto boss = make_rep(port, "acme", "Meera Iyer", "meera@acme.in", boss_phone);
  auto rep = make_rep(port, "acme", "Asha Rao", "asha@acme.in", rep_phone, boss);
  auto assign = [&](const std::string& ticket, const std::string& to) {
    return call(port, "PUT", "/api/v1/support/tickets/" + ticket, R"({"assignedTo":")" + to + "\"}").status;
  };
  // Asha's ticket will sit unresolved; Meera's own (she reports to no one) too; a third one is
  // resolved right away.
  auto stuck = make_ticket(port, "acme", R"({"category":"billing","subject":"Refund not received"})");
  ASSERT_EQ(assign(stuck, rep), 200);
  auto top = make_ticket(port, "acme", R"({"category":"other","subject":"Invoice copy"})");
  ASSERT_EQ(assign(top, boss), 200);
  auto quick = make_ticket(port, "acme", R"({"category":"logistics","subject":"Parcel late"})");
  ASSERT_EQ(assign(quick, rep), 200);
  ASSERT_EQ(call(port, "PUT", "/api/v1/support/tickets/" + quick, R"({"status":"resolved"})").status, 200);

  // Two seconds after its creation Asha's ticket is escalated and handed to Meera.
  auto g = ticket_until(port, stuck, is_escalated);
  ASSERT_TRUE(is_escalated(g)) << g.body;
  EXPECT_EQ(g.str("assignedTo"), boss);
  // Meera's own is escalated too, and stays hers: there is no one above her.
  g = ticket_until(port, top, is_escalated);
  ASSERT_TRUE(is_escalated(g)) << g.body;
  EXPECT_EQ(g.str("assignedTo"), boss);

  // Every message went out (and is recorded so, before the restart below).
  auto sent = notifications_until(port, "?status=sent&channel=webhook", [](const http_response& r) {
    return total_of(r) == 2;
  });
  ASSERT_EQ(total_of(sent), 2) << sent.body;
  auto pending = notifications_until(port, "?status=pending", [](const http_response& r) { return total_of(r) == 0; });
  EXPECT_EQ(total_of(pending), 0) << pending.body;

  // The platform's webhook: ticket.escalated, signed, the event of the escalation.
  auto all = hook.all();
  auto hooks = of_event_about(all, "ticket.escalated", stuck);
  ASSERT_EQ(hooks.size(), 1u);
  EXPECT_EQ(hooks[0].method, "POST");
  EXPECT_EQ(hooks[0].target, "/hooks");
  EXPECT_EQ(hooks[0].headers.at("x-crm-signature"), "sha256=" + hmac_hex(secret, hooks[0].body));
  simdjson::dom::parser p;
  simdjson::dom::element ev;
  ASSERT_FALSE(p.parse(hooks[0].body).get(ev)) << hooks[0].body;
  std::string_view type, from, to;
  ASSERT_FALSE(ev["type"].get(type));
  EXPECT_EQ(type, "ticket.escalated");
  ASSERT_FALSE(ev["data"]["from"].get(from)) << hooks[0].body;
  ASSERT_FALSE(ev["data"]["to"].get(to)) << hooks[0].body;
  EXPECT_EQ(from, rep);
  EXPECT_EQ(to, boss);
  EXPECT_EQ(of_event_about(all, "ticket.escalated", top).size(), 1u);
  EXPECT_EQ(of_event(all, "ticket.escalated").size(), 2u); // not the resolved one
  // Meera's WhatsApp, from the ticket.escalated template: one, for Asha's ticket (none for her
  // own, which has no one to go to).
  auto wa = gateway_messages(all, "/wa", "ticket.escalated");
  ASSERT_EQ(wa.size(), 1u);
  EXPECT_EQ(wa[0].to, boss_phone);
  EXPECT_EQ(wa[0].channel, "whatsapp");
  EXPECT_EQ(wa[0].body, "Escalated to you: ticket " + stuck + " (Refund not received) is unresolved after 2s");
  // Asha got the assignments as usual.
  auto assigned = gateway_messages(all, "/wa", "ticket.assigned");
  EXPECT_EQ(std::count_if(assigned.begin(), assigned.end(), [&](const gateway_message& m) { return m.to == rep_phone; }), 2);

  // After a restart, well past every ticket's two seconds, nothing is escalated again.
  EXPECT_EQ(s->terminate(), 0) << s->log();
  s = n.start();
  port = s->port();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  all = hook.all();
  EXPECT_EQ(of_event_about(all, "ticket.escalated", stuck).size(), 1u);
  EXPECT_EQ(of_event(all, "ticket.escalated").size(), 2u);
  EXPECT_EQ(gateway_messages(all, "/wa", "ticket.escalated").size(), 1u);
  g = call(port, "GET", "/api/v1/support/tickets/" + stuck);
  EXPECT_TRUE(is_escalated(g)) << g.body;
  EXPECT_EQ(g.str("assignedTo"), boss);
  // The ticket resolved at once never was.
  g = call(port, "GET", "/api/v1/support/tickets/" + quick);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_FALSE(is_escalated(g)) << g.body;
  EXPECT_EQ(g.str("assignedTo"), rep);
  EXPECT_EQ(g.str("status"), "resolved");
}

// A dispute about a ticket emails the ticket's customer when it is opened and when it is
// resolved, with the amounts as the resolution left them (the rule reads the dispute as the
// event made it, not a read model that may not have it yet).
TEST(notifications, a_dispute_emails_its_tickets_customer_when_opened_and_when_resolved_with_the_refund) {
  smtp_sink smtp;
  ASSERT_TRUE(smtp.ready()) << smtp.error();
  node n;
  n.args = {"--smtp-url", smtp.url(), "--smtp-from", smtp_from};
  auto s = n.start();
  auto t = call(s->port(), "POST", "/api/v1/support/tickets",
                R"({"category":"logistics","subject":"Parcel damaged","relatedOrderId":"ORD-9",)"
                R"("customer":{"name":"Asha Rao","email":"asha@example.in","phone":"+919876543210"}})");
  ASSERT_EQ(t.status, 201) << t.body;
  auto ticket = t.str("ticketId");
  // Several at once, so that some rules run before the registry has published the dispute.
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto d = call(s->port(), "POST", "/api/v1/disputes",
                  R"({"type":"damaged-goods","claimAmount":1200.5,"description":"box crushed","relatedSupportTicketId":")" + ticket + R"("})");
    ASSERT_EQ(d.status, 201) << d.body;
    ids.push_back(d.str("disputeId"));
  }
  auto got = smtp.wait_for(5);
  ASSERT_EQ(got.size(), 5u) << s->log();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto m = std::find_if(got.begin(), got.end(), [&](auto& x) { return x.subject == "Your dispute " + ids[i] + " is opened"; });
    ASSERT_NE(m, got.end()) << ids[i];
    EXPECT_EQ(m->to, "asha@example.in");
    EXPECT_EQ(m->body, "Hello Asha Rao,\n\nyour dispute " + ids[i] + " (damaged-goods) about order ORD-9 is opened and under "
                       "investigation. We will write to you again once it is resolved.\n");
  }
  // Resolved with a refund: the email says so, with the amount.
  const std::string first = "/api/v1/disputes/" + ids[0];
  ASSERT_EQ(call(s->port(), "PUT", first, R"({"status":"decision"})").status, 200);
  auto r = call(s->port(), "POST", first + "/resolve", R"({"resolution":"refund","refundAmount":1000})");
  ASSERT_EQ(r.status, 200) << r.body;
  got = smtp.wait_for(6);
  ASSERT_EQ(got.size(), 6u) << s->log();
  EXPECT_EQ(got[5].subject, "Your dispute " + ids[0] + " is resolved");
  EXPECT_EQ(got[5].body, "Hello Asha Rao,\n\nyour dispute " + ids[0] + " about order ORD-9 is resolved: refund. "
                         "A refund of INR 1000 is on its way.\n");
}

} // namespace
} // namespace crm::blackbox
