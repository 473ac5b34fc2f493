#pragma once
// Key layout. Numbers are fixed-width big-endian so byte order is numeric order.
//   events     be64(seq)                          -> canonical '\n' prevHash hash
//   indexes    "e|" entity "|" be64(seq)          -> ""          (an entity's events)
//              "c|" company "|" be64(seq)         -> "" or be64(n) (a company's events: the run of
//                                                    its n consecutive events from seq; "" is 1)
//              "i|" company "|" idempotency key   -> idempotency record
//   snapshots  entity                             -> be64(seq) snapshot
//   timers     be64(due) company "|" entity "|" kind -> ""
//   meta       free-form settings
#include <cstdint>
#include <string>
#include <string_view>

namespace crm::storage {

inline void put_be64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

inline std::uint64_t get_be64(std::string_view s) {
  std::uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i)
    v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

inline std::string be64(std::uint64_t v) {
  std::string s;
  put_be64(s, v);
  return s;
}

inline std::string entity_prefix(std::string_view entity) {
  std::string k = "e|";
  k.append(entity).push_back('|');
  return k;
}
inline std::string company_prefix(std::string_view company) {
  std::string k = "c|";
  k.append(company).push_back('|');
  return k;
}
inline std::string idempotency_key(std::string_view company, std::string_view key) {
  std::string k = "i|";
  k.append(company).push_back('|');
  k.append(key);
  return k;
}

struct timer_key {
  std::int64_t due = 0;
  std::string company;
  std::string entity;
  std::string kind;
};

inline std::string encode_timer(const timer_key& t) {
  std::string k = be64(static_cast<std::uint64_t>(t.due));
  k.append(t.company).push_back('|');
  k.append(t.entity).push_back('|');
  k.append(t.kind);
  return k;
}

inline bool decode_timer(std::string_view k, timer_key& out) {
  if (k.size() < 8)
    return false;
  out.due = static_cast<std::int64_t>(get_be64(k));
  auto rest = k.substr(8);
  auto a = rest.find('|');
  auto b = rest.find('|', a == std::string_view::npos ? a : a + 1);
  if (a == std::string_view::npos || b == std::string_view::npos)
    return false;
  out.company = rest.substr(0, a);
  out.entity = rest.substr(a + 1, b - a - 1);
  out.kind = rest.substr(b + 1);
  return true;
}

} // namespace crm::storage
