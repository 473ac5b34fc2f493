#pragma once
// One actor per ticket: holds the ticket's live state, validates commands with the domain's
// decide functions, journals the events with their timer and snapshot rows, and answers only
// after the write. Reads that arrive while a write is in flight wait for it.
//
// Spawned by its company registry on the first message for a ticket (the registry creates
// tickets itself), loading it from its snapshot and the events after it. Exactly one is alive
// per ticket: the registry guarantees it.
#include <caf/all.hpp>

#include <optional>

#include "actors/env.hpp"
#include "actors/protocol.hpp"
#include "actors/write_tracker.hpp"

namespace crm::actors {

/// Loads a ticket from the store: its snapshot, then the events after it. nullopt if unknown.
result<std::optional<tickets::ticket>> load_ticket(const storage::store& db, const std::string& id);

/// The timer row of a ticket's resolution SLA.
storage::timer_key sla_timer(const tickets::ticket& t);

/// True while the SLA timer of a ticket must exist.
inline bool sla_timer_live(const tickets::ticket& t) {
  return !t.sla_breached && !t.is_done();
}

/// Timer and snapshot rows that go with moving a ticket from `before` to `after` through
/// `n_events` events. `arm` receives the timer to keep in memory once written.
std::vector<storage::write_op> ticket_rows(const tickets::ticket* before,
                                           const tickets::ticket& after, std::size_t n_events,
                                           std::size_t snapshot_every,
                                           std::optional<storage::timer_key>& arm);

caf::behavior ticket_actor(caf::stateful_actor<struct ticket_state>* self, env* e,
                           caf::actor registry, std::string id);

struct ticket_state {
  tickets::ticket t;
  bool exists = false;
  write_tracker writes;
  bool passivating = false;
  bool idle_sent = false;
  static inline const char* name = "ticket";
};

} // namespace crm::actors
