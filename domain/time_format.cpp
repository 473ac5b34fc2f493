#include "domain/time_format.hpp"

#include <algorithm>
#include <cstring>
#include <utility>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace crm {

std::size_t format_time_to(char (&buf)[80], millis t) {
  millis secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
  int ms = static_cast<int>(t - secs * 1000);
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  auto sod = static_cast<int>(secs - days * 86400);
  auto put = [&](int at, unsigned v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10)
      buf[at + i] = static_cast<char>('0' + v % 10);
  };
  // The date of the last day formatted on this thread: times written together (a page of
  // tickets) mostly fall on a few days, and the date is most of the arithmetic.
  thread_local std::int64_t last_day = INT64_MIN;
  thread_local char last_date[10];
  if (days != last_day) {
    // Civil date from days since 1970-01-01 (H. Hinnant's days_to_civil): plain arithmetic,
    // where gmtime_r takes glibc's time-zone lock on every call.
    std::int64_t z = days + 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    auto doe = static_cast<unsigned>(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0 || y > 9999) { // outside what the fixed form holds: the general one (not kept)
      int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y),
                            m, d, sod / 3600, sod / 60 % 60, sod % 60, ms);
      return n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1);
    }
    std::memcpy(buf, "0000-00-00", 10);
    put(0, static_cast<unsigned>(y), 4);
    put(5, m, 2);
    put(8, d, 2);
    std::memcpy(last_date, buf, 10);
    last_day = days;
  }
  std::memcpy(buf, last_date, 10);
  std::memcpy(buf + 10, "T00:00:00.000Z", 14);
  put(11, static_cast<unsigned>(sod / 3600), 2);
  put(14, static_cast<unsigned>(sod / 60 % 60), 2);
  put(17, static_cast<unsigned>(sod % 60), 2);
  put(20, static_cast<unsigned>(ms), 3);
  return 24;
}

std::string format_time(millis t) {
  char buf[80];
  return std::string(buf, format_time_to(buf, t));
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

std::string format_duration(millis d) {
  for (auto [unit, name] : {std::pair<millis, const char*>{3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}})
    if (d != 0 && d % unit == 0)
      return std::to_string(d / unit) + name;
  return std::to_string(d) + "ms";
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
  // to_chars, not snprintf: lists write an amount or two per item.
  char buf[32];
  char* at = buf;
  bool neg = paise < 0;
  std::uint64_t p = neg ? 0 - static_cast<std::uint64_t>(paise) : static_cast<std::uint64_t>(paise);
  if (neg)
    *at++ = '-';
  at = std::to_chars(at, buf + sizeof buf, p / 100).ptr;
  if (auto cents = static_cast<unsigned>(p % 100); cents != 0) {
    *at++ = '.';
    *at++ = static_cast<char>('0' + cents / 10);
    *at++ = static_cast<char>('0' + cents % 10);
  }
  return std::string(buf, at);
}

} // namespace crm
