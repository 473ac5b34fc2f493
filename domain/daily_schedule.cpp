#include "domain/daily_schedule.hpp"

#include <date/tz.h>

#include <chrono>
#include <cstdio>
#include <exception>

namespace crm {

namespace {

using std::chrono::milliseconds;

int two_digits(std::string_view s) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
    return -1;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

} // namespace

result<daily_schedule> daily_schedule::make(std::string_view at, std::string_view zone) {
  int h = at.size() == 5 && at[2] == ':' ? two_digits(at.substr(0, 2)) : -1;
  int m = h >= 0 ? two_digits(at.substr(3, 2)) : -1;
  if (h < 0 || h > 23 || m < 0 || m > 59)
    return error{errc::invalid, "--summary-at: a time of day HH:MM (00:00..23:59), got " + std::string(at)};
  try {
    return daily_schedule(date::locate_zone(std::string(zone)), h * 60 + m);
  } catch (const std::exception& e) {
    return error{errc::invalid, "--timezone: not a time zone of the system's database (like Asia/Kolkata, UTC): "
                                  + std::string(zone) + " (" + e.what() + ")"};
  }
}

long long daily_schedule::local_day(millis t) const {
  auto local = zone_->to_local(date::sys_time<milliseconds>(milliseconds(t)));
  return date::floor<date::days>(local).time_since_epoch().count();
}

millis daily_schedule::slot_on(long long day) const {
  date::local_time<milliseconds> lt{date::days(day) + std::chrono::minutes(minutes_)};
  auto info = zone_->get_info(date::floor<std::chrono::seconds>(lt));
  date::sys_time<milliseconds> sys;
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous: // the earlier of the two
      sys = date::sys_time<milliseconds>(lt.time_since_epoch() - info.first.offset);
      break;
    case date::local_info::nonexistent: // skipped by a clock change: the change itself
      sys = date::sys_time<milliseconds>(info.first.end);
      break;
  }
  return sys.time_since_epoch().count();
}

millis daily_schedule::last_at_or_before(millis now) const {
  auto day = local_day(now);
  for (long long d = day + 1; d >= day - 2; --d) // a zone's offset moves the answer by at most a day
    if (auto s = slot_on(d); s <= now)
      return s;
  return slot_on(day - 3);
}

millis daily_schedule::next_after(millis now) const {
  auto day = local_day(now);
  for (long long d = day - 1; d <= day + 2; ++d)
    if (auto s = slot_on(d); s > now)
      return s;
  return slot_on(day + 3);
}

std::string daily_schedule::local_date(millis t) const {
  auto ymd = date::year_month_day(date::sys_days(date::days(local_day(t))));
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string_view daily_schedule::zone_name() const { return zone_->name(); }

} // namespace crm
