#include "http/api_util.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "domain/time_format.hpp"

namespace crm::http {

result<int> parse_int(const std::optional<std::string>& s, const char* name, int def, int lo,
                      int hi) {
  if (!s)
    return def;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s->c_str(), &end, 10);
  if (s->empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
    return error{errc::malformed, std::string("query parameter ") + name + " is not valid",
                 {{name, "must be an integer from " + std::to_string(lo) + " to "
                           + std::to_string(hi)}}};
  return static_cast<int>(v);
}

std::optional<error> parse_paging(query_params& q, int& page, int& limit) {
  auto p = parse_int(q.take("page"), "page", 1, 1, 1'000'000);
  if (!p)
    return p.err();
  auto l = parse_int(q.take("limit"), "limit", 20, 1, 100);
  if (!l)
    return l.err();
  page = *p;
  limit = *l;
  return std::nullopt;
}

void parse_sort_by(query_params& q, std::initializer_list<std::string_view> fields,
                   std::string& field, bool& descending, validation& v) {
  auto s = q.take("sortBy");
  if (!s)
    return;
  std::string_view f = *s;
  bool desc = !f.empty() && f.front() == '-';
  if (desc)
    f.remove_prefix(1);
  if (std::find(fields.begin(), fields.end(), f) == fields.end()) {
    std::string names;
    for (auto n : fields)
      names += (names.empty() ? "" : ", ") + std::string(n);
    v.add("sortBy", "must be one of " + names + ", optionally with -");
    return;
  }
  field = std::string(f);
  descending = desc;
}

std::optional<error> parse_range(query_params& q, std::optional<millis>& from,
                                 std::optional<millis>& to) {
  for (auto [name, slot] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (auto v = q.take(name)) {
      auto t = parse_time(*v);
      if (!t)
        return error{errc::malformed, std::string("query parameter ") + name + " is not a time",
                     {{name, "must be an ISO 8601 time such as 2026-11-24T10:00:00.000Z"}}};
      *slot = *t;
    }
  }
  return std::nullopt;
}

void write_page_fields(json::writer& w, std::size_t total, int page, int limit) {
  w.Key("total");
  w.Uint64(total);
  w.Key("pages");
  w.Uint64((total + static_cast<std::size_t>(limit) - 1) / static_cast<std::size_t>(limit));
  w.Key("page");
  w.Int(page);
  w.Key("limit");
  w.Int(limit);
}

} // namespace crm::http
