#include "domain/idempotency.hpp"

#include "domain/json.hpp"

namespace crm {

std::string encode_idempotency_record(std::string_view fingerprint, int status, std::string_view body,
                                      millis at) {
  return json::object([&](json::writer& w) {
    json::kv(w, "fingerprint", fingerprint);
    w.Key("status");
    w.Int(status);
    json::kv(w, "body", body);
    w.Key("at");
    w.Int64(at);
  });
}

} // namespace crm
