#pragma once
// The registry's handlers by seam, for company_actor.cpp to assemble (internal to actors/).
#include "actors/company_actor.hpp"

namespace crm::actors::company {

using self_ptr = caf::stateful_actor<company_state>*;

/// The registry's handles for the entity actors it spawns.
company_handles handles(self_ptr self);

/// Journals events the registry writes itself with `ops`; runs `after` once written or failed.
void submit(self_ptr self, env* e, std::vector<event_draft> drafts, std::vector<storage::write_op> ops,
            company_state::written_fn after);

/// A rep that can take work now: active and available.
bool eligible(const reps::rep& r);

// company_tickets.cpp
caf::message_handler ticket_handlers(self_ptr self, env* e);
caf::actor spawn_ticket(self_ptr self, env* e, const std::string& id);
// company_reps.cpp
caf::message_handler rep_handlers(self_ptr self, env* e);
caf::actor spawn_rep(self_ptr self, env* e, const std::string& id);
/// The rep change in flight ended without a write (its actor stopped): run what waited.
void rep_write_ended(self_ptr self, const std::string& id);
// company_calls.cpp
caf::message_handler call_handlers(self_ptr self, env* e);
caf::actor spawn_call(self_ptr self, env* e, const std::string& id);
/// A rep that went offline or inactive hands back its pending calls and, if inactive, its open
/// tickets.
void release_work(self_ptr self, env* e, const std::string& rep_id);

} // namespace crm::actors::company
