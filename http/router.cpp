#include "http/router.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>

#include "domain/json.hpp"
#include "domain/text.hpp"

namespace crm::http {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/')
      ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos)
      j = path.size();
    if (j > i)
      out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

result<request_target> parse_target(std::string_view target) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u)
    return error{errc::malformed, "the request target is not a valid path and query"};
  request_target out;
  // Empty segments (a doubled or trailing slash) are not part of a route.
  for (auto seg : u->encoded_segments()) {
    if (seg.empty())
      continue;
    auto s = seg.decode();
    if (!valid_utf8(s))
      return error{errc::malformed, "the path is not valid UTF-8 once decoded"};
    out.segments.push_back(std::move(s));
  }
  if (u->has_query()) {
    boost::urls::encoding_opts form(true); // '+' is a space, as forms and HTTP libraries send it
    for (auto p : u->encoded_params()) {
      auto k = p.key.decode(form);
      auto v = p.has_value ? p.value.decode(form) : std::string();
      if (!valid_utf8(k) || !valid_utf8(v))
        return error{errc::malformed, "the query string is not valid UTF-8 once decoded",
                     {{valid_utf8(k) ? k : printable(k), "must be valid UTF-8"}}};
      out.query.emplace_back(std::move(k), std::move(v));
    }
  }
  return out;
}

query_params::query_params(std::vector<std::pair<std::string, std::string>> items)
  : items_(std::move(items)), taken_(items_.size(), false) {}

std::optional<std::string> query_params::take(std::string_view name) {
  std::optional<std::string> out;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].first != name)
      continue;
    taken_[i] = true;
    if (out)
      *out += "," + items_[i].second;
    else
      out = items_[i].second;
  }
  return out;
}

std::vector<std::string> query_params::take_list(std::string_view name) {
  std::vector<std::string> out;
  auto all = take(name);
  if (!all)
    return out;
  size_t i = 0;
  while (i <= all->size()) {
    auto j = all->find(',', i);
    if (j == std::string::npos)
      j = all->size();
    if (j > i)
      out.push_back(all->substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<error> query_params::finish() {
  std::vector<field_problem> bad;
  for (size_t i = 0; i < items_.size(); ++i)
    if (!taken_[i])
      bad.push_back({items_[i].first, "unknown query parameter"});
  if (bad.empty())
    return std::nullopt;
  return error{errc::malformed, "unknown query parameter", std::move(bad)};
}

void http_metrics::observe(const std::string& route, int status, double seconds) {
  {
    // Nearly always there: a shared lock and lock-free counters, no copy of the route's name.
    std::shared_lock lock(mu_);
    if (auto it = latency_.find(std::pair<std::string_view, int>(route, status)); it != latency_.end())
      return it->second->observe(seconds);
  }
  std::unique_lock lock(mu_);
  auto& h = latency_[{route, status}];
  if (!h)
    h = std::make_unique<hist>(hist({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0}));
  h->observe(seconds);
}

void render_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   const std::string& value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(value).append("\n");
}

void http_metrics::render(std::string& out) const {
  std::shared_lock lock(mu_);
  out += "# HELP crm_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE crm_http_requests_total counter\n";
  for (auto& [k, h] : latency_)
    out += "crm_http_requests_total{route=\"" + k.first + "\",status=\"" + std::to_string(k.second)
           + "\"} " + std::to_string(h->count()) + "\n";
  out += "# HELP crm_http_request_duration_seconds Time from request read to answer, by route and status.\n";
  out += "# TYPE crm_http_request_duration_seconds histogram\n";
  for (auto& [k, h] : latency_)
    h->render(out, "crm_http_request_duration_seconds",
              "route=\"" + k.first + "\",status=\"" + std::to_string(k.second) + "\",");
  render_metric(out, "crm_http_open_connections", "gauge", "HTTP connections open now.",
                std::to_string(open_connections.load()));
  render_metric(out, "crm_http_refused_connections_total", "counter", "Connections closed at once: the connection limit or no descriptor left.",
                std::to_string(refused_connections.load()));
  render_metric(out, "crm_http_timed_out_connections_total", "counter", "Connections closed for a slow body, an idle keep-alive or unread answers.",
                std::to_string(timed_out_connections.load()));
  render_metric(out, "crm_http_buffered_output_bytes", "gauge", "Bytes of answers waiting for their clients to read them.",
                std::to_string(buffered_output_bytes.load()));
}

router::router(actors::runtime& rt, const crm::clock& clk, options opts)
  : rt_(rt), clk_(clk), limiter_(opts.rate_limit), request_timeout_(opts.request_timeout) {
  // Fault injection for the crash tests: answers are sent, but their Idempotency-Key records
  // are not written afterwards, exactly as when the process dies between the two.
  const char* fault = std::getenv("CRM_FAULT_DROP_IDEMPOTENCY_ANSWERS");
  fault_drop_idempotency_answers = fault && std::string_view(fault) == "1";
  if (!opts.platform_token.empty())
    platform_hash_ = sha256_hex(opts.platform_token);
}

void router::add(std::string method, std::string pattern, roles allowed, handler h,
                 bool needs_auth) {
  auto segs = split_path(pattern);
  bool admin = segs.size() >= 3 && segs[0] == "api" && segs[2] == "admin";
  auto label = method + " " + pattern; // made once: every request is counted under it
  routes_.push_back(route{std::move(method), std::move(segs), std::move(label), allowed, std::move(h),
                          needs_auth, admin, {}});
}

std::optional<principal> router::authenticate(const request& req) const {
  std::string_view auth = req.authorization;
  constexpr std::string_view bearer = "Bearer ";
  if (auth.size() <= bearer.size() || auth.substr(0, bearer.size()) != bearer)
    return std::nullopt;
  auto token = auth.substr(bearer.size());
  while (!token.empty() && token.back() == ' ')
    token.remove_suffix(1);
  if (!platform_hash_.empty() && constant_time_equal(sha256_hex(token), platform_hash_))
    return principal{req.company_header, actors::role::platform, "platform", {}};
  auto key = rt_.keys().authenticate(token);
  if (!key)
    return std::nullopt;
  if (key->r == actors::role::platform) // a platform key acts for the company it names
    return principal{req.company_header, key->r, key->id, {}};
  return principal{key->company_id, key->r, key->id, key->rep_id};
}

const router::route* router::match(const std::string& method, const std::vector<std::string>& segs,
                                   std::vector<std::string>& params, bool& path_matched) const {
  path_matched = false;
  for (auto& r : routes_) {
    if (r.segments.size() != segs.size())
      continue;
    std::vector<std::string> ps;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (!r.segments[i].empty() && r.segments[i][0] == ':')
        ps.push_back(segs[i]);
      else
        ok = r.segments[i] == segs[i];
    }
    if (!ok)
      continue;
    path_matched = true;
    if (r.method == method) {
      params = std::move(ps);
      return &r;
    }
  }
  return nullptr;
}

std::string router::allowed_methods(const std::vector<std::string>& segs) const {
  std::vector<std::string> methods;
  for (auto& r : routes_) {
    if (r.segments.size() != segs.size())
      continue;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i)
      ok = (!r.segments[i].empty() && r.segments[i][0] == ':') || r.segments[i] == segs[i];
    if (ok && std::find(methods.begin(), methods.end(), r.method) == methods.end())
      methods.push_back(r.method);
  }
  std::string out;
  for (auto& m : methods)
    out += (out.empty() ? "" : ", ") + m;
  return out;
}

