#pragma once
// Messages of a company's dispatcher. It learns of written changes itself (ticket_changed,
// call_changed from the entities' actors, dispatch_rep from the registry), keeps its board, and
// proposes assignments (dispatch_assign) that the registry routes to the entities' actors.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "domain/dispatch.hpp"
#include "domain/rep.hpp"
#include "domain/ticket.hpp"

namespace crm::actors {

/// Registry -> dispatcher: a rep as written.
struct dispatch_rep {
  std::shared_ptr<const reps::rep> r;
};
/// Registry -> dispatcher: a rep counted for an item that will not be written after all.
struct dispatch_release {
  std::string rep;
};
/// Registry -> dispatcher: a call about to be written (an NDR event's): which rep takes it, if
/// one can now? The dispatcher counts that rep at once and answers dispatch_placed; the call is
/// queued once written (call_changed), if still unassigned.
struct dispatch_place {
  std::string id;
  std::string territory;
};
/// Dispatcher -> registry: the answer to dispatch_place (`rep` empty: none can take it now).
struct dispatch_placed {
  std::string id;
  std::string rep;
};
/// Dispatcher -> registry: route these to the entities' actors (calls: assign_call; tickets:
/// an update that assigns only if still unassigned).
struct dispatch_assign {
  std::vector<dispatch::assignment> batch;
};
/// Registry (ticket actor's callback) -> dispatcher: the offer of a ticket to a rep failed.
struct ticket_offer_refused {
  std::string ticket;
  std::string rep;
};
/// A company's dispatcher settings: whether unassigned tickets are assigned by skill.
struct dispatch_settings {
  std::optional<bool> assign_tickets; // nullopt: read only
  tickets::origin who;
  reply<bool> done;
};
/// Registry -> dispatcher: a new lead of `territory` without an assignee: which rep gets it?
/// The active rep of the territory with the fewest open leads (ties: the lowest id), counting
/// the leads placed and not yet written; answered with lead_placed (`rep` empty: none).
struct place_lead {
  std::string id;
  std::string territory;
};
struct lead_placed {
  std::string id;
  std::string rep;
};
/// Registry -> dispatcher: the placed lead is written and published (or was refused): it
/// counts in the read model now, or not at all.
struct lead_settled {
  std::string id;
};

/// Dispatcher -> itself and tests: how many items wait; drain the board now.
using queued_atom = caf::atom_constant<caf::atom("queued")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_release)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_place)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_placed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_assign)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_offer_refused)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_settings)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::place_lead)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::lead_placed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::lead_settled)
