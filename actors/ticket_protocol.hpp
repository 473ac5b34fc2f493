#pragma once
// Messages about tickets and NDR events: what the HTTP layer sends a company registry, what the
// registry hands a ticket's actor, and what the actors tell each other about tickets.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "domain/ndr.hpp"
#include "domain/ticket.hpp"
#include "storage/journal.hpp"

namespace crm::actors {

// -- HTTP -> registry (-> ticket actor) ------------------------------------------------------

struct create_ticket {
  tickets::create_cmd cmd;
  tickets::origin who;
  reply<tickets::ticket> done;
};

/// Reads that the read model cannot answer (a ticket with notes) and tests.
struct get_ticket {
  std::string id;
  reply<tickets::ticket> done;
};

struct update_ticket {
  std::string id;
  tickets::update_cmd cmd;
  tickets::origin who;
  reply<tickets::ticket> done;
};

struct add_note {
  std::string id;
  tickets::note_cmd cmd;
  tickets::origin who;
  reply<tickets::note> done;
};

struct ndr_outcome {
  std::string ndr_event_id;
  std::string ticket_id;
  std::string call_log_id;
  bool created = false;
};

struct ingest_ndr {
  ndr::ndr_event ev;
  tickets::origin who;
  reply<ndr_outcome> done;
};

// -- between actors --------------------------------------------------------------------------

/// Ticket actor (or the registry, for a new ticket) -> dispatcher, once a change is written and
/// published: the ticket before (null for a new one) and after.
struct ticket_changed {
  std::shared_ptr<const tickets::ticket> before;
  std::shared_ptr<const tickets::ticket> after;
};

/// Journal -> registry: the events creating ticket `id` were written (or failed).
struct ticket_persisted {
  std::string id;
  std::shared_ptr<result<std::vector<event>>> outcome;
};

/// Call actor -> registry: create this ticket, writing `extra` (the call's escalation events)
/// and `ops` in the same write.
struct create_linked_ticket {
  tickets::create_cmd cmd;
  tickets::origin who;
  std::string ticket_id;
  std::vector<event_draft> extra;
  std::vector<storage::write_op> ops;
  reply<tickets::ticket> done;
};

/// Registry -> ticket actor: link the ticket to a new lead or dispute (`field`:
/// relatedLeadId or relatedDisputeId, `value` its id) and write `extra` (the record's creation)
/// in the same write; `written` runs once written (null) or with why not (422 naming
/// `body_field` for a ticket that does not exist).
struct link_ticket {
  std::string id;
  std::string field;
  std::string value;
  std::string body_field; // relatedSupportTicketId
  std::vector<event_draft> extra;
  idempotency_claim_ptr idem;
  std::function<void(const error*)> written;
};

/// Ticket actor -> loader -> ticket actor: a ticket's state read from the store off the
/// scheduler (nullopt: no such ticket).
struct load_ticket_request {
  std::string id;
  caf::actor to;
};
struct ticket_loaded {
  std::shared_ptr<result<std::optional<tickets::ticket>>> t;
};

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::get_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::update_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::add_note)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ingest_ndr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_persisted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_linked_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::link_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::load_ticket_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_loaded)
