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
#include "domain/call.hpp"
#include "domain/dispatch.hpp"
#include "domain/ndr.hpp"
#include "domain/rep.hpp"
#include "domain/ticket.hpp"
#include "domain/ticket_index.hpp"
#include "storage/journal.hpp"
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

/// Registry -> performance keeper: one rep's performance, from the company's events.
struct performance_query {
  std::string company;
  std::string rep_id;
  std::optional<millis> from, to;
  reply<reps::performance> done;
};

struct call_page {
  std::vector<calls::call_log> items;
  std::size_t total = 0;
  int page = 1;
  int limit = 20;
};

struct get_call {
  std::string id;
  reply<calls::call_log> done;
};

struct list_calls {
  calls::list_query query;
  reply<call_page> done;
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

struct shipment_timeline {
  std::string shipment;
  reply<std::vector<event>> done;
};

/// Registry -> audit reader: the events of these entities of the company, oldest first.
struct timeline_query {
  std::string company;
  std::vector<std::string> entities;
  reply<std::vector<event>> done;
};

/// Registry -> rep actor: events the registry decided for this rep (it checks the rules that
/// span reps); the rep's actor applies and writes them.
struct write_rep {
  std::string id;
  std::vector<event_draft> drafts;
  reply<reps::rep> done;
  idempotency_claim_ptr idem = nullptr;
};
/// Rep actor -> registry, after each write: the rep as written (`failed`: the write failed and
/// the rep is as it was).
struct rep_changed {
  std::shared_ptr<const reps::rep> r;
  bool failed = false;
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
/// Call actor -> registry, after a change is written: the call's new state.
struct call_changed {
  std::shared_ptr<const calls::call_log> c;
};
/// Call actor -> registry: the call could not take the rep the dispatcher picked.
struct call_assign_refused {
  std::string call;
  std::string rep;
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

// -- the dispatcher ----------------------------------------------------------------------

/// Registry -> dispatcher: a rep's state as the dispatcher needs it.
struct dispatch_rep {
  std::string id;
  std::string territory;
  bool eligible = false; // active and available
  std::optional<std::int64_t> capacity;
  unsigned skills = 0; // bit i: ticket category i
};
/// Registry -> dispatcher: this call is assignable now.
struct dispatch_work {
  std::string id;
  std::string territory;
};
/// Registry -> dispatcher: this call is no longer assignable.
struct dispatch_drop {
  std::string id;
};
/// Registry -> dispatcher: one open item of this rep is done.
struct dispatch_release {
  std::string rep;
};
/// Registry -> dispatcher: a call about to be written (an NDR event's): which rep takes it, if
/// one can now? The dispatcher counts that rep at once and answers dispatch_placed; the call is
/// not queued (the registry sends dispatch_work once it is written, if still unassigned).
struct dispatch_place {
  std::string id;
  std::string territory;
};
/// Dispatcher -> registry: the answer to dispatch_place (`rep` empty: none can take it now).
struct dispatch_placed {
  std::string id;
  std::string rep;
};
/// Dispatcher -> registry: assign these (the registry journals call.assigned, or refuses).
struct dispatch_assign {
  std::vector<dispatch::assignment> batch;
};
/// A company's dispatcher settings: whether unassigned tickets are assigned by skill.
struct dispatch_settings {
  std::optional<bool> assign_tickets; // nullopt: read only
  tickets::origin who;
  reply<bool> done;
};
/// Ticket actor (through a callback) -> registry: the dispatcher's offer of a ticket failed.
struct ticket_offer_refused {
  std::string ticket;
  std::string rep;
};
/// Registry -> dispatcher: a rep took an item outside the dispatcher (a ticket by hand).
struct dispatch_take {
  std::string rep;
};
/// Registry -> dispatcher: this ticket waits for a rep with the skill of its category.
struct dispatch_skilled {
  std::string id;
  int skill = 0;
};
/// Dispatcher -> its registry: how many calls wait (metrics, tests).
using queued_atom = caf::atom_constant<caf::atom("queued")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;

// -- between actors -------------------------------------------------------------------------

/// Ticket actor -> registry, after a change is persisted: the new state for the index.
struct ticket_changed {
  std::shared_ptr<const tickets::ticket> t;
};

/// Ticket or call actor -> registry: it is finished (closed, completed, escalated); passivate it.
struct ticket_idle {
  std::string id;
};

/// Ticket or call actor -> registry: persisted everything and stopped.
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
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::get_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::list_calls)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::update_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::schedule_callback)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::shipment_timeline)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::timeline_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::write_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::rep_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::assign_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::unassign_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::call_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::call_assign_refused)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_linked_ticket)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_work)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_drop)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_release)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_assign)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_place)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_placed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_settings)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_offer_refused)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_take)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::dispatch_skilled)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_idle)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_stopped)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::ticket_persisted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::timer_due)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::arm_timer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::persisted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::audit_query)
