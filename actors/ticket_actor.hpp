#pragma once
// One actor per ticket: holds the ticket's live state, validates commands with the domain's
// decide functions, journals the events with their timer and snapshot rows, and answers only
// after the write. Reads that arrive while a write is in flight wait for it.
//
// Spawned by its company's entity host on the first message for a ticket (the registry creates
// tickets itself), from the read model's copy when the ticket has no notes, else loaded from its
// snapshot and the events after it by the loader, off the scheduler (commands wait meanwhile).
// Once a change is written it is published to the read model, then answered, then told to the
// dispatcher. Exactly one is alive per ticket: the host guarantees it.
#include <caf/all.hpp>

#include <optional>

#include "actors/company_view.hpp"
#include "actors/env.hpp"
#include "actors/ticket_protocol.hpp"
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

/// The timer row of the dispute a ticket gets when still unresolved `after` its creation.
storage::timer_key dispute_timer(const tickets::ticket& t, millis after);

/// Whether the dispute timer opens a dispute for `t` now: not resolved or closed, no dispute yet.
inline bool disputable(const tickets::ticket& t) {
  return !t.is_done() && t.related_dispute_id.empty();
}

/// The events that open dispute `id` for `t` when its timer comes due: the ticket's link and
/// the dispute's creation (disputes::decide_automatic), by `system`.
std::vector<event_draft> open_dispute(const tickets::ticket& t, const std::string& id, millis now);

/// Timer and snapshot rows that go with moving a ticket from `before` to `after` through
/// `n_events` events. `arm` receives the timer to keep in memory once written.
std::vector<storage::write_op> ticket_rows(const tickets::ticket* before,
                                           const tickets::ticket& after, std::size_t n_events,
                                           std::size_t snapshot_every,
                                           std::optional<storage::timer_key>& arm);

/// `known`: the ticket as the read model has it (it has no notes), or null to load it.
caf::behavior ticket_actor(caf::stateful_actor<struct ticket_state>* self, env* e, company_handles h,
                           std::string id, std::shared_ptr<const tickets::ticket> known);

/// Reads tickets from the store for ticket actors, on a thread of its own (load_ticket_request).
caf::behavior ticket_loader(caf::event_based_actor* self, const storage::store* db);

struct ticket_state {
  tickets::ticket t;
  bool exists = false;
  write_tracker writes;
  bool passivating = false;
  bool idle_sent = false;
  static inline const char* name = "ticket";
};

} // namespace crm::actors
