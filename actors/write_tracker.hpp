#pragma once
// The writes an entity actor (ticket, call, rep) has in flight. Each change takes a token in
// order; an answer waits for its write (and every write before it); timers are armed only once
// the write that made them is done. A failed write fails every waiting answer: the actor's state
// ran ahead of the log, and the actor stops so that the next message reloads it.
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "domain/errc.hpp"
#include "storage/keys.hpp"

namespace crm::actors {

class write_tracker {
public:
  using done_fn = std::function<void(const error*)>;

  /// The next write's token. `after` runs once it is written (or a write fails); `arm` are the
  /// timers to keep in memory once it is written.
  std::uint64_t reserve(done_fn after, std::vector<storage::timer_key> arm = {}) {
    auto token = ++submitted_;
    for (auto& k : arm)
      to_arm_.emplace_back(token, std::move(k));
    waiting_.push_back({token, std::move(after)});
    return token;
  }

  /// Runs `f` once every write reserved so far is written (at once when none is in flight).
  void when_written(done_fn f) {
    if (idle())
      f(nullptr);
    else
      waiting_.push_back({submitted_, std::move(f)});
  }

  bool idle() const { return submitted_ == written_; }

  /// Write `token` succeeded: returns the timers to arm now.
  std::vector<storage::timer_key> mark_written(std::uint64_t token) {
    written_ = token;
    std::vector<storage::timer_key> arm;
    std::size_t n = 0;
    while (n < to_arm_.size() && to_arm_[n].first <= token)
      arm.push_back(std::move(to_arm_[n++].second));
    to_arm_.erase(to_arm_.begin(), to_arm_.begin() + static_cast<std::ptrdiff_t>(n));
    return arm;
  }

  /// Write `token` came back (`err` when it failed): runs the answers that waited for it.
  void settle(std::uint64_t token, const error* err) {
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& w : waiting) {
      if (err || w.token <= token)
        w.run(err);
      else
        waiting_.push_back(std::move(w));
    }
    if (err) {
      written_ = submitted_;
      to_arm_.clear();
    }
  }

private:
  struct waiter {
    std::uint64_t token;
    done_fn run;
  };
  std::uint64_t submitted_ = 0;
  std::uint64_t written_ = 0;
  std::vector<waiter> waiting_;
  std::vector<std::pair<std::uint64_t, storage::timer_key>> to_arm_;
};

} // namespace crm::actors
