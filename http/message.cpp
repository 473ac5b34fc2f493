#include "http/message.hpp"

#include "domain/json.hpp"

namespace crm::http {

int status_of(errc code) {
  switch (code) {
    case errc::invalid: return 422;
    case errc::malformed: return 400;
    case errc::unauthorized: return 401;
    case errc::forbidden: return 403;
    case errc::not_found: return 404;
    case errc::conflict: return 409;
    case errc::too_large: return 413;
    case errc::unsupported_media: return 415;
    case errc::rate_limited: return 429;
    case errc::unavailable: return 503;
    case errc::internal: return 500;
  }
  return 500;
}

response error_response(const error& err) {
  auto body = json::object([&](json::writer& w) {
    json::key(w, "error");
    w.StartObject();
    json::kv(w, "code", to_code_string(err.code));
    json::kv(w, "message", err.message);
    json::key(w, "details");
    w.StartArray();
    for (auto& d : err.details) {
      w.StartObject();
      json::kv(w, "field", d.field);
      json::kv(w, "problem", d.problem);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
  response r{status_of(err.code), std::move(body), "application/json", {}, {}};
  if (err.code == errc::unauthorized)
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

} // namespace crm::http
