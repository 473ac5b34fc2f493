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

/// The timer row of the escalation a ticket gets when still unresolved `after` its creation.
storage::timer_key escalate_timer(const tickets::ticket& t, millis after);

/// Whether the escalation timer escalates `t` now: not resolved or closed, not escalated yet.
inline bool escalatable(const tickets::ticket& t) {
  return !t.is_done() && !t.escalated;
}

/// ticket.escalated {from, to, after} by `system` (CONTRACT section 11): reassigned to
/// `supervisor` (the assignee's reportingTo, when active); without one, `to` is absent and
/// assignedTo stays.
event_draft escalate_ticket(const tickets::ticket& t, const std::string& supervisor, millis after, millis now);

/// The age rows of a ticket (escalation after --escalate-after, the automatic dispute after
/// --dispute-after) are chained: a ticket holds one at a time, the earlier step first (the
/// escalation on a tie), and the write that fires one writes the next. So a ticket costs one
/// row, whatever the steps. The first, written at creation (nullopt: both off):
std::optional<storage::timer_key> first_age_timer(const tickets::ticket& t, const settings& cfg);
/// The row that follows the fired one of kind `fired` ("escalate" or "dispute"); nullopt: none.
std::optional<storage::timer_key> next_age_timer(const tickets::ticket& t, std::string_view fired,
                                                 const settings& cfg);

/// What firing the age row `key` of `t` at `now` writes, all in one batch: its step (when the
/// ticket still wants it and the step is on), the steps after it that are due by `now` too, the
/// row's deletion, and the next row (none once the ticket is closed). The dispute step also
/// escalates a ticket whose escalation is due and was never done (a row from before escalations).
/// `supervisor`: the assignee's reportingTo, for the escalation; `new_dispute_id` is called
/// when a dispute is opened.
struct age_firing {
  std::vector<event_draft> events;
  std::vector<storage::write_op> ops;
  std::optional<storage::timer_key> arm; // the next row, to keep in memory once written
  std::string dispute_id;                // the dispute opened, if any
};
age_firing fire_age(const tickets::ticket& t, const storage::timer_key& key, millis now, const settings& cfg,
                    const std::string& supervisor, const std::function<std::string()>& new_dispute_id);

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
