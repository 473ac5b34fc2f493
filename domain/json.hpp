#pragma once
// JSON output goes through RapidJSON's Writer; JSON input through simdjson's DOM parser.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "domain/clock.hpp"

namespace crm::json {

/// True when the text holds nothing JSON escapes (`"`, `\\`, a control character): such a
/// string is written as its bytes between quotes. No early exit, so the compiler vectorizes it.
inline bool plain(const char* s, std::size_t n) {
  unsigned char bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    bad |= static_cast<unsigned char>((c < 0x20) | (c == '"') | (c == '\\'));
  }
  return bad == 0;
}

/// RapidJSON's Writer, with strings and keys that need no escaping copied whole instead of byte
/// by byte (most of what the server writes: ids, keys, times, names). The output is the same
/// byte for byte (RapidJSON copies UTF-8 unchanged too), so hashes of canonical events do not
/// change; a string with something to escape takes RapidJSON's own path.
class writer : public rapidjson::Writer<rapidjson::StringBuffer> {
public:
  using base = rapidjson::Writer<rapidjson::StringBuffer>;
  using base::base;
  using base::Key;
  using base::String;

  bool String(const char* s, rapidjson::SizeType n, bool copy = false) {
    if (!plain(s, n))
      return base::String(s, n, copy);
    Prefix(rapidjson::kStringType);
    char* p = os_->Push(static_cast<std::size_t>(n) + 2);
    p[0] = '"';
    std::memcpy(p + 1, s, n);
    p[n + 1] = '"';
    return EndValue(true);
  }
  /// The member `"k":"v"`, or `"k":null` when `v` is null, in one piece when neither needs
  /// escaping (one prefix and one push instead of two each); otherwise Key() then String().
  bool Member(std::string_view k, const std::string_view* v) {
    Level* level = level_stack_.Empty() ? nullptr : level_stack_.template Top<Level>();
    if (!level || level->inArray || level->valueCount % 2 != 0 || !plain(k.data(), k.size())
        || (v && !plain(v->data(), v->size()))) {
      Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      return v ? String(v->data(), static_cast<rapidjson::SizeType>(v->size())) : Null();
    }
    bool comma = level->valueCount > 0;
    std::size_t n = comma + k.size() + 3 + (v ? v->size() + 2 : 4);
    char* p = os_->Push(n);
    if (comma)
      *p++ = ',';
    *p++ = '"';
    std::memcpy(p, k.data(), k.size());
    p += k.size();
    *p++ = '"';
    *p++ = ':';
    if (v) {
      *p++ = '"';
      std::memcpy(p, v->data(), v->size());
      p += v->size();
      *p = '"';
    } else {
      std::memcpy(p, "null", 4);
    }
    level->valueCount += 2;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy = false) { return String(s, n, copy); }
  bool Key(const char* s) { return String(s, static_cast<rapidjson::SizeType>(std::strlen(s))); }
  bool String(const char* s) { return String(s, static_cast<rapidjson::SizeType>(std::strlen(s))); }
};

inline void str(writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void key(writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
inline void kv(writer& w, std::string_view k, std::string_view v) {
  w.Member(k, &v);
}
/// Writes the string, or null when it is empty.
inline void kv_or_null(writer& w, std::string_view k, std::string_view v) {
  w.Member(k, v.empty() ? nullptr : &v);
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