bool json_media_type(std::string_view ct) {
  auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
    type.remove_prefix(1);
  constexpr std::string_view want = "application/json";
  if (type.size() != want.size())
    return false;
  for (size_t i = 0; i < want.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(type[i])) != want[i])
      return false;
  return true;
}

std::optional<error> router::check_headers(const request& req, const route& r,
                                           const principal* who) const {
  if (!valid_header_text(req.authorization))
    return error{errc::malformed, "the Authorization header is not valid text",
                 {{"Authorization", "must be printable UTF-8"}}};
  if (who && who->r == actors::role::platform && !r.admin_path) {
    if (req.company_header.empty())
      return error{errc::malformed, "X-Company-Id is required with the platform token",
                   {{"X-Company-Id", "is required"}}};
    if (!valid_identifier(req.company_header))
      return error{errc::malformed, "X-Company-Id is not a valid company id",
                   {{"X-Company-Id", identifier_problem(req.company_header)}}};
  }
  if (req.method == "POST" && r.needs_auth && req.has_idempotency_key
      && !valid_identifier(req.idempotency_key))
    return error{errc::malformed, "Idempotency-Key is not valid",
                 {{"Idempotency-Key", identifier_problem(req.idempotency_key)}}};
  if ((req.method == "POST" || req.method == "PUT") && req.has_body
      && !json_media_type(req.content_type))
    return error{errc::unsupported_media, "the body must be application/json",
                 {{"Content-Type", "must be application/json"}}};
  return std::nullopt;
}

std::optional<response> router::precheck(const request& req) const {
  auto t = parse_target(req.target);
  if (!t)
    return error_response(t.err());
  std::vector<std::string> params;
  bool path_matched = false;
  auto* found = match(req.method, t->segments, params, path_matched);
  if (!found || !found->needs_auth)
    return std::nullopt; // the full handling answers these without reading much
  if (!ready_)
    return error_response(errc::unavailable, "recovering; try again shortly");
  if (auto who = admit(req, *found); !who)
    return error_response(who.err());
  return std::nullopt;
}

result<principal> router::admit(const request& req, const route& r) const {
  auto who = authenticate(req);
  if (!who) {
    if (!valid_header_text(req.authorization))
      return *check_headers(req, r, nullptr);
    return error{errc::unauthorized, req.authorization.empty() ? "missing Authorization: Bearer <key>"
                                                               : "unknown or revoked key"};
  }
  if (!(r.allowed & role_bit(who->r)))
    return error{errc::forbidden, std::string("the ") + actors::to_string(who->r) + " role may not do this"};
  if (auto err = check_headers(req, r, &*who))
    return std::move(*err);
  return std::move(*who);
}

