#include <gtest/gtest.h>

#include <random>
#include <string>
#include <type_traits>

#include "domain/json.hpp"

namespace crm {
namespace {

/// The same calls through RapidJSON's own Writer and through json::writer.
template <class W>
std::string write_with(const std::vector<std::string>& strings) {
  rapidjson::StringBuffer sb;
  W w(sb);
  w.StartObject();
  for (std::size_t i = 0; i < strings.size(); ++i) {
    auto& s = strings[i];
    w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    if (i % 3 == 0) {
      w.StartArray();
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      w.Int(7);
      w.EndArray();
    } else {
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    }
  }
  w.Key("literal");
  w.String("a \"quoted\" literal");
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

TEST(json_writer, writes_byte_for_byte_what_rapidjson_writes) {
  // Canonical events are hashed from this output: a byte of difference would break every chain.
  std::vector<std::string> strings{"", "TKT-000001", "plain text of more than sixteen bytes", "quote \" inside",
                                   "back\\slash", std::string("nul\0byte", 8), "tab\there", "line\nbreak",
                                   "\x1f unit separator", "\x7f delete", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
                                   "caf\xE9 (not UTF-8: copied as is by both)", std::string(1000, 'x') + "\""};
  std::mt19937 rng(42);
  const char alphabet[] = "ab\"\\\x01\n \x7f\xC3\xA9z0";
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, ' ');
    for (auto& c : s)
      c = alphabet[rng() % (sizeof alphabet - 1)];
    strings.push_back(s);
  }
  EXPECT_EQ(write_with<json::writer>(strings), write_with<rapidjson::Writer<rapidjson::StringBuffer>>(strings));
}

/// Members written whole (json::writer::Member) against RapidJSON's Key then String or Null,
/// first in an object, after arrays, in nested objects, with keys and values to escape.
template <class W>
std::string members_with(const std::vector<std::string>& strings) {
  rapidjson::StringBuffer sb;
  W w(sb);
  auto member = [&](std::string_view k, const std::string_view* v) {
    if constexpr (std::is_same_v<W, json::writer>) {
      w.Member(k, v);
    } else {
      w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      if (v)
        w.String(v->data(), static_cast<rapidjson::SizeType>(v->size()));
      else
        w.Null();
    }
  };
  w.StartObject();
  for (std::size_t i = 0; i < strings.size(); ++i) {
    std::string_view s = strings[i], k = strings[(i * 7) % strings.size()];
    switch (i % 5) {
    case 0:
      member(k, &s);
      break;
    case 1:
      member(k, nullptr);
      break;
    case 2:
      w.Key("nested");
      w.StartObject();
      member(s, &k);
      member("second", &s);
      w.EndObject();
      break;
    case 3:
      w.Key("list");
      w.StartArray();
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      w.EndArray();
      member("after", &s);
      break;
    default:
      w.Key("empty");
      w.StartObject();
      member("", nullptr);
      w.EndObject();
    }
  }
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

TEST(json_writer, members_are_written_byte_for_byte_as_rapidjson_writes_them) {
  std::vector<std::string> strings{"ticketId", "TKT-000001", "", "quote \" inside", "tab\there",
                                   "caf\xC3\xA9", std::string("nul\0byte", 8)};
  std::mt19937 rng(7);
  const char alphabet[] = "ab\"\\\x01\n \x7f\xC3\xA9z0";
  for (int i = 0; i < 1000; ++i) {
    std::string s(rng() % 30, ' ');
    for (auto& c : s)
      c = alphabet[rng() % (sizeof alphabet - 1)];
    strings.push_back(s);
  }
  EXPECT_EQ(members_with<json::writer>(strings), members_with<rapidjson::Writer<rapidjson::StringBuffer>>(strings));
}

TEST(json_writer, plain_tells_what_needs_escaping) {
  EXPECT_TRUE(json::plain("", 0));
  EXPECT_TRUE(json::plain("abc \xC3\xA9", 6));
  EXPECT_FALSE(json::plain("a\"b", 3));
  EXPECT_FALSE(json::plain("a\\b", 3));
  EXPECT_FALSE(json::plain("a\x1f", 2));
  EXPECT_FALSE(json::plain("\0", 1));
  EXPECT_TRUE(json::plain("\x20\x7f", 2));
}

TEST(json_writer, times_are_written_without_a_string) {
  EXPECT_EQ(json::object([](json::writer& w) {
              json::kv_time(w, "at", millis{1764000000123});
              json::kv_time(w, "none", std::nullopt);
            }),
            R"({"at":"2025-11-24T16:00:00.123Z","none":null})");
}

} // namespace
} // namespace crm
