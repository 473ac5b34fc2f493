#include "domain/replay.hpp"

#include <cstdlib>

namespace crm {

namespace {
thread_local simdjson::dom::parser tl_parser;

void track_number(const std::string& id, std::uint64_t& max) {
  auto dash = id.rfind('-');
  if (dash == std::string::npos)
    return;
  auto n = std::strtoull(id.c_str() + dash + 1, nullptr, 10);
  if (n > max)
    max = n;
}
} // namespace

void replay_state::apply(const event& e) {
  ++events;
  last_seq = e.seq;
  if (e.type.compare(0, 7, "ticket.") == 0) {
    tickets::apply(tickets[e.entity], e);
    track_number(e.entity, max_ticket_number);
  } else if (e.type.compare(0, 4, "rep.") == 0) {
    reps::apply(reps[e.entity], e);
    track_number(e.entity, max_rep_number);
  } else if (e.type.compare(0, 5, "call.") == 0) {
    calls::apply(calls[e.entity], e);
    track_number(e.entity, max_call_number);
  } else if (e.type.compare(0, 5, "lead.") == 0) {
    leads::apply(leads[e.entity], e);
    track_number(e.entity, max_lead_number);
  } else if (e.type.compare(0, 8, "dispute.") == 0) {
    disputes::apply(disputes[e.entity], e);
    track_number(e.entity, max_dispute_number);
  } else if (e.type == "notification.template_set") {
    notifications::apply(templates[e.company_id], e);
  } else if (e.type.compare(0, 13, "notification.") == 0) {
    notifications::apply(notifications[e.entity], e);
    track_number(e.entity, max_notification_number);
  } else if (e.type == "company.dispatch_settings_changed") {
    simdjson::dom::element d;
    bool on = false;
    if (!tl_parser.parse(e.data).get(d) && !d["assignTickets"].get(on))
      assign_tickets[e.company_id] = on;
  } else if (e.type == "ndr.received") {
    simdjson::dom::element d;
    std::string_view tid, cid, sid;
    if (!tl_parser.parse(e.data).get(d) && !d["ticketId"].get(tid)) {
      if (d["callLogId"].get(cid))
        cid = {}; // null: no call
      if (d["shipmentId"].get(sid))
        sid = {};
      ndr[e.company_id][e.entity] = ndr_ids{std::string(tid), std::string(cid), std::string(sid)};
    }
  }
}

} // namespace crm
