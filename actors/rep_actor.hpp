#pragma once
// One actor per sales rep: holds the rep's state and is the one writer of its events.
//
// The rules that span reps (email unique in the company, `reportingTo` a rep of the company,
// no reporting cycles) need every rep in view, so the company registry decides each change
// against its roster (the reps as written; it hands over one rep change at a time) and hands the
// events to the rep's actor, which writes them, applies them once written and answers. After
// each write it tells the registry the rep as written (rep_changed), before the answer. Like a call, a rep's actor is
// spawned on demand from the registry's copy and passivated once nothing is in flight.
#include <caf/all.hpp>

#include "actors/company_view.hpp"
#include "actors/env.hpp"
#include "actors/rep_protocol.hpp"
#include "actors/write_tracker.hpp"

namespace crm::actors {

struct rep_state {
  reps::rep r;
  write_tracker writes;
  bool passivating = false;
  bool idle_sent = false;
  static inline const char* name = "rep";
};

/// `known`: the rep as last written, when the registry knows it exactly (no write in flight);
/// null: load it from the log (a new rep loads as nothing).
/// `known`: the rep as the roster has it (an empty rep with its id for a new one).
caf::behavior rep_actor(caf::stateful_actor<rep_state>* self, env* e, company_handles h, std::string id,
                        std::shared_ptr<const reps::rep> known);

} // namespace crm::actors
