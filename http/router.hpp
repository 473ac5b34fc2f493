#pragma once
// Turns a request into a response and never touches a socket: matches the route, checks the
// key, the role and the company, applies Idempotency-Key, and calls the handler. Handlers are
// thin: read the body and query into a command, send one message, map the answer.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string_view>
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

/// A request target parsed with Boost.URL: the path's non-empty segments and the query's
/// parameters, both percent-decoded ('+' is a space in the query) and checked to be UTF-8.
struct request_target {
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;
};
/// errc::malformed when the target is not an origin-form path and query, or decodes to bytes
/// that are not UTF-8.
result<request_target> parse_target(std::string_view target);

/// True when a Content-Type names application/json exactly (any case, parameters aside).
bool json_media_type(std::string_view content_type);

/// Query parameters with the set a route allows: unknown ones are 400.
class query_params {
public:
  query_params() = default;
  /// Decoded name and value pairs, in the order sent.
  explicit query_params(std::vector<std::pair<std::string, std::string>> items);
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
  idempotency_claim_ptr idem; // set when the request's Idempotency-Key is honoured
  tickets::origin origin() const { return {who.company, who.actor, now, idem}; }
};

using handler = std::function<void(context&, responder)>;
/// A route's answer made from the events its change wrote (status and body): what an
/// Idempotency-Key replays after a crash that came between the change and its answer.
using events_answer = std::function<std::pair<int, std::string>(const std::vector<event>&)>;

/// Roles as a bit set.
using roles = unsigned;
constexpr roles role_bit(actors::role r) { return 1u << static_cast<unsigned>(r); }
constexpr roles all_roles = 0x1f;
constexpr roles writers = role_bit(actors::role::platform) | role_bit(actors::role::admin)
                          | role_bit(actors::role::manager) | role_bit(actors::role::agent);
constexpr roles admins = role_bit(actors::role::platform) | role_bit(actors::role::admin);
constexpr roles platform_only = role_bit(actors::role::platform);

/// Appends one Prometheus sample with its HELP and TYPE lines (`type`: gauge or counter).
void render_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   const std::string& value);

/// Request counts and latency by route and status, for /metrics. Thread safe.
class http_metrics {
public:
  void observe(const std::string& route, int status, double seconds);
  void render(std::string& out) const;

  /// Kept by the server: connections open now, and those shed at the limit or for a client
  /// that sent a body too slowly or left its answers unread.
  std::atomic<long> open_connections{0};
  std::atomic<std::uint64_t> refused_connections{0};
  std::atomic<std::uint64_t> timed_out_connections{0};
  std::atomic<long> buffered_output_bytes{0};

private:
  using hist = histogram<10>;
  /// (route, status) ordered as views, so that a lookup copies no string.
  struct key_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, int>(a.first, a.second) < std::pair<std::string_view, int>(b.first, b.second);
    }
  };
  mutable std::shared_mutex mu_; // exclusive only to add a (route, status)
  std::map<std::pair<std::string, int>, std::unique_ptr<hist>, key_less> latency_;
};

class router {
public:
  struct options {
    std::string platform_token; // empty: no platform token accepted
    double rate_limit = 0;      // requests a second per API key; 0: no limit
    std::chrono::milliseconds request_timeout{5000}; // answer 503 past this; 0: never
  };
  router(actors::runtime& rt, const crm::clock& clk, options opts);

  /// `pattern` like "/api/v1/support/tickets/:ticketId". `needs_auth` false for health.
  void add(std::string method, std::string pattern, roles allowed, handler h,
           bool needs_auth = true);
  /// Gives the route added last its answer from events: then an Idempotency-Key record is
  /// written in the same batch as the change (see domain/idempotency.hpp).
  void answers_from_events(events_answer f) { routes_.back().from_events = std::move(f); }

  /// Answers through `out` exactly once, possibly from another thread.
  void handle(request req, responder::sink out);

  /// What can be told from the headers alone, before a body is read: an answer (401, 403,
  /// 400, 415, 503) when the request cannot succeed whatever its body, so that the server does
  /// not buffer a megabyte for a client without a key. nullopt: read the body and handle it.
  std::optional<response> precheck(const request& req) const;

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
    events_answer from_events;
  };
  std::optional<principal> authenticate(const request& req) const;
  /// The key, its role and the headers used as data, in that order: who the request is from,
  /// or why it is refused (401, 403, 400). The same before a body is read and after.
  result<principal> admit(const request& req, const route& r) const;
  /// The methods of the routes whose path matches (the Allow header of a 405).
  std::string allowed_methods(const std::vector<std::string>& segs) const;
  const route* match(const std::string& method, const std::vector<std::string>& segs,
                     std::vector<std::string>& params, bool& path_matched) const;
  /// The headers used as data: X-Company-Id and Idempotency-Key are identifiers, Authorization
  /// is printable, a body is application/json.
  std::optional<error> check_headers(const request& req, const route& r,
                                     const principal* who) const;

  actors::runtime& rt_;
  const crm::clock& clk_;
  std::string platform_hash_;
  rate_limiter limiter_;
  std::vector<route> routes_;
  http_metrics metrics_;
  std::atomic<bool> ready_{false};
  std::chrono::milliseconds request_timeout_;
  deadline_keeper deadlines_;
  bool fault_drop_idempotency_answers = false;
};

/// Registers every route of the API.
void add_ticket_routes(router& r);
void add_rep_routes(router& r);
void add_call_routes(router& r);
void add_lead_routes(router& r);
void add_dispute_routes(router& r);
void add_notification_routes(router& r);
void add_admin_routes(router& r);
void add_system_routes(router& r);

} // namespace crm::http
