#pragma once
// A company's registry: creates tickets and calls, hosts the entity actors (entity_host.hpp),
// and keeps what spans entities that reads do not need (NDR idempotency, the rep command in
// flight). What reads need lives in the read model (company_view.hpp), published by whoever
// applies a written change; the dispatcher (dispatcher.hpp) keeps the dispatch bookkeeping.
//
// - Tickets (company_tickets.cpp): the registry journals ticket.created itself and publishes
//   the ticket once written; its actor is spawned on the first message for it. An NDR event's
//   ticket and call are written together, with the rep the dispatcher placed the call with.
// - Reps (company_reps.cpp): the rules that span reps (email unique, reportingTo a rep of the
//   company, no cycles) are checked against the roster as written; one rep change is in flight
//   at a time: the rep's actor writes and publishes it, and the next rep command waits for it.
// - Calls (company_calls.cpp): the dispatcher's proposals go to the calls' actors, or are
//   written here for a call without one; a rep that goes away hands its work back.
// - Leads (company_leads.cpp): duplicates among open leads, the rep the dispatcher picks, the
//   link on a support ticket; each lead's own changes are its actor's (record_actor.hpp).
// - Disputes (company_disputes.cpp): creation with the link on a ticket; each dispute's own
//   changes are its actor's. The ticket's actor opens a dispute after --dispute-after itself.
#include <caf/all.hpp>

#include <deque>
#include <memory>
#include <unordered_map>

#include "actors/call_protocol.hpp"
#include "actors/company_view.hpp"
#include "actors/dispatch_protocol.hpp"
#include "actors/entity_host.hpp"
#include "actors/env.hpp"
#include "actors/record_protocol.hpp"
#include "actors/rep_protocol.hpp"
#include "actors/ticket_protocol.hpp"

namespace crm::actors {

struct company_state {
  using written_fn = std::function<void(const result<std::vector<event>>&)>;
  struct creation {
    tickets::ticket t;
    std::vector<storage::timer_key> arm; // its SLA and dispute timers, armed once written
    reply<tickets::ticket> done;
    std::string placed_rep; // the rep the dispatcher gave the NDR event's call, written with it
  };
  /// An NDR event's ticket and call waiting for the dispatcher's answer (dispatch_placed) to be
  /// written, with the call's assignment when a rep can take it.
  struct placing {
    tickets::create_cmd cmd;
    tickets::origin who;
    std::vector<event_draft> extra;
    std::string ticket_id;
    reply<tickets::ticket> done;
  };
  /// The rep change in flight (its rep as it was before).
  struct rep_write {
    std::string id;
    std::optional<reps::rep> before;
  };

  /// A new lead on its way to be written (waiting for the dispatcher's rep, or written).
  struct lead_creation {
    leads::create_cmd cmd;
    tickets::origin who;
    std::string id;
    std::string rep;               // its assignee: the body's, or the dispatcher's choice
    std::vector<std::string> keys; // its duplicate keys, held in lead_keys meanwhile
    reply<leads::lead> done;
  };

  std::string company;
  std::shared_ptr<company_view> view;
  std::unique_ptr<entity_host> host;
  caf::actor dispatcher;
  ndr::link_index ndr;
  std::unordered_map<std::string, creation> creating;
  std::unordered_map<std::string, placing> placings; // by call id
  std::optional<rep_write> rep_writing;
  std::deque<std::function<void()>> rep_waiting; // rep commands waiting for rep_writing
  std::unordered_map<std::string, lead_creation> lead_placings; // by lead id
  /// Duplicate keys of leads being written (not in the read model yet) -> the lead's id.
  std::unordered_map<std::string, std::string> lead_keys;
  /// Writes of the registry's own in flight: journal token -> what to do once written (or failed).
  std::unordered_map<std::uint64_t, written_fn> writes;
  std::uint64_t tokens = 0;
  static inline const char* name = "company";
};

/// `view` holds what recovery found of the company (empty for a new one), `ndr` its NDR events.
caf::behavior company_actor(caf::stateful_actor<company_state>* self, env* e, std::string company,
                            std::shared_ptr<company_view> view, std::shared_ptr<ndr::link_index> ndr);

} // namespace crm::actors
