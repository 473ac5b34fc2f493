// The daily summary's schedule: a time of day in a real time zone, daylight saving included.
#include <gtest/gtest.h>

#include "domain/daily_schedule.hpp"
#include "domain/time_format.hpp"

namespace crm {
namespace {

millis at(const char* iso) { return *parse_time(iso); }
std::string iso(millis t) { return format_time(t); }

TEST(daily_schedule, nine_in_kolkata_is_three_thirty_utc) {
  auto s = daily_schedule::make("09:00", "Asia/Kolkata").value();
  EXPECT_EQ(iso(s.last_at_or_before(at("2026-12-02T19:00:00Z"))), "2026-12-02T03:30:00.000Z");
  EXPECT_EQ(iso(s.next_after(at("2026-12-02T19:00:00Z"))), "2026-12-03T03:30:00.000Z");
  // Exactly at the slot: it is the last one, and the next is a day later.
  EXPECT_EQ(iso(s.last_at_or_before(at("2026-12-02T03:30:00Z"))), "2026-12-02T03:30:00.000Z");
  EXPECT_EQ(iso(s.next_after(at("2026-12-02T03:30:00Z"))), "2026-12-03T03:30:00.000Z");
  // Just before it: yesterday's.
  EXPECT_EQ(iso(s.last_at_or_before(at("2026-12-02T03:29:59.999Z"))), "2026-12-01T03:30:00.000Z");
  // 20:00 UTC is already the next day in Kolkata.
  EXPECT_EQ(s.local_date(at("2026-12-02T20:00:00Z")), "2026-12-03");
  EXPECT_EQ(s.local_date(at("2026-12-02T03:30:00Z")), "2026-12-02");
}

TEST(daily_schedule, follows_daylight_saving_time) {
  auto s = daily_schedule::make("09:00", "Europe/Berlin").value();
  // Winter: UTC+1; summer: UTC+2 (the change is on 2026-03-29).
  EXPECT_EQ(iso(s.next_after(at("2026-03-28T12:00:00Z"))), "2026-03-29T07:00:00.000Z");
  EXPECT_EQ(iso(s.last_at_or_before(at("2026-03-28T12:00:00Z"))), "2026-03-28T08:00:00.000Z");
  // A time skipped by the change (02:30 on 2026-03-08 in New York) is the change itself.
  auto ny = daily_schedule::make("02:30", "America/New_York").value();
  EXPECT_EQ(iso(ny.next_after(at("2026-03-08T05:00:00Z"))), "2026-03-08T07:00:00.000Z");
  // A time that happens twice (01:30 on 2026-11-01 in New York) is the earlier.
  auto twice = daily_schedule::make("01:30", "America/New_York").value();
  EXPECT_EQ(iso(twice.next_after(at("2026-11-01T04:00:00Z"))), "2026-11-01T05:30:00.000Z");
}

TEST(daily_schedule, consecutive_slots_are_a_day_apart_across_a_year) {
  auto s = daily_schedule::make("23:59", "Asia/Kolkata").value();
  millis t = at("2026-01-01T00:00:00Z");
  for (int i = 0; i < 400; ++i) {
    auto next = s.next_after(t);
    EXPECT_EQ(s.last_at_or_before(next), next);
    EXPECT_EQ(s.next_after(next) - next, 86'400'000) << iso(next);
    t = next;
  }
}

TEST(daily_schedule, refuses_a_bad_time_or_zone_naming_the_flag) {
  for (auto bad : {"9:00", "24:00", "09:60", "0900", "", "09:0a"}) {
    auto s = daily_schedule::make(bad, "UTC");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.err().message.find("--summary-at"), std::string::npos);
  }
  auto z = daily_schedule::make("09:00", "Mars/Olympus_Mons");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.err().message.find("--timezone"), std::string::npos);
  EXPECT_TRUE(daily_schedule::make("00:00", "UTC").ok());
  EXPECT_EQ(daily_schedule::make("09:00", "UTC").value().zone_name(), "UTC");
}

} // namespace
} // namespace crm
