#include "actors/timer_service.hpp"

#include "storage/store.hpp"

namespace crm::actors {

namespace {

std::size_t fire_due(caf::stateful_actor<timer_state>* self, env* e) {
  auto now = e->clk->wall_now();
  std::size_t fired = 0;
  auto& armed = self->state.armed;
  while (!armed.empty()) {
    storage::timer_key k;
    if (!storage::decode_timer(*armed.begin(), k)) {
      armed.erase(armed.begin());
      continue;
    }
    if (k.due > now)
      break;
    armed.erase(armed.begin());
    auto registry = e->dir->get(k.company).registry;
    self->send(registry, timer_due{std::move(k)});
    ++fired;
  }
  return fired;
}

} // namespace

caf::behavior timer_service(caf::stateful_actor<timer_state>* self, env* e) {
  if (e->cfg.timer_tick > 0)
    self->delayed_send(self, std::chrono::milliseconds(e->cfg.timer_tick), tick_atom::value);
  return {
    [=](arm_timer& a) { self->state.armed.insert(storage::encode_timer(a.key)); },
    [=](tick_atom) {
      fire_due(self, e);
      self->delayed_send(self, std::chrono::milliseconds(e->cfg.timer_tick), tick_atom::value);
    },
    [=](tick_atom, int) -> std::size_t { return fire_due(self, e); },
  };
}

} // namespace crm::actors
