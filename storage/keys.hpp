#pragma once
// Key layout. Numbers are fixed-width big-endian so byte order is numeric order; strings are
// length-prefixed (lp: two bytes big-endian, then the bytes), so no id, whatever it holds, can
// reach into the next component or another row's range.
//   events     be64(seq)                          -> canonical '\n' prevHash hash
//   indexes    "e" lp(entity) be64(seq)           -> ""          (an entity's events)
//              "c" lp(company) be64(seq)          -> "" or be64(n) (a company's events: the run of
//                                                    its n consecutive events from seq; "" is 1)
//              "i" lp(company) lp(key)            -> idempotency record
//   snapshots  entity                             -> be64(seq) snapshot
//   timers     be64(due) lp(company) lp(entity) lp(kind) -> ""
//   meta       free-form settings; "key_layout" -> "2" once the rows above are in this layout
//
// Layout 1 (before 2026-12) joined the strings with '|' ("e|" entity "|" seq and so on); the
// store rewrites such rows into layout 2 when it opens a data dir read-write.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace crm::storage {

/// The column families: events, indexes (entity and company -> seqs), snapshots, timers, meta.
enum class cf : std::uint8_t { events, indexes, snapshots, timers, meta };

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

inline void put_lp(std::string& out, std::string_view s) {
  auto n = static_cast<std::uint16_t>(std::min<std::size_t>(s.size(), 0xffff));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n & 0xff));
  out.append(s.substr(0, n));
}

/// Reads one length-prefixed string from the front of `in`; false when it is cut short.
inline bool get_lp(std::string_view& in, std::string& out) {
  if (in.size() < 2)
    return false;
  std::size_t n = (static_cast<std::size_t>(static_cast<unsigned char>(in[0])) << 8)
                  | static_cast<unsigned char>(in[1]);
  if (in.size() < 2 + n)
    return false;
  out.assign(in.substr(2, n));
  in.remove_prefix(2 + n);
  return true;
}

inline std::string entity_prefix(std::string_view entity) {
  std::string k = "e";
  put_lp(k, entity);
  return k;
}
inline std::string company_prefix(std::string_view company) {
  std::string k = "c";
  put_lp(k, company);
  return k;
}
inline std::string idempotency_key(std::string_view company, std::string_view key) {
  std::string k = "i";
  put_lp(k, company);
  put_lp(k, key);
  return k;
}
/// The prefix of every idempotency row.
inline constexpr std::string_view idempotency_rows = "i";

struct timer_key {
  std::int64_t due = 0;
  std::string company;
  std::string entity;
  std::string kind;
};

inline std::string encode_timer(const timer_key& t) {
  std::string k = be64(static_cast<std::uint64_t>(t.due));
  put_lp(k, t.company);
  put_lp(k, t.entity);
  put_lp(k, t.kind);
  return k;
}

inline bool decode_timer(std::string_view k, timer_key& out) {
  if (k.size() < 8)
    return false;
  out.due = static_cast<std::int64_t>(get_be64(k));
  k.remove_prefix(8);
  return get_lp(k, out.company) && get_lp(k, out.entity) && get_lp(k, out.kind) && k.empty();
}

} // namespace crm::storage
