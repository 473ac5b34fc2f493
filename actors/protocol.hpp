#pragma once
// The message protocol of the actors: what the HTTP layer (and tests) send, and what actors send
// each other. Every request carries a `done` callback, called exactly once from an actor thread
// after the change is persisted (or with the error); the caller posts it back to its own thread.
#include <caf/all.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/ndr.hpp"
#include "domain/rep.hpp"
#include "domain/ticket.hpp"
#include "domain/ticket_index.hpp"
#include "storage/keys.hpp"

namespace crm::actors {

template <class T>
using reply = std::function<void(result<T>)>;

// -- requests to a company registry --------------------------------------------------------

struct create_ticket {
  tickets::create_cmd cmd;
  tickets::origin who;
  reply<tickets::ticket> done;
};

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

struct list_tickets {
  tickets::list_query query;
  reply<tickets::list_page> done;
};

struct ticket_metrics {
  tickets::metrics_query query;
  reply<tickets::metrics> done;
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

struct create_rep {
  reps::create_cmd cmd;
  tickets::origin who;
  reply<reps::rep> done;
};

/// A rep as answered: `revealed` holds the opened bank plaintext when it was asked for.
struct rep_view {
  reps::rep r;
  std::optional<std::string> revealed;
};

struct get_rep {
  std::string id;
  bool reveal = false;
  reply<rep_view> done;
};

struct update_rep {
  std::string id;
  reps::update_cmd cmd;
  tickets::origin who;
  reply<reps::rep> done;
};

struct delete_rep {
  std::string id;
  tickets::origin who;
  reply<reps::rep> done;
};

struct list_reps {
  reps::list_query query;
  reply<reps::list_page> done;
};

struct rep_performance {
  std::string id;
  std::optional<millis> from, to;
  reply<reps::performance> done;
};

/// Registry -> audit reader: fold a company's events into one rep's performance.
struct performance_query {
  std::string company;
  std::string rep_id;
  std::optional<millis> from, to;
  std::int64_t commission_paise = 0;
  reply<reps::performance> done;
};

// -- between actors -------------------------------------------------------------------------

/// Ticket actor -> registry, after a change is persisted: the new state for the index.
struct ticket_changed {
  std::shared_ptr<const tickets::ticket> t;
};

/// Ticket actor -> registry: the ticket is closed; passivate it now.
struct ticket_idle {
  std::string id;
};

/// Ticket actor -> registry: persisted everything and stopped.
struct ticket_stopped {
  std::string id;
};

/// Journal -> registry: the events creating ticket `id` were written (or failed).
struct ticket_persisted {
  std::string id;
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

/// Journal -> entity actor: the submission numbered `token` was written (or failed).
struct persisted {
  std::uint64_t token = 0;
  std::shared_ptr<result<std::vector<event>>> outcome;
};

/// Audit queries, served by the audit reader.
struct audit_query {
  std::string company;
  std::string entity;
  std::string type;
  std::optional<millis> from, to;
  std::uint64_t after = 0;
  std::size_t limit = 100;
  reply<std::pair<std::vector<event>, std::uint64_t>> done; // events, nextAfter (0: none)
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::get_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::update_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::add_note)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::list_tickets)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_metrics)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ingest_ndr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::get_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::update_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::delete_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::list_reps)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::rep_performance)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::performance_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_idle)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_stopped)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_persisted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::timer_due)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::arm_timer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::persisted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::audit_query)
