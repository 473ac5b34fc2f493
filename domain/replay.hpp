#pragma once
// Folds the event log into entity state: the one code path for recovery, `crm-audit replay`
// and the replay-equivalence tests. Knows tickets, reps, calls, leads, disputes and NDR events; other events are counted and
// left to their own folds.
#include <map>
#include <string>
#include <unordered_map>

#include "domain/event.hpp"
#include "domain/call.hpp"
#include "domain/dispute.hpp"
#include "domain/lead.hpp"
#include "domain/notification.hpp"
#include "domain/templates.hpp"
#include "domain/rep.hpp"
#include "domain/ticket.hpp"

namespace crm {

struct replay_state {
  std::unordered_map<std::string, tickets::ticket> tickets;
  struct ndr_ids {
    std::string ticket;
    std::string call;
    std::string shipment;
  };
  /// company -> ndrEventId -> what it led to
  std::unordered_map<std::string, std::unordered_map<std::string, ndr_ids>> ndr;
  std::unordered_map<std::string, calls::call_log> calls;
  /// company -> whether the dispatcher assigns its unassigned tickets by skill
  std::unordered_map<std::string, bool> assign_tickets;
  std::uint64_t max_call_number = 0;
  std::unordered_map<std::string, reps::rep> reps;
  std::unordered_map<std::string, leads::lead> leads;
  std::unordered_map<std::string, disputes::dispute> disputes;
  std::unordered_map<std::string, notifications::notification> notifications;
  /// company -> its saved notification templates
  std::unordered_map<std::string, notifications::template_set> templates;
  std::uint64_t max_notification_number = 0;
  std::uint64_t max_lead_number = 0;
  std::uint64_t max_dispute_number = 0;
  std::uint64_t max_ticket_number = 0;
  std::uint64_t max_rep_number = 0;
  std::uint64_t events = 0;
  std::uint64_t last_seq = 0;

  void apply(const event& e);
};

} // namespace crm
