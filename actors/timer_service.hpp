#pragma once
// The in-memory side of durable timers. Timer rows live in RocksDB, written in the same batch
// as the event that sets them; this actor keeps the wake-ups of the armed ones and, on each
// tick, sends every due one to its company registry as timer_due. Firing is the entity's
// business: it records an event and deletes the row, so a timer fires once.
#include <caf/all.hpp>

#include <set>

#include "actors/env.hpp"
#include "actors/messages.hpp"

namespace crm::actors {

struct timer_state {
  std::set<std::string> armed; // encoded timer keys: due first, so ordered by due time
  static inline const char* name = "timers";
};

/// Handles arm_timer; (tick_atom) fires what is due and re-arms itself every cfg.timer_tick;
/// (tick_atom, int) -> size_t fires what is due and answers how many (tests).
caf::behavior timer_service(caf::stateful_actor<timer_state>* self, env* e);

} // namespace crm::actors
