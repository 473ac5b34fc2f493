#pragma once
// A company's registry: owns the company's ticket index (lists, filters, metrics), its NDR
// idempotency map, and the directory of its resident ticket actors. Routes every ticket message
// to the one live actor of that ticket, spawning or reloading it on demand; passivates idle and
// closed ones, buffering messages for a ticket while its actor is stopping, so none is lost.
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
};

struct company_state {
  struct resident {
    caf::actor handle;
    millis touched = 0;
    bool stopping = false;
    std::vector<std::function<void(const caf::actor&)>> buffer;
  };
  std::string company;
  tickets::ticket_index index;
  std::unordered_map<std::string, std::string> ndr;
  std::unordered_map<std::string, resident> live;
  static inline const char* name = "company";
};

caf::behavior company_actor(caf::stateful_actor<company_state>* self, env* e, std::string company,
                            std::shared_ptr<company_seed> seed);

} // namespace crm::actors
