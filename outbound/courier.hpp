#pragma once
// Outbound delivery of notifications: HTTP POSTs (WhatsApp and SMS gateways, webhooks) and mail
// over SMTP, all driven by libcurl's multi interface on one thread owned by the courier, so that
// no actor and no io thread ever waits on a receiver.
//
// The courier makes one attempt per submission. Retries, back-off and persistence belong to the
// outbox that calls it.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::outbound {

/// A POST of `body` to `url` (http or https only). Headers are sent in the given order as
/// "name: value"; the Content-Type comes from them (libcurl's form default applies when none is
/// given). Redirects are never followed: a 3xx is a failure.
struct http_request {
  std::string url{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  /// The whole transfer; connecting gets min(timeout, 5 s). At least 1 ms.
  std::chrono::milliseconds timeout{10000};
};

/// A plain-text mail to one recipient over SMTP (smtp:// or smtps://). STARTTLS is used when the
/// server offers it; the login (`user`, `password`) is sent only when `user` is not empty.
/// `from` and `to` are "addr@host" or "Display Name <addr@host>"; the envelope uses the address.
struct mail {
  std::string smtp_url{};
  std::string from{};
  std::string to{};
  std::string user{}, password{};
  std::string subject{};
  std::string body{};
  /// The Message-ID's local part (the notification's id: the same on every try, so that a
  /// receiver can tell a repeat); empty: a random one. Only [A-Za-z0-9.-] are kept.
  std::string message_id{};
  /// The whole session; connecting gets min(timeout, 5 s). At least 1 ms.
  std::chrono::milliseconds timeout{30000};
};

/// The result of one attempt.
struct outcome {
  /// HTTP: the answer's status is 2xx. Mail: the server accepted the message.
  bool ok = false;
  /// The last HTTP status or SMTP reply code received; 0 when there was none.
  long status = 0;
  /// Empty when ok. Otherwise libcurl's message ("Operation timed out after ..."), or
  /// "HTTP <status>: <first 200 bytes of the answer, control characters as spaces>", or
  /// "shut down" when the courier was destroyed first, or "invalid ..." for a request the courier
  /// refused to send (a header or address holding CR or LF, a malformed header name).
  std::string error{};
  /// The first 64 KiB of the HTTP answer's body (empty for mail).
  std::string body{};
};

/// Runs transfers on a thread of its own.
///
/// Thread safety: post(), send() and in_flight() may be called from any thread, also from inside
/// a `done` callback. `done` runs exactly once per submission, on the courier's thread (callers
/// hand the outcome back to their own thread or actor); it must be quick and must not throw (an
/// exception from it is dropped). The destructor must not race with post() or send() from other
/// threads.
class courier {
public:
  /// Starts the thread. At most `max_in_flight` transfers (at least 1) run at once; later
  /// submissions wait in order.
  explicit courier(std::size_t max_in_flight = 64);
  /// Stops the thread. Submissions that have not finished (running or waiting) get their `done`
  /// called with ok=false and error "shut down" before the destructor returns.
  ~courier();

  courier(const courier&) = delete;
  courier& operator=(const courier&) = delete;

  /// Queues a POST; never blocks on the network.
  void post(http_request r, std::function<void(outcome)> done);
  /// Queues a mail; never blocks on the network.
  void send(mail m, std::function<void(outcome)> done);

  /// Submissions whose `done` has not been called yet, the waiting ones included.
  std::size_t in_flight() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The RFC 5322 text the courier sends for `m`: From, To, Subject (RFC 2047 encoded-words when not
/// ASCII), Date, Message-ID, MIME-Version, Content-Type text/plain; charset=utf-8,
/// Content-Transfer-Encoding 8bit, a blank line, then the body with every line ending in CRLF.
/// Lines starting with '.' are left as they are: libcurl dot-stuffs SMTP uploads itself.
/// CR and LF in the subject become spaces.
std::string build_message(const mail& m, std::chrono::system_clock::time_point date,
                          std::string_view message_id);

} // namespace crm::outbound
