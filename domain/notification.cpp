#include "domain/notification.hpp"

#include <algorithm>
#include <limits>

#include "domain/text.hpp"
#include "domain/time_format.hpp"

namespace crm::notifications {

namespace {

constexpr std::string_view channel_names[] = {"email", "whatsapp", "sms", "webhook"};
constexpr std::string_view status_names[] = {"pending", "sent", "failed"};

constexpr std::size_t max_error_bytes = 300;

template <class E, std::size_t N>
std::optional<E> parse_enum(std::string_view s, const std::string_view (&names)[N]) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s)
      return static_cast<E>(i);
  return std::nullopt;
}

thread_local simdjson::dom::parser tl_parser;

using json::get_str;

event_draft make(const origin& o, const std::string& entity, std::string type, std::string data) {
  return event_draft{o.company_id, entity, std::move(type), o.actor, o.now, std::move(data)};
}

std::uint32_t get_u32(simdjson::dom::element obj, std::string_view k, std::uint32_t fallback) {
  std::uint64_t v = 0;
  if (obj[k].get(v) || v > std::numeric_limits<std::uint32_t>::max())
    return fallback;
  return static_cast<std::uint32_t>(v);
}

/// The length of the well-formed UTF-8 character at the start of `s`, 0 when it is not one.
std::size_t utf8_char_length(std::string_view s) {
  auto c = static_cast<unsigned char>(s[0]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || n > s.size() || !valid_utf8(s.substr(0, n)))
    return 0;
  return n;
}

bool control(std::string_view ch) {
  auto c = static_cast<unsigned char>(ch[0]);
  if (ch.size() == 1)
    return c < 0x20 || c == 0x7f;
  return ch.size() == 2 && c == 0xc2 && static_cast<unsigned char>(ch[1]) < 0xa0; // U+0080..U+009F
}

/// A receiver's error text as the log keeps it: at most `max` bytes cut on a character
/// boundary, each byte that is not UTF-8 and each control character replaced by '?'.
std::string clean_error(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  std::size_t i = 0;
  while (i < s.size()) {
    auto n = utf8_char_length(s.substr(i));
    std::string_view ch = n ? s.substr(i, n) : std::string_view{};
    bool bad = n == 0 || control(ch);
    std::size_t width = bad ? 1 : n;
    if (out.size() + width > max)
      break;
    if (bad)
      out += '?';
    else
      out.append(ch);
    i += n ? n : 1;
  }
  return out;
}

} // namespace

std::optional<channel> parse_channel(std::string_view s) { return parse_enum<channel>(s, channel_names); }
std::optional<status> parse_status(std::string_view s) { return parse_enum<status>(s, status_names); }
const char* to_string(channel c) { return channel_names[static_cast<int>(c)].data(); }
const char* to_string(status s) { return status_names[static_cast<int>(s)].data(); }

millis policy::backoff(std::uint32_t attempt) const {
  const millis cap = std::max<millis>(max_delay, 0);
  const millis base = std::max<millis>(retry_delay, 0);
  if (base >= cap)
    return cap;
  const std::uint32_t shift = attempt == 0 ? 0 : attempt - 1;
  if (shift >= 62 || base > (cap >> shift))
    return cap;
  return base << shift;
}

std::vector<event_draft> decide_queue(const queue_cmd& c, const std::string& id, const origin& o,
                                      const policy& p) {
  std::vector<event_draft> out;
  out.push_back(make(o, id, "notification.queued", json::object([&](json::writer& w) {
                       json::kv(w, "notificationId", id);
                       json::kv(w, "channel", to_string(c.ch));
                       json::kv(w, "to", c.to);
                       json::kv(w, "event", c.event);
                       json::kv(w, "subject", c.subject);
                       json::kv(w, "body", c.body);
                       json::key(w, "maxAttempts");
                       w.Uint(p.max_attempts);
                     })));
  return out;
}

std::vector<event_draft> decide_attempt(const notification& n, bool ok, std::string_view error,
                                        const origin& o, const policy& p) {
  std::vector<event_draft> out;
  if (n.st != status::pending)
    return out;
  const std::uint32_t attempt = n.attempts + 1;
  out.push_back(make(o, n.id, "notification.attempted", json::object([&](json::writer& w) {
                       json::key(w, "attempt");
                       w.Uint(attempt);
                       json::key(w, "ok");
                       w.Bool(ok);
                       if (ok)
                         return;
                       auto text = clean_error(error, max_error_bytes);
                       json::kv(w, "error", text.empty() ? std::string_view("delivery failed") : text);
                       json::kv_time(w, "nextAttemptAt", attempt >= n.max_attempts
                                                           ? std::nullopt
                                                           : std::optional<millis>(o.now + p.backoff(attempt)));
                     })));
  return out;
}

result<std::vector<event_draft>> decide_retry(const notification& n, const origin& o, const policy& p) {
  if (n.st != status::failed)
    return error{errc::conflict, "notification " + n.id + " is " + to_string(n.st) + ": only a failed one is retried",
                 {{"status", std::string("the notification is ") + to_string(n.st)}}};
  std::vector<event_draft> out;
  out.push_back(make(o, n.id, "notification.retried", json::object([&](json::writer& w) {
                       json::key(w, "maxAttempts");
                       w.Uint(n.attempts + p.max_attempts);
                     })));
  return out;
}

bool apply(notification& n, const event& e) {
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return false;
  if (e.type == "notification.queued") {
    n = notification{};
    n.id = get_str(d, "notificationId");
    if (n.id.empty())
      n.id = e.entity;
    n.company_id = e.company_id;
    n.ch = parse_channel(get_str(d, "channel")).value_or(channel::webhook);
    n.to = get_str(d, "to");
    n.event = get_str(d, "event");
    n.subject = get_str(d, "subject");
    n.body = get_str(d, "body");
    n.max_attempts = get_u32(d, "maxAttempts", n.max_attempts);
    n.st = status::pending;
    n.attempts = 0;
    n.next_attempt_at = e.at;
    n.created_at = e.at;
    n.queued_seq = e.seq;
  } else if (e.type == "notification.attempted") {
    n.attempts = get_u32(d, "attempt", n.attempts + 1);
    bool ok = false;
    if (d["ok"].get(ok))
      return false;
    if (ok) {
      n.st = status::sent;
      n.sent_at = e.at;
      n.next_attempt_at.reset();
      n.last_error.clear();
    } else {
      n.last_error = get_str(d, "error");
      n.next_attempt_at = parse_time(get_str(d, "nextAttemptAt"));
      if (!n.next_attempt_at)
        n.st = status::failed;
    }
  } else if (e.type == "notification.retried") {
    n.max_attempts = get_u32(d, "maxAttempts", n.max_attempts);
    n.st = status::pending;
    n.next_attempt_at = e.at;
  } else {
    return true; // not a notification event this version knows: ignored, state unchanged
  }
  n.updated_at = e.at;
  n.version += 1;
  if (e.seq)
    n.last_seq = e.seq;
  return true;
}

void write_json(json::writer& w, const notification& n) {
  w.StartObject();
  json::kv(w, "id", n.id);
  json::kv(w, "channel", to_string(n.ch));
  json::kv(w, "to", n.to);
  json::kv(w, "event", n.event);
  json::kv(w, "status", to_string(n.st));
  json::key(w, "attempts");
  w.Uint(n.attempts);
  json::kv_or_null(w, "lastError", n.last_error);
  json::kv_time(w, "createdAt", n.created_at);
  json::kv_time(w, "sentAt", n.sent_at);
  w.EndObject();
}

} // namespace crm::notifications
