#pragma once
// A fixed-bucket histogram with atomic counters, for Prometheus text. Thread safe, lock free.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace crm {

template <std::size_t N>
class histogram {
public:
  explicit histogram(std::array<double, N> bounds) : bounds_(bounds) {}
  histogram(const histogram& o) : bounds_(o.bounds_) {}

  void observe(double v) {
    std::size_t i = 0;
    while (i < N && v > bounds_[i])
      ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_micro_.fetch_add(static_cast<std::int64_t>(v * 1e6), std::memory_order_relaxed);
  }

  /// Appends the `_bucket`, `_sum` and `_count` lines of `name` with the given labels
  /// (`a="b",` form, possibly empty).
  void render(std::string& out, const std::string& name, const std::string& labels) const {
    std::uint64_t cumulative = 0;
    char buf[64];
    for (std::size_t i = 0; i <= N; ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      std::string le = i < N ? (std::snprintf(buf, sizeof buf, "%g", bounds_[i]), buf) : "+Inf";
      out += name + "_bucket{" + labels + "le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(sum_micro_.load()) / 1e6);
    std::string plain = labels.empty() ? "" : "{" + labels.substr(0, labels.size() - 1) + "}";
    out += name + "_sum" + plain + " " + buf + "\n";
    out += name + "_count" + plain + " " + std::to_string(cumulative) + "\n";
  }

  /// Observations so far.
  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (auto& c : counts_)
      n += c.load(std::memory_order_relaxed);
    return n;
  }

private:
  std::array<double, N> bounds_;
  std::array<std::atomic<std::uint64_t>, N + 1> counts_{};
  std::atomic<std::int64_t> sum_micro_{0};
};

} // namespace crm
