#pragma once
// Messages about call logs: HTTP -> registry -> call actor, and what a call actor tells others.
#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "domain/call.hpp"
#include "domain/ticket.hpp"

namespace crm::actors {

/// Reads through the registry (tests; HTTP reads the read model).
struct get_call {
  std::string id;
  reply<calls::call_log> done;
};

struct update_call {
  std::string id;
  calls::update_cmd cmd;
  tickets::origin who;
  reply<calls::call_log> done;
};

struct schedule_callback {
  std::string id;
  millis at = 0;
  tickets::origin who;
  reply<calls::call_log> done;
};

/// Registry -> call actor: the dispatcher picked `rep` for this call.
struct assign_call {
  std::string id;
  std::string rep;
};

/// Registry -> call actor: its rep went offline or inactive.
struct unassign_call {
  std::string id;
  std::string reason;
};

/// Call actor (or the registry, for a call it wrote) -> dispatcher, once a change is written and
/// published: the call before (empty for a new one) and after.
struct call_changed {
  calls::call_log before;
  std::shared_ptr<const calls::call_log> after;
};

/// Call actor or registry -> dispatcher: the call could not take the rep the dispatcher picked.
struct call_assign_refused {
  std::string call;
  std::string rep;
};

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::get_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::update_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::schedule_callback)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::assign_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::unassign_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::call_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::call_assign_refused)
