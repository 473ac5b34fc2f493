#pragma once
// ISO 8601 timestamps, durations (250ms, 3s, 15m, 24h, 2d) and money in paise.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/clock.hpp"

namespace crm {

/// "2026-11-24T10:00:00.000Z".
std::string format_time(millis t);
/// The same text written into `buf` (no allocation); returns its length.
std::size_t format_time_to(char (&buf)[80], millis t);

/// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z" or "+HH:MM"/"-HH:MM".
/// nullopt when the text is not such a time.
std::optional<millis> parse_time(std::string_view text);

/// Parses "250ms", "3s", "15m", "24h", "2d" (a positive integer and a unit). nullopt otherwise.
std::optional<millis> parse_duration(std::string_view text);

/// The largest of h, m, s, ms that writes `d` whole: 86400000 -> "24h", 90000 -> "90s".
std::string format_duration(millis d);

/// Paise from a JSON number in rupees with at most two decimals; nullopt if more precision,
/// negative, or out of range.
std::optional<std::int64_t> rupees_to_paise(double rupees);

/// "1234.5" -> "1234.50"; whole rupees print without decimals ("1200").
std::string paise_to_string(std::int64_t paise);

} // namespace crm
