#include "http/router.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url_view.hpp>
#include <openssl/crypto.h>

#include <chrono>

#include "domain/json.hpp"

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

result<query_params> query_params::parse(std::string_view query) {
  query_params q;
  if (query.empty())
    return q;
  auto parsed = boost::urls::parse_query(query);
  if (!parsed)
    return error{errc::malformed, "the query string is not valid"};
  for (auto p : *parsed) {
    q.items_.emplace_back(p.key, p.has_value ? p.value : std::string());
    q.taken_.push_back(false);
  }
  return q;
}

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
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[{route, status}];
  auto& h = latency_[{route, status}];
  if (!h)
    h = std::make_unique<hist>(
      hist({0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0}));
  h->observe(seconds);
}

void http_metrics::render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP crm_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE crm_http_requests_total counter\n";
  for (auto& [k, n] : counts_)
    out += "crm_http_requests_total{route=\"" + k.first + "\",status=\"" + std::to_string(k.second)
           + "\"} " + std::to_string(n) + "\n";
  out += "# HELP crm_http_request_duration_seconds Time from request read to answer, by route and status.\n";
  out += "# TYPE crm_http_request_duration_seconds histogram\n";
  for (auto& [k, h] : latency_)
    h->render(out, "crm_http_request_duration_seconds",
              "route=\"" + k.first + "\",status=\"" + std::to_string(k.second) + "\",");
}

router::router(actors::runtime& rt, const crm::clock& clk, options opts)
  : rt_(rt), clk_(clk), limiter_(opts.rate_limit) {
  if (!opts.platform_token.empty())
    platform_hash_ = sha256_hex(opts.platform_token);
}

void router::add(std::string method, std::string pattern, roles allowed, handler h,
                 bool needs_auth) {
  auto segs = split_path(pattern);
  bool admin = segs.size() >= 3 && segs[0] == "api" && segs[2] == "admin";
  routes_.push_back(route{std::move(method), std::move(segs), pattern, allowed, std::move(h),
                          needs_auth, admin});
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

void router::handle(request req, responder::sink out) {
  auto started = std::chrono::steady_clock::now();
  std::string target = req.target;
  auto qpos = target.find('?');
  std::string_view path = std::string_view(target).substr(0, qpos);
  std::string_view query = qpos == std::string::npos ? std::string_view{}
                                                     : std::string_view(target).substr(qpos + 1);
  auto segs = split_path(path);
  const route* found = nullptr;
  bool path_matched = false;
  std::vector<std::string> params;
  for (auto& r : routes_) {
    if (r.segments.size() != segs.size())
      continue;
    std::vector<std::string> ps;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (!r.segments[i].empty() && r.segments[i][0] == ':') {
        auto pct = boost::urls::make_pct_string_view(segs[i]);
        ps.push_back(pct ? pct->decode() : segs[i]);
      } else {
        ok = r.segments[i] == segs[i];
      }
    }
    if (!ok)
      continue;
    path_matched = true;
    if (r.method == req.method) {
      found = &r;
      params = std::move(ps);
      break;
    }
  }
  std::string label = found ? found->method + " " + found->label : "unmatched";
  auto* metrics = &metrics_;
  responder reply([out = std::move(out), label, started, metrics](response r) {
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics->observe(label, r.status, secs);
    out(std::move(r));
  });
  if (!found) {
    if (path_matched) {
      auto r = error_response(errc::not_found, "method " + req.method + " is not allowed on this path");
      r.status = 405;
      return reply(std::move(r));
    }
    return reply(error{errc::not_found, "no such endpoint"});
  }
  if (found->needs_auth && !ready_)
    return reply(error{errc::unavailable, "recovering; try again shortly"});
  auto q = query_params::parse(query);
  if (!q)
    return reply(q.err());
  context ctx{std::move(req), std::move(params), std::move(q.value()), {}, clk_.wall_now()};
  if (found->needs_auth) {
    auto who = authenticate(ctx.req);
    if (!who)
      return reply(error{errc::unauthorized, ctx.req.authorization.empty()
                                               ? "missing Authorization: Bearer <key>"
                                               : "unknown or revoked key"});
    if (!(found->allowed & role_bit(who->r)))
      return reply(error{errc::forbidden, std::string("the ") + actors::to_string(who->r)
                                            + " role may not do this"});
    if (who->r == actors::role::platform && !found->admin_path) {
      if (who->company.empty())
        return reply(error{errc::malformed, "X-Company-Id is required with the platform token",
                           {{"X-Company-Id", "is required"}}});
      if (who->company.size() > 100)
        return reply(error{errc::malformed, "X-Company-Id is too long",
                           {{"X-Company-Id", "must be at most 100 characters"}}});
    }
    if (auto wait = limiter_.take(who->actor, clk_.steady_now())) {
      auto r = error_response(errc::rate_limited, "too many requests for this key; slow down");
      r.headers.emplace_back("Retry-After", std::to_string((*wait + 999) / 1000));
      return reply(std::move(r));
    }
    ctx.who = std::move(*who);
  }
  if (ctx.req.method == "POST" || ctx.req.method == "PUT") {
    auto& ct = ctx.req.content_type;
    if (!ctx.req.body.empty() && ct.compare(0, 16, "application/json") != 0)
      return reply(error{errc::unsupported_media, "the body must be application/json"});
  }
  if (ctx.req.method == "POST" && !ctx.req.idempotency_key.empty() && found->needs_auth) {
    if (ctx.req.idempotency_key.size() > 200)
      return reply(error{errc::malformed, "Idempotency-Key is too long",
                         {{"Idempotency-Key", "must be at most 200 characters"}}});
    auto scope = ctx.who.company.empty() ? std::string("_platform") : ctx.who.company;
    auto fingerprint = sha256_hex(ctx.req.method + " " + std::string(path) + "\n" + ctx.req.body);
    actors::idempotency_store::answer prior;
    auto& store = rt_.idempotency();
    switch (store.begin(scope, ctx.req.idempotency_key, fingerprint, prior)) {
      case actors::idempotency_store::verdict::replay: {
        response r{prior.status, prior.body, "application/json", {{"Idempotent-Replayed", "true"}}, {}};
        return reply(std::move(r));
      }
      case actors::idempotency_store::verdict::mismatch:
        return reply(error{errc::conflict,
                           "this Idempotency-Key was used with another request",
                           {{"Idempotency-Key", "reused with a different body"}}});
      case actors::idempotency_store::verdict::in_progress:
        return reply(error{errc::conflict, "a request with this Idempotency-Key is in progress",
                           {{"Idempotency-Key", "in progress"}}});
      case actors::idempotency_store::verdict::proceed: break;
    }
    auto key = ctx.req.idempotency_key;
    reply = responder([reply, scope, key, &store](response r) {
      if (r.status >= 500 || r.status == 429) {
        store.abandon(scope, key);
        return reply(std::move(r));
      }
      auto status = r.status;
      auto body = r.materialize();
      store.complete(scope, key, status, body, [reply, r = std::move(r)]() mutable { reply(std::move(r)); });
    });
  }
  found->h(ctx, std::move(reply));
}

} // namespace crm::http
