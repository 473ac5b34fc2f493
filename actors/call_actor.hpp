#pragma once
// One actor per call log: holds the call's state and its callback timer, decides outcomes,
// assignments and callbacks with the domain's decide functions, journals the events with their
// timer rows, and answers only after the write. After each write it tells its registry the new
// state (call_changed), from which the registry keeps its list of calls and tells the
// dispatcher what changed.
//
// Calls are created by their registry (with the ticket of their NDR event, in one write); the
// actor is spawned on the first message for the call, from the registry's copy (or the log),
// and passivated as soon as no write of its is in flight: between changes a call is only data. The last failed attempt escalates: the actor asks its registry to
// create the ticket with the call's own events in the same write, and waits for it.
#include <caf/all.hpp>

#include "actors/call_protocol.hpp"
#include "actors/company_view.hpp"
#include "actors/env.hpp"
#include "actors/ticket_protocol.hpp"
#include "actors/write_tracker.hpp"

namespace crm::actors {

/// Loads a call from the log. nullopt if unknown.
/// The timer row of a call's callback.
storage::timer_key callback_timer(const calls::call_log& c);

/// Timer rows that go with moving a call from `before` to `after`; `arm` receives the timer to
/// keep in memory once written.
std::vector<storage::write_op> call_rows(const calls::call_log& before, const calls::call_log& after,
                                         std::vector<storage::timer_key>& arm);

struct call_state {
  calls::call_log c;
  bool exists = false;
  write_tracker writes;
  bool passivating = false;
  bool idle_sent = false;
  static inline const char* name = "call";
};

/// `known`: the call as its registry last saw it written (no writes can be in flight while the
/// call has no actor), so that activating it reads nothing; null: load it from the log.
/// `known`: the call as the read model has it (null: a call not written yet).
caf::behavior call_actor(caf::stateful_actor<call_state>* self, env* e, company_handles h, std::string id,
                         std::shared_ptr<const calls::call_log> known);

} // namespace crm::actors
