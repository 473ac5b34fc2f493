#include <gtest/gtest.h>

#include "storage/crypto.hpp"

namespace crm::storage {
namespace {

const std::string key_a(64, 'a');
const std::string key_b = std::string(32, '1') + std::string(32, 'f');

TEST(field_cipher, seals_with_a_fresh_iv_and_opens_again) {
  auto c = field_cipher::make(key_a).value();
  auto s1 = c.seal("123456789012").value();
  auto s2 = c.seal("123456789012").value();
  EXPECT_NE(s1, s2); // a new IV every time
  EXPECT_EQ(s1.find("123456789012"), std::string::npos);
  EXPECT_EQ(field_cipher::version_of(s1), c.version());
  EXPECT_EQ(c.version().size(), 8u);
  EXPECT_EQ(c.open(s1), std::optional<std::string>("123456789012"));
  EXPECT_EQ(c.open(s2), std::optional<std::string>("123456789012"));
}

TEST(field_cipher, an_altered_value_or_another_key_does_not_open) {
  auto a = field_cipher::make(key_a).value();
  auto b = field_cipher::make(key_b).value();
  EXPECT_NE(a.version(), b.version());
  auto s = a.seal("secret").value();
  EXPECT_FALSE(b.open(s));
  auto altered = s;
  altered[12] = altered[12] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(a.open(altered));
  EXPECT_FALSE(a.open("garbage"));
  EXPECT_FALSE(a.open(std::string(a.version()) + ":"));
  EXPECT_FALSE(a.open(std::string(a.version()) + ":!!!!"));
}

TEST(field_cipher, the_previous_key_still_opens_after_a_rotation) {
  auto old_key = field_cipher::make(key_a).value();
  auto sealed_before = old_key.seal("123456789012").value();
  auto rotated = field_cipher::make(key_b, key_a).value();
  EXPECT_EQ(rotated.version(), field_cipher::make(key_b).value().version());
  EXPECT_EQ(rotated.open(sealed_before), std::optional<std::string>("123456789012"));
  auto resealed = rotated.seal("123456789012").value();
  EXPECT_EQ(field_cipher::version_of(resealed), rotated.version());
  EXPECT_FALSE(old_key.open(resealed));
}

TEST(field_cipher, keys_must_be_64_hex_characters) {
  EXPECT_FALSE(field_cipher::make("abc").ok());
  EXPECT_FALSE(field_cipher::make(std::string(64, 'g')).ok());
  EXPECT_FALSE(field_cipher::make(key_a, "short").ok());
}

} // namespace
} // namespace crm::storage
