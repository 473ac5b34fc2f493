#pragma once
// Time behind an interface (after RocksDB's SystemClock): wall time for timestamps, steady time
// for intervals. Production code takes a clock& through its constructor; tests pass a
// manual_clock whose advance() moves both without sleeping.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace crm {

/// Milliseconds since the Unix epoch, UTC.
using millis = std::int64_t;

class clock {
public:
  virtual ~clock() = default;
  /// Wall time in ms since the epoch. Thread safe.
  virtual millis wall_now() const = 0;
  /// Monotonic time in ms from an arbitrary origin. Thread safe.
  virtual millis steady_now() const = 0;
};

class system_clock final : public clock {
public:
  millis wall_now() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock_t::now().time_since_epoch()).count();
  }
  millis steady_now() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }

private:
  using system_clock_t = std::chrono::system_clock;
};

/// Wall time shifted by a fixed offset (--clock-offset: drills and restart tests that need
/// "a day later" without waiting a day).
class offset_clock final : public clock {
public:
  explicit offset_clock(millis offset) : offset_(offset) {}
  millis wall_now() const override { return base_.wall_now() + offset_; }
  millis steady_now() const override { return base_.steady_now(); }

private:
  system_clock base_;
  millis offset_;
};

/// A clock that moves only when told to. Thread safe.
class manual_clock final : public clock {
public:
  explicit manual_clock(millis start_wall = 1'795'000'000'000) : wall_(start_wall) {}
  millis wall_now() const override { return wall_.load(); }
  millis steady_now() const override { return steady_.load(); }
  void advance(millis d) {
    wall_ += d;
    steady_ += d;
  }

private:
  std::atomic<millis> wall_;
  std::atomic<millis> steady_{0};
};

} // namespace crm
