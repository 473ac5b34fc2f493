#pragma once
// A company's registry: the router and the index of everything a company owns.
//
// - Tickets: creates them itself (journals ticket.created and indexes the ticket once written);
//   a new ticket starts passivated, and its actor is activated on the first message for it.
//   The index serves lists, filters, search and metrics.
// - Calls: created with their NDR event's ticket, in one write; each has its own actor (spawned
//   on demand from the registry's copy, passivated when nothing is in flight), which tells the
//   registry each change written (call_changed). The copy serves lists and reads.
// - Reps: the roster checks the rules that span reps (email unique, reportingTo a rep of the
//   company, no cycles) against the reps as written. One rep change is in flight at a time:
//   the rep's own actor writes it, and the roster and the dispatcher see it once written
//   (rep_changed); the next rep command waits for that.
// - The dispatcher: an actor of its own, told every change that matters to it; its proposals
//   come back here and go to the call's (or ticket's) actor.
// - NDR idempotency, the shipments' entities (timeline), the dispatcher settings.
//
// Every message for a ticket, call or rep goes to its one live actor (loaded on demand);
// messages for one being created or stopping are buffered, so none is lost and there is never
// a second writer.
#include <caf/all.hpp>

#include <deque>
#include <map>
#include <memory>
#include <unordered_set>
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
  std::string company;
  tickets::ticket_index index;
  std::unordered_map<std::string, ndr_link> ndr;
  std::unordered_map<std::string, resident> live;
  std::unordered_map<std::string, creation> creating;
  std::unordered_map<std::string, placing> placings; // by call id
  reps::roster roster; // as written
  /// The rep change in flight (its rep as it was before), and the rep commands waiting for it.
  struct rep_write {
    std::string id;
    std::optional<reps::rep> before;
  };
  std::optional<rep_write> rep_writing;
  std::deque<std::function<void()>> rep_waiting;
  std::unordered_map<std::string, calls::call_log> calls; // as last written; change via put_call
  /// The calls by (createdAt, number), for lists in their default order without sorting.
  std::map<std::pair<millis, std::uint64_t>, const calls::call_log*> calls_by_created;
  /// rep -> the calls assigned to it (any status), for handing work back.
  std::unordered_map<std::string, std::unordered_set<std::string>> calls_by_rep;
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
