#pragma once
// The HTTP layer's own request and response: plain values, no Beast types, so that routing,
// auth and handlers compile without Beast and are testable alone.
#include <functional>
#include <memory>
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
};

struct response {
  int status = 200;
  std::string body; // JSON, or Prometheus text when content_type says so
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, makes the body later, on the io thread that writes the answer: actors hand
  /// over their data and get back to work instead of serializing it themselves.
  std::function<std::string()> render;

  /// The body, rendering it first if needed.
  const std::string& materialize() {
    if (render) {
      body = render();
      render = nullptr;
    }
    return body;
  }
};

/// The one table from error codes to HTTP statuses.
int status_of(errc code);

/// {"error": {"code", "message", "details": [{"field", "problem"}]}}
response error_response(const error& err);
inline response error_response(errc code, std::string message,
                               std::vector<field_problem> details = {}) {
  return error_response(error{code, std::move(message), std::move(details)});
}
inline response json_response(int status, std::string body) {
  return response{status, std::move(body), "application/json", {}, {}};
}
/// A JSON answer whose body `render` makes on the io thread.
inline response json_later(int status, std::function<std::string()> render) {
  return response{status, {}, "application/json", {}, std::move(render)};
}

/// Delivers one response. Whoever holds the last copy of an unanswered responder answers 503
/// when it is destroyed, so a request that an actor dropped still gets an answer.
class responder {
public:
  using sink = std::function<void(response)>;
  explicit responder(sink s) : state_(std::make_shared<state>(std::move(s))) {}
  void operator()(response r) const { state_->answer(std::move(r)); }
  void operator()(const error& e) const { state_->answer(error_response(e)); }

private:
  struct state {
    explicit state(sink s) : out(std::move(s)) {}
    ~state() {
      if (out)
        out(error_response(errc::unavailable, "the request was dropped; try again"));
    }
    void answer(response r) {
      if (!out)
        return;
      auto s = std::move(out);
      out = nullptr;
      s(std::move(r));
    }
    sink out;
  };
  std::shared_ptr<state> state_;
};

} // namespace crm::http
