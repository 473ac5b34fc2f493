#pragma once
// A time of day in a time zone (--summary-at 09:00 in --timezone Asia/Kolkata), as instants:
// the last one at or before a moment, the next one after it. The zone comes from the system's
// time-zone database (Howard Hinnant's date/tz over /usr/share/zoneinfo), so daylight saving
// time is honoured: a time that does not exist on a day (skipped by a clock change) is the
// instant of the change, and one that exists twice is the earlier.
#include <string>
#include <string_view>

#include "domain/clock.hpp"
#include "domain/errc.hpp"

namespace date {
class time_zone; // <date/tz.h>, included by daily_schedule.cpp only
}

namespace crm {

class daily_schedule {
public:
  /// `at`: "HH:MM" (00:00..23:59); `zone`: an IANA name such as "Asia/Kolkata" or "UTC".
  /// errc::invalid naming the problem otherwise.
  static result<daily_schedule> make(std::string_view at, std::string_view zone);

  /// The latest slot at or before `now`.
  millis last_at_or_before(millis now) const;
  /// The earliest slot after `now`.
  millis next_after(millis now) const;
  /// The local date of an instant in the zone: "2026-12-02".
  std::string local_date(millis t) const;
  std::string_view zone_name() const;

private:
  daily_schedule(const date::time_zone* z, int minutes) : zone_(z), minutes_(minutes) {}
  /// The slot on local day `day` (days since 1970-01-01).
  millis slot_on(long long day) const;
  long long local_day(millis t) const;

  const date::time_zone* zone_;
  int minutes_; // after local midnight
};

} // namespace crm
