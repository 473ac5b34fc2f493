#include "domain/time_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace crm {

std::string format_time(millis t) {
  millis secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
  int ms = static_cast<int>(t - secs * 1000);
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[80]; // room for any int the compiler imagines
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size())
    return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

} // namespace

std::optional<millis> parse_time(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-'
      || !digits(s, 8, 2, d))
    return std::nullopt;
  size_t pos = 10;
  int offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')
      return std::nullopt;
    if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':'
        || !digits(s, pos + 4, 2, mi))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec))
        return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.') {
        size_t start = ++pos;
        int frac = 0, n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          if (n < 3) {
            frac = frac * 10 + (s[pos] - '0');
            ++n;
          }
          ++pos;
        }
        if (pos == start)
          return std::nullopt;
        while (n < 3) {
          frac *= 10;
          ++n;
        }
        ms = frac;
      }
    }
    if (pos >= s.size())
      return std::nullopt; // a time of day needs a zone
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh, om;
      if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':'
          || !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
        return std::nullopt; // +99:99 is no offset
      offset_min = (oh * 60 + om) * (s[pos] == '+' ? 1 : -1);
      pos += 6;
    } else {
      return std::nullopt;
    }
    if (pos != s.size())
      return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t t = timegm(&tm);
  if (tm.tm_mday != d) // 2026-02-31 rolls over
    return std::nullopt;
  return static_cast<millis>(t) * 1000 + ms - static_cast<millis>(offset_min) * 60'000;
}

std::optional<millis> parse_duration(std::string_view s) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || ptr == s.data() || n <= 0)
    return std::nullopt;
  std::string_view unit(ptr, static_cast<size_t>(s.data() + s.size() - ptr));
  std::int64_t mult;
  if (unit == "ms")
    mult = 1;
  else if (unit == "s")
    mult = 1000;
  else if (unit == "m")
    mult = 60'000;
  else if (unit == "h")
    mult = 3'600'000;
  else if (unit == "d")
    mult = 86'400'000;
  else
    return std::nullopt;
  if (n > INT64_MAX / mult)
    return std::nullopt;
  return n * mult;
}

std::optional<std::int64_t> rupees_to_paise(double rupees) {
  if (!std::isfinite(rupees) || rupees < 0 || rupees > 1e11)
    return std::nullopt;
  double r = std::round(rupees * 100.0);
  // Exact: r / 100 is correctly rounded, so it is the very double a decimal with at most two
  // places parses to; anything else (1.00000001) had more places.
  if (r / 100.0 != rupees)
    return std::nullopt;
  return static_cast<std::int64_t>(r);
}

std::string paise_to_string(std::int64_t paise) {
  char buf[32];
  bool neg = paise < 0;
  std::uint64_t p = neg ? static_cast<std::uint64_t>(-paise) : static_cast<std::uint64_t>(paise);
  if (p % 100 == 0)
    std::snprintf(buf, sizeof buf, "%s%llu", neg ? "-" : "", static_cast<unsigned long long>(p / 100));
  else
    std::snprintf(buf, sizeof buf, "%s%llu.%02llu", neg ? "-" : "",
                  static_cast<unsigned long long>(p / 100), static_cast<unsigned long long>(p % 100));
  return buf;
}

} // namespace crm
