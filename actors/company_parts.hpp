#pragma once
// The registry's handlers by seam, for company_actor.cpp to assemble (internal to actors/).
#include "actors/company_actor.hpp"

namespace crm::actors::company {

using self_ptr = caf::stateful_actor<company_state>*;

/// The registry's handles for the entity actors it spawns.
company_handles handles(self_ptr self);

/// Journals events the registry writes itself with `ops`; runs `after` once written or failed.
void submit(self_ptr self, env* e, std::vector<event_draft> drafts, std::vector<storage::write_op> ops,
            company_state::written_fn after, idempotency_claim_ptr idem = nullptr);

/// Writes a new lead's or dispute's events: with the link on ticket `ticket` (its actor writes
/// them with ticket.linked, `field` = `id`) when one is named, else by the registry. The record
/// is held (its commands wait) until `after` has run with the outcome.
void write_record(self_ptr self, env* e, const std::string& id, std::vector<event_draft> drafts,
                  const std::string& ticket, const char* field, idempotency_claim_ptr idem,
                  std::function<void(const error*)> after);

/// Whether `id` names a ticket of this company.
bool known_ticket(self_ptr self, const std::string& id);

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
// company_leads.cpp
caf::message_handler lead_handlers(self_ptr self, env* e);
caf::actor spawn_lead(self_ptr self, env* e, const std::string& id);
// company_disputes.cpp
caf::message_handler dispute_handlers(self_ptr self, env* e);
caf::actor spawn_dispute(self_ptr self, env* e, const std::string& id);

} // namespace crm::actors::company
