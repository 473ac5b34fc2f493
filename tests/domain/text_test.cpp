#include <gtest/gtest.h>

#include "domain/text.hpp"
#include "domain/time_format.hpp"

namespace crm {
namespace {

TEST(text, identifiers_are_1_to_64_of_a_small_alphabet) {
  EXPECT_TRUE(valid_identifier("acme"));
  EXPECT_TRUE(valid_identifier("ORD-2026.11_24:7"));
  EXPECT_TRUE(valid_identifier(std::string(64, 'x')));
  for (std::string bad : {std::string(), std::string(65, 'x'), std::string("a|b"), std::string("a b"),
                          std::string("caf\xC3\xA9"), std::string("a\0b", 3), std::string("a/b"), std::string("a\nb")})
    EXPECT_FALSE(valid_identifier(bad)) << bad;
  EXPECT_EQ(identifier_problem(""), "is required");
  EXPECT_EQ(identifier_problem(std::string(65, 'x')), "must be at most 64 characters");
  validation v;
  check_identifier(v, "shipmentId", "");
  EXPECT_TRUE(v.ok());
  check_identifier(v, "shipmentId", "", true);
  check_identifier(v, "orderId", "a|b");
  EXPECT_FALSE(v.ok());
}

TEST(text, utf8_and_header_text) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(valid_utf8("caf\xE9"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));         // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));     // a surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80")); // past U+10FFFF
  EXPECT_TRUE(valid_header_text("Bearer abc"));
  EXPECT_FALSE(valid_header_text("a\x01"));
  EXPECT_FALSE(valid_header_text("a\x7f"));
}

TEST(text, printable_replaces_what_is_not_utf8_and_cuts_on_a_character) {
  EXPECT_EQ(printable("caf\xE9!"), "caf\xEF\xBF\xBD!");
  EXPECT_EQ(printable("\xE2\x82\xAC\xE2\x82\xAC", 4), "\xE2\x82\xAC"); // never half a euro
  EXPECT_EQ(printable("tab\there"), "tab\there");
  EXPECT_TRUE(valid_utf8(printable(std::string("\xFF\xFE\xC3", 3))));
}

TEST(text, money_has_at_most_two_decimals_exactly) {
  EXPECT_EQ(rupees_to_paise(0.29), 29);
  EXPECT_EQ(rupees_to_paise(1499.99), 149999);
  EXPECT_EQ(rupees_to_paise(123456789.12), 12345678912);
  EXPECT_FALSE(rupees_to_paise(1.00000001));
  EXPECT_FALSE(rupees_to_paise(0.001));
  EXPECT_FALSE(rupees_to_paise(-1));
}

TEST(text, time_offsets_must_be_real) {
  EXPECT_TRUE(parse_time("2026-11-24T10:00:00.000+23:59"));
  EXPECT_FALSE(parse_time("2026-11-24T10:00:00.000+99:99"));
  EXPECT_FALSE(parse_time("2026-11-24T10:00:00.000+24:00"));
  EXPECT_FALSE(parse_time("2026-11-24T10:00:00.000-05:60"));
}

} // namespace
} // namespace crm