void router::handle(request req, responder::sink out) {
  auto started = std::chrono::steady_clock::now();
  auto target = parse_target(req.target);
  std::vector<std::string> params;
  bool path_matched = false;
  const route* found = target ? match(req.method, target->segments, params, path_matched) : nullptr;
  static const std::string unmatched = "unmatched";
  const std::string* label = found ? &found->label : &unmatched; // routes_ outlives every request
  auto* metrics = &metrics_;
  responder reply([out = std::move(out), label, started, metrics](response r) {
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics->observe(*label, r.status, secs);
    out(std::move(r));
  });
  if (!target)
    return reply(target.err());
  if (!found) {
    if (path_matched) {
      auto r = error_response(errc::not_found, "method " + printable(req.method, 20)
                                                 + " is not allowed on this path");
      r.status = 405;
      r.headers.emplace_back("Allow", allowed_methods(target->segments)); // RFC 9110 15.5.6
      return reply(std::move(r));
    }
    return reply(error{errc::not_found, "no such endpoint"});
  }
  if (found->needs_auth && !ready_)
    return reply(error{errc::unavailable, "recovering; try again shortly"});
  // The deadline is watched only for a request not answered by the time its handler returns
  // (one that waits on an actor): reads from the read model answer at once.
  std::optional<responder> watched;
  if (found->needs_auth && request_timeout_.count() > 0)
    watched = reply;
  context ctx{std::move(req), std::move(params), query_params(std::move(target->query)), {},
              clk_.wall_now(), {}};
  if (found->needs_auth) {
    auto who = admit(ctx.req, *found);
    if (!who)
      return reply(who.err());
    if (auto wait = limiter_.take(who->actor, clk_.steady_now())) {
      auto r = error_response(errc::rate_limited, "too many requests for this key; slow down");
      r.headers.emplace_back("Retry-After", std::to_string((*wait + 999) / 1000));
      return reply(std::move(r));
    }
    ctx.who = std::move(who.value());
  } else if (auto err = check_headers(ctx.req, *found, nullptr)) {
    return reply(*err);
  }
  if (ctx.req.method == "POST" && ctx.req.has_idempotency_key && found->needs_auth) {
    // Admin paths act for no company (X-Company-Id is not theirs to read): one scope outside the
    // identifier alphabet, which no company id can name.
    auto scope = found->admin_path ? std::string("\x01" "admin") : ctx.who.company;
    auto fingerprint = sha256_hex(ctx.req.method + " " + ctx.req.target + "\n" + ctx.req.body);
    actors::idempotency_store::answer prior;
    auto& store = rt_.idempotency();
    switch (store.begin(scope, ctx.req.idempotency_key, fingerprint, prior)) {
      case actors::idempotency_store::verdict::replay: {
        response r{prior.status, prior.body, "application/json", {{"Idempotent-Replayed", "true"}}, {}, {}};
        return reply(std::move(r));
      }
      case actors::idempotency_store::verdict::mismatch:
        return reply(error{errc::conflict,
                           "this Idempotency-Key was used with another request",
                           {{"Idempotency-Key", "reused with a different body"}}});
      case actors::idempotency_store::verdict::in_progress:
        return reply(error{errc::conflict, "a request with this Idempotency-Key is in progress",
                           {{"Idempotency-Key", "in progress"}}});
      case actors::idempotency_store::verdict::full: {
        auto r = error_response(errc::rate_limited,
                                "too many Idempotency-Key records for this company; retry later or without a key");
        r.headers.emplace_back("Retry-After", "60");
        return reply(std::move(r));
      }
      case actors::idempotency_store::verdict::proceed: break;
    }
    if (found->from_events) {
      auto claim = std::make_shared<idempotency_claim>();
      claim->row_key = storage::idempotency_key(scope, ctx.req.idempotency_key);
      claim->fingerprint = fingerprint;
      claim->at = clk_.wall_now();
      claim->answer = found->from_events;
      ctx.idem = std::move(claim);
    }
    auto key = ctx.req.idempotency_key;
    reply = responder([reply, scope, key, &store, fault_drop_idempotency_answers = fault_drop_idempotency_answers](response r) {
      // Not kept: what retrying may change (5xx, 429), and what depends on who asks rather
      // than on the request (403: another key of the company may send it and be allowed).
      if (r.status >= 500 || r.status == 429 || r.status == 403) {
        store.abandon(scope, key);
        return reply(std::move(r));
      }
      auto status = r.status;
      auto body = r.replay_body ? *r.replay_body : r.materialize();
      if (fault_drop_idempotency_answers) // test only: as if the process died right here
        return reply(std::move(r));
      store.complete(scope, key, status, body, [reply, r = std::move(r)]() mutable { reply(std::move(r)); });
    });
  }
  found->h(ctx, std::move(reply));
  if (watched && !watched->answered())
    deadlines_.watch(*watched, request_timeout_);
}

} // namespace crm::http
