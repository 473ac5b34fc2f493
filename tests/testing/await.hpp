#pragma once
// Waiting for answers that actors deliver through callbacks. Waits for a message, never for a
// timer: timers are driven by a manual clock.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "actors/messages.hpp"
#include "actors/runtime.hpp"

namespace crm::testing {

/// A reply<T> callback and the future it fulfils.
template <class T>
struct awaited {
  std::shared_ptr<std::promise<result<T>>> p = std::make_shared<std::promise<result<T>>>();
  std::future<result<T>> f = p->get_future();
  actors::reply<T> cb() {
    auto pp = p;
    return [pp](result<T> r) { pp->set_value(std::move(r)); };
  }
  result<T> get() {
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
      return error{errc::unavailable, "no answer within 10 s"};
    return f.get();
  }
};

/// Options of a runtime for actor tests: its data in `data_dir`, a fixed master key, and
/// timers and passivation sweeps only when the test says (a manual clock drives them).
inline actors::runtime_options manual_options(const std::string& data_dir) {
  actors::runtime_options o;
  o.data_dir = data_dir;
  o.master_key = std::string(64, 'a');
  o.cfg.timer_tick = 0;
  o.cfg.sweep_every = 0;
  return o;
}

/// Fires the runtime's due timers now (the manual clock's time); returns how many fired.
inline std::size_t tick_timers(actors::runtime& rt) {
  caf::scoped_actor self{rt.system()};
  std::size_t n = 0;
  self->request(rt.timers(), caf::infinite, actors::tick_atom::value, 1)
    .receive([&](std::size_t k) { n = k; }, [](caf::error&) {});
  return n;
}

/// Polls `pred` until it holds or 10 s pass (message delivery, not a timer).
inline bool eventually(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

} // namespace crm::testing
