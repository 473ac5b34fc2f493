#pragma once
// What every actor kind shares: the answer callback, the journal's and the timers' messages,
// and the entity lifecycle messages between an entity actor and its host (entity_host.hpp).
// The messages of each actor kind are in its own header: ticket_protocol.hpp, call_protocol.hpp,
// rep_protocol.hpp, dispatch_protocol.hpp, audit_protocol.hpp.
#include <caf/all.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "storage/keys.hpp"

namespace crm::actors {

/// Every request carries one: called exactly once from an actor thread after the change is
/// persisted (or with the error); the caller posts it back to its own thread.
template <class T>
using reply = std::function<void(result<T>)>;

/// Journal -> entity actor (or registry): the submission numbered `token` was written (or failed).
struct persisted {
  std::uint64_t token = 0;
  std::shared_ptr<result<std::vector<event>>> outcome;
};

/// Timer service -> registry -> entity actor: a durable timer came due.
struct timer_due {
  storage::timer_key key;
};

/// Entity actor -> timer service: keep this wake-up in memory.
struct arm_timer {
  storage::timer_key key;
};

/// Entity actor -> its host: it is finished (closed, completed, escalated); passivate it.
struct entity_idle {
  std::string id;
};

/// Entity actor -> its host: persisted everything and stopped.
struct entity_stopped {
  std::string id;
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::persisted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::timer_due)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::arm_timer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::entity_idle)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::entity_stopped)
