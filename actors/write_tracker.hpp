#pragma once
// The writes of an entity actor (ticket, call, rep): one at a time (DESIGN step 4). A command
// decides against the state as written, its events go to the journal, and only once they are
// written does the change reach the live state, then its answer leaves and its timers go live.
// Commands and reads that arrive while a write is in flight wait, in order, and run once it is
// back. A failed write changes nothing: the actor is as if the command never came, and the
// commands after it run against the state as it was.
#include <deque>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "domain/errc.hpp"
#include "storage/keys.hpp"

namespace crm::actors {

class write_tracker {
public:
  using task = std::function<void()>;
  using done_fn = std::function<void(const error*)>;

  /// Runs `t` at once when no write is in flight and none waits; else after them, in order.
  void run(task t) {
    if (writing_ || !waiting_.empty())
      waiting_.push_back(std::move(t));
    else
      t();
  }

  /// A write is submitted: once it is written, `apply` makes the change to the live state;
  /// `after` answers (with the error when it failed); `arm` are the timers to keep in memory.
  void begin(task apply, done_fn after, std::vector<storage::timer_key> arm = {}) {
    writing_ = true;
    flight_ = flight{std::move(apply), std::move(after), std::move(arm)};
  }

  bool writing() const { return writing_; }
  /// No write in flight and nothing waiting for one.
  bool idle() const { return !writing_ && waiting_.empty(); }

  struct outcome {
    done_fn after;                      // the answer, to run once the actor has told others
    std::vector<storage::timer_key> arm; // empty when the write failed
  };

  /// The write came back (`err` when it failed): applies it to the live state when written.
  outcome finish(const error* err) {
    writing_ = false;
    auto f = std::move(*flight_);
    flight_.reset();
    if (err)
      return {std::move(f.after), {}};
    f.apply();
    return {std::move(f.after), std::move(f.arm)};
  }

  /// Runs what waited, until one of them starts a write.
  void drain() {
    while (!writing_ && !waiting_.empty()) {
      auto t = std::move(waiting_.front());
      waiting_.pop_front();
      t();
    }
  }

private:
  struct flight {
    task apply;
    done_fn after;
    std::vector<storage::timer_key> arm;
  };
  bool writing_ = false;
  std::optional<flight> flight_;
  std::deque<task> waiting_;
};

} // namespace crm::actors
