#pragma once
// Messages about leads and disputes: their creation (HTTP -> registry); every later command is a
// record_command (record_actor.hpp) routed by the registry to the record's actor.
#include <string>

#include "actors/messages.hpp"
#include "actors/record_actor.hpp"
#include "domain/dispute.hpp"
#include "domain/lead.hpp"

namespace crm::actors {

using lead_command = record_command<leads::lead>;
using dispute_command = record_command<disputes::dispute>;

/// HTTP -> registry: a new lead. Refused with 409 naming the open lead it duplicates unless the
/// command allows duplicates; placed with a rep of its territory by the dispatcher when it names
/// none; written with the link on its ticket when it names one.
struct create_lead {
  leads::create_cmd cmd;
  tickets::origin who;
  reply<leads::lead> done;
};

/// HTTP -> registry: a new dispute, written with the link on its ticket when it names one.
struct create_dispute {
  disputes::create_cmd cmd;
  tickets::origin who;
  reply<disputes::dispute> done;
};

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_lead)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_dispute)
