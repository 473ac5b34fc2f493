#pragma once
// Small helpers the route files share.
#include <caf/all.hpp>

#include <optional>
#include <string>

#include "actors/protocol.hpp"
#include "domain/json.hpp"
#include "http/body_reader.hpp"
#include "http/router.hpp"

namespace crm::http {

/// An optional integer query parameter within [lo, hi]; errc::malformed naming it otherwise.
result<int> parse_int(const std::optional<std::string>& s, const char* name, int def, int lo,
                      int hi);

/// `from` and `to` query parameters as times.
std::optional<error> parse_range(query_params& q, std::optional<millis>& from,
                                 std::optional<millis>& to);

/// total, pages, page, limit.
void write_page_fields(json::writer& w, std::size_t total, int page, int limit);

} // namespace crm::http
