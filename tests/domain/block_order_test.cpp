#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "domain/block_order.hpp"

namespace crm {
namespace {

using key = std::pair<std::int64_t, std::uint64_t>;

template <class O>
std::vector<std::uint32_t> walk(const O& o, bool descending, std::size_t at_most = SIZE_MAX) {
  std::vector<std::uint32_t> out;
  o.each(descending, [&](const auto& e) {
    out.push_back(e.value);
    return out.size() < at_most;
  });
  return out;
}

std::vector<std::uint32_t> walk_map(const std::map<key, std::uint32_t>& m, bool descending) {
  std::vector<std::uint32_t> out;
  if (descending)
    for (auto it = m.rbegin(); it != m.rend(); ++it)
      out.push_back(it->second);
  else
    for (auto& [k, v] : m)
      out.push_back(v);
  return out;
}

TEST(block_order, keeps_the_order_of_a_map_through_inserts_and_erases) {
  // Small blocks, so that splits and emptied blocks happen often.
  block_order<key, std::uint32_t, 4> o;
  std::map<key, std::uint32_t> m;
  std::mt19937_64 rng(7);
  std::vector<key> present;
  for (int i = 0; i < 20000; ++i) {
    if (present.empty() || rng() % 3 != 0) {
      key k{static_cast<std::int64_t>(rng() % 500) - 250, rng() % 1000};
      if (m.count(k))
        continue;
      auto v = static_cast<std::uint32_t>(i);
      o.insert(k, v);
      m.emplace(k, v);
      present.push_back(k);
    } else {
      auto at = rng() % present.size();
      auto k = present[at];
      present[at] = present.back();
      present.pop_back();
      EXPECT_TRUE(o.erase(k));
      m.erase(k);
    }
    if (i % 997 == 0) {
      ASSERT_EQ(walk(o, false), walk_map(m, false)) << i;
      ASSERT_EQ(walk(o, true), walk_map(m, true)) << i;
    }
  }
  EXPECT_EQ(o.size(), m.size());
  EXPECT_EQ(walk(o, false), walk_map(m, false));
  EXPECT_EQ(walk(o, true), walk_map(m, true));
  EXPECT_FALSE(o.erase(key{100000, 0}));
  for (auto& k : present)
    EXPECT_TRUE(o.erase(k));
  EXPECT_TRUE(o.empty());
  EXPECT_TRUE(walk(o, true).empty());
  o.insert(key{1, 1}, 9); // usable again once emptied
  EXPECT_EQ(walk(o, false), std::vector<std::uint32_t>{9});
}

TEST(block_order, a_walk_stops_when_told) {
  block_order<key, std::uint32_t> o;
  for (std::uint32_t i = 0; i < 1000; ++i)
    o.insert(key{i, i}, i);
  EXPECT_EQ(walk(o, true, 3), (std::vector<std::uint32_t>{999, 998, 997}));
  EXPECT_EQ(walk(o, false, 2), (std::vector<std::uint32_t>{0, 1}));
  EXPECT_FALSE(o.erase(key{5, 6}));
  EXPECT_EQ(o.size(), 1000u);
}

TEST(block_order, a_walk_from_a_key_starts_at_the_first_not_below_it) {
  block_order<key, std::uint32_t, 4> o; // small blocks: starts fall inside, at the ends and between blocks
  std::map<key, std::uint32_t> m;
  std::mt19937 rng(11);
  for (std::uint32_t i = 0; i < 500; ++i) {
    key k{static_cast<std::int64_t>(rng() % 300) * 2, i}; // even times only: odd starts fall between
    o.insert(k, i);
    m.emplace(k, i);
  }
  for (std::int64_t t = -2; t <= 602; ++t) {
    std::vector<std::uint32_t> got, want;
    o.each_from(key{t, 0}, [&](const auto& e) {
      got.push_back(e.value);
      return got.size() < 25;
    });
    for (auto it = m.lower_bound(key{t, 0}); it != m.end() && want.size() < 25; ++it)
      want.push_back(it->second);
    ASSERT_EQ(got, want) << t;
  }
  block_order<key, std::uint32_t> empty;
  empty.each_from(key{0, 0}, [](const auto&) {
    ADD_FAILURE() << "an empty order has nothing to walk";
    return true;
  });
}

} // namespace
} // namespace crm
