#pragma once
// Turns a request into a response and never touches a socket: matches the route, checks the
// key, the role and the company, applies Idempotency-Key, and calls the handler. Handlers are
// thin: read the body and query into a command, send one message, map the answer.
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/key_registry.hpp"
#include "actors/runtime.hpp"
#include "domain/histogram.hpp"
#include "http/message.hpp"
#include "http/rate_limiter.hpp"

namespace crm::http {

struct principal {
  std::string company;
  actors::role r = actors::role::viewer;
  std::string actor;  // API key id, or "platform"
  std::string rep_id; // agent keys bound to a rep
};

/// Query parameters with the set a route allows: unknown ones are 400.
class query_params {
public:
  static result<query_params> parse(std::string_view query);
  /// The value, several values (repeated or comma-joined) joined by commas.
  std::optional<std::string> take(std::string_view name);
  std::vector<std::string> take_list(std::string_view name);
  /// errc::malformed naming each parameter not taken.
  std::optional<error> finish();

private:
  std::vector<std::pair<std::string, std::string>> items_;
  std::vector<bool> taken_;
};

struct context {
  request req;
  std::vector<std::string> params; // path parameters, in order
  query_params query;
  principal who;
  millis now = 0;
  tickets::origin origin() const { return {who.company, who.actor, now}; }
};

using handler = std::function<void(context&, responder)>;

/// Roles as a bit set.
using roles = unsigned;
constexpr roles role_bit(actors::role r) { return 1u << static_cast<unsigned>(r); }
constexpr roles all_roles = 0x1f;
constexpr roles writers = role_bit(actors::role::platform) | role_bit(actors::role::admin)
                          | role_bit(actors::role::manager) | role_bit(actors::role::agent);
constexpr roles admins = role_bit(actors::role::platform) | role_bit(actors::role::admin);
constexpr roles platform_only = role_bit(actors::role::platform);

/// Request counts and latency by route and status, for /metrics. Thread safe.
class http_metrics {
public:
  void observe(const std::string& route, int status, double seconds);
  void render(std::string& out) const;

private:
  using hist = histogram<10>;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::uint64_t> counts_;
  std::map<std::pair<std::string, int>, std::unique_ptr<hist>> latency_;
};

class router {
public:
  struct options {
    std::string platform_token; // empty: no platform token accepted
    double rate_limit = 0;      // requests a second per API key; 0: no limit
  };
  router(actors::runtime& rt, const crm::clock& clk, options opts);

  /// `pattern` like "/api/v1/support/tickets/:ticketId". `needs_auth` false for health.
  void add(std::string method, std::string pattern, roles allowed, handler h,
           bool needs_auth = true);

  /// Answers through `out` exactly once, possibly from another thread.
  void handle(request req, responder::sink out);

  http_metrics& metrics() { return metrics_; }
  actors::runtime& runtime() { return rt_; }
  const crm::clock& clock() const { return clk_; }
  void set_ready(bool r) { ready_ = r; }
  bool ready() const { return ready_; }

private:
  struct route {
    std::string method;
    std::vector<std::string> segments;
    std::string label;
    roles allowed;
    handler h;
    bool needs_auth;
    bool admin_path;
  };
  std::optional<principal> authenticate(const request& req) const;

  actors::runtime& rt_;
  const crm::clock& clk_;
  std::string platform_hash_;
  rate_limiter limiter_;
  std::vector<route> routes_;
  http_metrics metrics_;
  std::atomic<bool> ready_{false};
};

/// Registers every route of the API.
void add_ticket_routes(router& r);
void add_rep_routes(router& r);
void add_call_routes(router& r);
void add_admin_routes(router& r);
void add_system_routes(router& r);

} // namespace crm::http
