#include "domain/json.hpp"

#include "domain/time_format.hpp"

namespace crm::json {

void kv_time(writer& w, std::string_view k, std::optional<millis> t) {
  if (!t)
    return void(w.Member(k, nullptr));
  char buf[80];
  std::string_view v(buf, format_time_to(buf, *t));
  w.Member(k, &v);
}

void kv_money(writer& w, std::string_view k, std::int64_t paise) {
  key(w, k);
  auto s = paise_to_string(paise);
  w.RawValue(s.data(), s.size(), rapidjson::kNumberType);
}

std::string to_string(simdjson::dom::element e) {
  return simdjson::minify(e);
}

} // namespace crm::json
