#pragma once
// A company's registry: owns the company's ticket index (lists, filters, metrics), its NDR
// idempotency map, its sales reps (the roster: the one writer of reps, since email uniqueness
// and the reporting hierarchy are rules across reps), its call logs (the one writer of calls,
// so that an assignment never races an outcome), its dispatcher, and the directory of its resident ticket actors. Creates tickets itself
// (journals ticket.created and indexes the ticket once written): a new ticket starts
// passivated, and its actor is activated on the first message for it. Routes every ticket
// message to the one live actor of that ticket, loading it on demand; passivates idle and
// closed ones. Messages for a ticket being created or whose actor is stopping are buffered,
// so none is lost and there is never a second writer.
#include <caf/all.hpp>

#include <memory>
#include <unordered_map>

#include "actors/env.hpp"
#include "actors/protocol.hpp"

namespace crm::actors {

/// What an NDR event led to.
struct ndr_link {
  std::string ticket;
  std::string call;
};

/// What recovery hands a registry.
struct company_seed {
  tickets::ticket_index index;
  std::unordered_map<std::string, ndr_link> ndr; // by ndrEventId
  reps::roster roster;
  std::unordered_map<std::string, calls::call_log> calls;
  std::unordered_map<std::string, std::vector<std::string>> shipments; // shipmentId -> entity ids
  bool assign_tickets = false;
};

struct company_state {
  struct resident {
    caf::actor handle; // null while the ticket is being created
    millis touched = 0;
    bool stopping = false;
    std::vector<std::function<void(const caf::actor&)>> buffer;
  };
  struct creation {
    tickets::ticket t;
    std::optional<storage::timer_key> arm;
    reply<tickets::ticket> done;
  };
  std::string company;
  tickets::ticket_index index;
  std::unordered_map<std::string, ndr_link> ndr;
  std::unordered_map<std::string, resident> live;
  std::unordered_map<std::string, creation> creating;
  reps::roster roster;
  std::unordered_map<std::string, calls::call_log> calls;
  std::unordered_map<std::string, std::vector<std::string>> shipments; // shipmentId -> entity ids
  caf::actor dispatcher;
  bool assign_tickets = false; // the dispatcher assigns unassigned tickets by skill
  std::unordered_map<std::string, std::string> ticket_offers; // ticket -> rep offered by the dispatcher
  /// Writes of reps and calls in flight: journal token -> what to do once written (or failed).
  std::unordered_map<std::uint64_t, std::function<void(const result<std::vector<event>>&)>> writes;
  std::uint64_t tokens = 0;
  static inline const char* name = "company";
};

caf::behavior company_actor(caf::stateful_actor<company_state>* self, env* e, std::string company,
                            std::shared_ptr<company_seed> seed);

} // namespace crm::actors
