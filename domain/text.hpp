#pragma once
// Rules for the bytes clients choose (CONTRACT section 2): identifiers are 1..64 characters of
// A-Z a-z 0-9 . _ : - and every other string is valid UTF-8. The edge checks these before
// anything is stored; the journal checks UTF-8 again before it writes.
#include <cstddef>
#include <string>
#include <string_view>

#include "domain/errc.hpp"

namespace crm {

constexpr std::size_t max_identifier_length = 64;

/// True when `s` is 1..64 characters of A-Z a-z 0-9 . _ : -
bool valid_identifier(std::string_view s);

/// The problem with `s` as an identifier, or empty when it is one.
std::string identifier_problem(std::string_view s);

/// Adds a problem naming `field` when `s` is not an identifier (empty is allowed unless
/// `required`).
void check_identifier(validation& v, std::string_view field, std::string_view s,
                      bool required = false);

/// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool valid_utf8(std::string_view s);

/// True when `s` is valid UTF-8 without control characters (U+0000..U+001F, U+007F): what a
/// header value used as data may hold.
bool valid_header_text(std::string_view s);

/// `s` cut to at most `max` bytes on a character boundary, with bytes that are not UTF-8
/// replaced by U+FFFD: safe to echo in a JSON string (whose writer escapes control characters).
std::string printable(std::string_view s, std::size_t max = 100);

} // namespace crm
