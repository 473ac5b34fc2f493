#pragma once
// The HTTP layer's own request and response: plain values, no Beast types, so that routing,
// auth and handlers compile without Beast and are testable alone.
#include <functional>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/errc.hpp"

namespace crm::http {

struct request {
  std::string method; // GET POST PUT DELETE ...
  std::string target; // path and query, as sent
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string company_header; // X-Company-Id
  std::string idempotency_key;
  bool has_idempotency_key = false; // the header was sent (empty is not valid)
  bool has_body = false;            // a body was announced (Content-Length > 0 or chunked)
};

struct response {
  int status = 200;
  std::string body; // JSON, or Prometheus text when content_type says so
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, makes the body later, on the io thread that writes the answer: actors hand
  /// over their data and get back to work instead of serializing it themselves.
  std::function<std::string()> render;
  /// When set, what an Idempotency-Key replay answers instead of the body: an answer that
  /// shows a secret once (a new API key) keeps it out of the stored record.
  std::optional<std::string> replay_body;

  /// The body, rendering it first if needed.
  const std::string& materialize() {
    if (render) {
      body = render();
      render = nullptr;
    }
    return body;
  }
};

/// At most this many field problems are listed in an error answer; a last one counts the rest.
constexpr std::size_t max_error_details = 50;

/// The one table from error codes to HTTP statuses.
int status_of(errc code);

/// {"error": {"code", "message", "details": [{"field", "problem"}]}}
response error_response(const error& err);
inline response error_response(errc code, std::string message,
                               std::vector<field_problem> details = {}) {
  return error_response(error{code, std::move(message), std::move(details)});
}
inline response json_response(int status, std::string body) {
  return response{status, std::move(body), "application/json", {}, {}, {}};
}
/// A JSON answer whose body `render` makes on the io thread.
inline response json_later(int status, std::function<std::string()> render) {
  return response{status, {}, "application/json", {}, std::move(render), {}};
}

/// Delivers one response. Whoever holds the last copy of an unanswered responder answers 503
/// when it is destroyed, so a request that an actor dropped still gets an answer. The first
/// answer wins, from any thread (a deadline may race the actor's reply); later ones are dropped.
class responder {
public:
  using sink = std::function<void(response)>;
  struct state {
    explicit state(sink s) : out(std::move(s)) {}
    ~state() {
      if (!done.exchange(true) && out)
        out(error_response(errc::unavailable, "the request was dropped; try again"));
    }
    void answer(response r) {
      if (done.exchange(true))
        return;
      auto s = std::move(out);
      out = nullptr;
      s(std::move(r));
    }
    sink out;
    std::atomic<bool> done{false};
  };
  explicit responder(sink s) : state_(std::make_shared<state>(std::move(s))) {}
  void operator()(response r) const { state_->answer(std::move(r)); }
  void operator()(const error& e) const { state_->answer(error_response(e)); }
  std::weak_ptr<state> watch() const { return state_; }
  bool answered() const { return state_->done.load(std::memory_order_acquire); }

private:
  std::shared_ptr<state> state_;
};

/// Answers 503 with Retry-After to every watched responder still unanswered at its deadline:
/// no request waits forever on an actor or a stalled journal. One thread ticking every 50 ms.
class deadline_keeper {
public:
  deadline_keeper();
  ~deadline_keeper();
  deadline_keeper(const deadline_keeper&) = delete;
  deadline_keeper& operator=(const deadline_keeper&) = delete;
  void watch(const responder& r, std::chrono::milliseconds timeout);
  std::size_t watched() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace crm::http
