#include <gtest/gtest.h>

#include <limits>

#include <cstdio>
#include <ctime>

#include "domain/time_format.hpp"

namespace crm {
namespace {

TEST(time_format, formats_utc_with_milliseconds) {
  EXPECT_EQ(format_time(0), "1970-01-01T00:00:00.000Z");
  auto t = parse_time("2026-11-24T10:00:00.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_time(*t), "2026-11-24T10:00:00.123Z");
}

TEST(time_format, agrees_with_gmtime_across_leap_years_and_before_1970) {
  auto reference = [](millis t) {
    millis secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
    auto tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(t - secs * 1000));
    return std::string(buf);
  };
  std::uint64_t x = 88172645463325252ull; // xorshift: the same times on every run
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    // from 1900 to 2400, to the millisecond
    millis t = -2'208'988'800'000LL + static_cast<millis>(x % 15'778'800'000'000ULL);
    ASSERT_EQ(format_time(t), reference(t)) << t;
  }
  // Times close together (the thread's last date is reused): across midnights, a leap day and
  // back again, with a time outside the fixed form in between.
  for (millis t = 951'700'000'000LL; t < 951'700'000'000LL + 5 * 86'400'000LL; t += 997'003) {
    ASSERT_EQ(format_time(t), reference(t)) << t;
    if (t % 7 == 0)
      EXPECT_EQ(format_time(300'000'000'000'000LL).substr(0, 5), "11476");
    ASSERT_EQ(format_time(t - 86'400'000LL), reference(t - 86'400'000LL)) << t;
  }
  for (millis t : {0LL, -1LL, 951'782'400'000LL /* 2000-02-29 */, 4'107'542'399'999LL /* 2100-02-28 */,
                   253'402'300'799'999LL /* 9999-12-31 */})
    EXPECT_EQ(format_time(t), reference(t)) << t;
}

TEST(time_format, parses_offsets_dates_and_rejects_garbage) {
  EXPECT_EQ(parse_time("2026-11-24T15:30:00+05:30"), parse_time("2026-11-24T10:00:00Z"));
  EXPECT_EQ(parse_time("2026-11-24"), parse_time("2026-11-24T00:00:00.000Z"));
  EXPECT_FALSE(parse_time("2026-11-24T10:00:00"));
  EXPECT_FALSE(parse_time("2026-02-31"));
  EXPECT_FALSE(parse_time("yesterday"));
  EXPECT_FALSE(parse_time("2026-13-01"));
  EXPECT_FALSE(parse_time(""));
}

TEST(time_format, durations) {
  EXPECT_EQ(parse_duration("250ms"), 250);
  EXPECT_EQ(parse_duration("3s"), 3000);
  EXPECT_EQ(parse_duration("15m"), 900'000);
  EXPECT_EQ(parse_duration("24h"), 86'400'000);
  EXPECT_EQ(parse_duration("2d"), 172'800'000);
  EXPECT_FALSE(parse_duration("0s"));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("5w"));
  EXPECT_FALSE(parse_duration("-5s"));
}

TEST(money, keeps_paise_exactly) {
  EXPECT_EQ(rupees_to_paise(1234.5), 123450);
  EXPECT_EQ(rupees_to_paise(0.1), 10);
  EXPECT_EQ(rupees_to_paise(19.99), 1999);
  EXPECT_EQ(rupees_to_paise(99999999.99), 9999999999);
  EXPECT_FALSE(rupees_to_paise(1.005));
  EXPECT_FALSE(rupees_to_paise(-1));
  EXPECT_EQ(paise_to_string(123450), "1234.50");
  EXPECT_EQ(paise_to_string(120000), "1200");
  EXPECT_EQ(paise_to_string(5), "0.05");
  EXPECT_EQ(paise_to_string(-5), "-0.05");
  EXPECT_EQ(paise_to_string(-150000), "-1500");
  EXPECT_EQ(paise_to_string(0), "0");
  EXPECT_EQ(paise_to_string(std::numeric_limits<std::int64_t>::max()), "92233720368547758.07");
  EXPECT_EQ(paise_to_string(std::numeric_limits<std::int64_t>::min()), "-92233720368547758.08");
}

} // namespace
} // namespace crm

TEST(time_format, formats_a_duration_in_its_largest_whole_unit_and_parses_it_back) {
  EXPECT_EQ(crm::format_duration(24 * 3'600'000LL), "24h");
  EXPECT_EQ(crm::format_duration(90'000), "90s");
  EXPECT_EQ(crm::format_duration(15 * 60'000), "15m");
  EXPECT_EQ(crm::format_duration(250), "250ms");
  EXPECT_EQ(crm::format_duration(0), "0ms");
  for (crm::millis d : {1LL, 999LL, 1'000LL, 61'000LL, 3'600'000LL, 49 * 3'600'000LL})
    EXPECT_EQ(crm::parse_duration(crm::format_duration(d)), d) << d;
}
