#pragma once
// Small helpers the route files share.
#include <caf/all.hpp>

#include <optional>
#include <string>

#include "domain/json.hpp"
#include "http/body_reader.hpp"
#include "http/router.hpp"

namespace crm::http {

/// An optional integer query parameter within [lo, hi]; errc::malformed naming it otherwise.
result<int> parse_int(const std::optional<std::string>& s, const char* name, int def, int lo,
                      int hi);

/// `page` (from 1) and `limit` (1..100, default 20); errc::malformed naming the bad one.
std::optional<error> parse_paging(query_params& q, int& page, int& limit);

/// `sortBy`: one of `fields`, optionally with a leading - for descending. A problem naming
/// sortBy goes into `v` otherwise; without the parameter the defaults stay.
void parse_sort_by(query_params& q, std::initializer_list<std::string_view> fields,
                   std::string& field, bool& descending, validation& v);

/// A filter of enum values (`status=open,closed`): each parsed with `parse` into `out`; a
/// problem naming the parameter (422) for an unknown value.
template <class E, class Parse>
void take_enums(query_params& q, std::string_view name, Parse parse, std::vector<E>& out, validation& v) {
  for (auto& s : q.take_list(name)) {
    if (auto x = parse(s))
      out.push_back(*x);
    else
      v.add(std::string(name), "unknown " + std::string(name) + " " + s);
  }
}

/// `from` and `to` query parameters as times.
std::optional<error> parse_range(query_params& q, std::optional<millis>& from,
                                 std::optional<millis>& to);

/// total, pages, page, limit.
void write_page_fields(json::writer& w, std::size_t total, int page, int limit);

} // namespace crm::http
