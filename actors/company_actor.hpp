#pragma once
// A company's registry: owns the company's ticket index (lists, filters, metrics), its NDR
// idempotency map, its sales reps (the roster: the one writer of reps, since email uniqueness
// and the reporting hierarchy are rules across reps), and the directory of its resident ticket actors. Creates tickets itself
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

/// What recovery hands a registry.
struct company_seed {
  tickets::ticket_index index;
  std::unordered_map<std::string, std::string> ndr; // ndrEventId -> ticketId
  reps::roster roster;
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
  std::unordered_map<std::string, std::string> ndr;
  std::unordered_map<std::string, resident> live;
  std::unordered_map<std::string, creation> creating;
  reps::roster roster;
  struct rep_write {
    std::string id;
    reply<reps::rep> done;
  };
  std::unordered_map<std::uint64_t, rep_write> rep_writes; // journal token -> waiting caller
  std::uint64_t rep_tokens = 0;
  static inline const char* name = "company";
};

caf::behavior company_actor(caf::stateful_actor<company_state>* self, env* e, std::string company,
                            std::shared_ptr<company_seed> seed);

} // namespace crm::actors
