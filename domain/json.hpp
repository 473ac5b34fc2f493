#pragma once
// JSON output goes through RapidJSON's Writer; JSON input through simdjson's DOM parser.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/clock.hpp"

namespace crm::json {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

inline void str(writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
inline void kv(writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  str(w, v);
}
/// Writes the string, or null when it is empty.
inline void kv_or_null(writer& w, std::string_view k, std::string_view v) {
  key(w, k);
  if (v.empty())
    w.Null();
  else
    str(w, v);
}
/// Writes an ISO time, or null.
void kv_time(writer& w, std::string_view k, std::optional<millis> t);
/// Writes money (paise) as a JSON number in rupees.
void kv_money(writer& w, std::string_view k, std::int64_t paise);
/// Inserts already-serialized JSON as a value.
inline void raw(writer& w, std::string_view j) {
  w.RawValue(j.data(), j.size(), rapidjson::kObjectType);
}

/// Serializes one object whose members `body(writer&)` writes.
template <class F>
std::string object(F&& body) {
  rapidjson::StringBuffer sb;
  writer w(sb);
  w.StartObject();
  body(w);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

/// A string member of a parsed object; empty when absent, null or not a string.
inline std::string_view get_str(simdjson::dom::element obj, std::string_view k) {
  std::string_view v;
  if (obj[k].get(v))
    return {};
  return v;
}

/// Minified text of a parsed element.
std::string to_string(simdjson::dom::element e);

} // namespace crm::json
