#pragma once
// The notification outbox (CONTRACT section 11): every message is an event before it is sent;
// each try is recorded; a failed try waits `retry_delay x 2^(attempts-1)` (at most 10 minutes)
// before the next, up to `max_attempts` tries, then the message is `failed`; `retry` grants a
// fresh set of attempts. The delivery id (X-CRM-Delivery) is the notification's id: the same on
// every try.
//
// Events (entity: the notification's id, NTF-000001):
//   notification.queued   {notificationId, channel, to, event, subject, body, maxAttempts}
//   notification.attempted {attempt, ok, error, nextAttemptAt} one try: ok (sent; then only
//                          {attempt, ok}), or failed with the receiver's error (at most 300 bytes
//                          of UTF-8, control characters and bytes that are not UTF-8 as '?') and
//                          the time of the next try (null: no tries left, status failed)
//   notification.retried  {maxAttempts} operators' retry: pending again with fresh attempts
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/clock.hpp"
#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/json.hpp"
#include "domain/ticket.hpp" // origin

namespace crm::notifications {

using tickets::origin;

enum class channel : std::uint8_t { email, whatsapp, sms, webhook };
enum class status : std::uint8_t { pending, sent, failed };
std::optional<channel> parse_channel(std::string_view s);
std::optional<status> parse_status(std::string_view s);
const char* to_string(channel c);
const char* to_string(status s);

struct policy {
  millis retry_delay = 2'000;        // --notify-retry-delay
  millis max_delay = 600'000;        // the doubling stops at 10 minutes
  std::uint32_t max_attempts = 8;    // --notify-max-attempts
  /// The wait after failed try number `attempt` (1-based; 0 counts as 1): retry_delay x
  /// 2^(attempt-1), capped at max_delay, without overflow for any attempt.
  millis backoff(std::uint32_t attempt) const;
};

struct notification {
  std::string id; // NTF-000001: also the delivery id
  std::string company_id;
  channel ch = channel::webhook;
  std::string to;      // an email address, a phone, or the webhook URL
  std::string event;   // what it is about: ticket.assigned, dispute.created, refund.requested, ...
  std::string subject; // email only
  std::string body;    // the rendered message; for a webhook the JSON sent
  status st = status::pending;
  std::uint32_t attempts = 0;     // every try, the first included
  std::uint32_t max_attempts = 8; // tries allowed before failed (grows by a retry)
  std::string last_error;
  std::optional<millis> next_attempt_at; // pending: when the next try is due
  millis created_at = 0;
  millis updated_at = 0;
  std::optional<millis> sent_at;
  std::uint64_t version = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t queued_seq = 0; // the seq of its notification.queued (0 before it is written)
  bool operator==(const notification&) const = default;
};

struct queue_cmd {
  channel ch = channel::webhook;
  std::string to;
  std::string event;
  std::string subject;
  std::string body;
};

/// notification.queued: pending, due at once.
std::vector<event_draft> decide_queue(const queue_cmd& c, const std::string& id, const origin& o,
                                      const policy& p);
/// One try's outcome at o.now: sent, or failed with its next try at o.now + p.backoff(attempt)
/// (or failed for good when it was try number max_attempts). `error` is cleaned and cut as the
/// event comment says ("delivery failed" when empty). Nothing when the notification is not
/// pending (a stale outcome).
std::vector<event_draft> decide_attempt(const notification& n, bool ok, std::string_view error,
                                        const origin& o, const policy& p);
/// POST /notifications/:id/retry: pending again with p.max_attempts more tries, due at once;
/// 409 (details: "status") when it is already pending or sent. Keeps lastError until the next try.
result<std::vector<event_draft>> decide_retry(const notification& n, const origin& o, const policy& p);

/// Folds one event into the state. Unknown types are ignored (forward compatibility); returns
/// false on data it cannot read.
bool apply(notification& n, const event& e);

/// {id, channel, to, event, status, attempts, lastError, createdAt, sentAt}; lastError and
/// sentAt are null when there is none.
void write_json(json::writer& w, const notification& n);

} // namespace crm::notifications
