#pragma once
// The dispatcher of one company: keeps the dispatch board (which reps can take work, how much
// each has open, which calls and tickets wait) and hands waiting work to reps by the policy of
// domain/dispatch.hpp the moment it becomes assignable or a rep can take work.
//
// It follows written changes itself: the entities' actors tell it each change once written and
// published (ticket_changed, call_changed, with the state before and after), the registry each
// rep change (dispatch_rep). Its proposals are checked against the read model and go to the
// registry (dispatch_assign), which routes them to the entities' actors; those refuse what no
// longer holds (call_assign_refused, ticket_offer_refused) and the dispatcher undoes its count.
// The board is built from the read model at start. It also owns the dispatcher settings.
#include <caf/all.hpp>

#include <unordered_map>

#include "actors/call_protocol.hpp"
#include "actors/company_view.hpp"
#include "actors/dispatch_protocol.hpp"
#include "actors/env.hpp"
#include "actors/ticket_protocol.hpp"

namespace crm::actors {

struct dispatcher_state {
  dispatch::board board;
  bool drain_pending = false;
  bool assign_tickets = false;
  std::unordered_map<std::string, std::string> ticket_offers; // ticket -> rep offered, not yet written
  std::unordered_map<std::string, std::string> lead_placings; // lead -> rep placed, not yet written
  std::unordered_map<std::string, std::size_t> placed_per_rep; // the same, counted by rep
  std::unordered_map<std::uint64_t, std::function<void(const result<std::vector<event>>&)>> writes;
  std::uint64_t tokens = 0;
  static inline const char* name = "dispatcher";
};

/// The bits of the ticket categories a rep has among its skills.
unsigned skill_mask(const reps::rep& r);

caf::behavior dispatcher_actor(caf::stateful_actor<dispatcher_state>* self, env* e, std::string company,
                               caf::actor registry, std::shared_ptr<company_view> view);

} // namespace crm::actors
