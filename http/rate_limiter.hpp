#pragma once
// A token bucket per API key: `rate` requests a second on average, bursts of up to `rate`
// (at least one request: a rate below 1 spaces requests out instead of refusing them all).
// Thread safe (sharded locks); the io threads call it for every authenticated request.
#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/clock.hpp"

namespace crm::http {

class rate_limiter {
public:
  /// rate 0: never limits.
  explicit rate_limiter(double rate) : rate_(rate), burst_(std::max(1.0, rate)) {}

  /// Takes one token for `key` at steady time `now`; when none is left, the milliseconds
  /// until one is.
  std::optional<millis> take(const std::string& key, millis now) {
    if (rate_ <= 0)
      return std::nullopt;
    auto& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
    std::lock_guard<std::mutex> lock(shard.mu);
    auto [it, fresh] = shard.buckets.try_emplace(key, bucket{burst_, now});
    auto& b = it->second;
    if (!fresh) {
      b.tokens = std::min(burst_, b.tokens + static_cast<double>(now - b.last) * rate_ / 1000.0);
      b.last = now;
    }
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      return std::nullopt;
    }
    return std::max<millis>(1, static_cast<millis>(std::ceil((1.0 - b.tokens) * 1000.0 / rate_)));
  }

private:
  struct bucket {
    double tokens;
    millis last;
  };
  struct shard {
    std::mutex mu;
    std::unordered_map<std::string, bucket> buckets;
  };
  double rate_;
  double burst_;
  std::array<shard, 16> shards_;
};

} // namespace crm::http
