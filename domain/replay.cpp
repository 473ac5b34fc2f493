#include "domain/replay.hpp"

#include <cstdlib>

namespace crm {

namespace {
thread_local simdjson::dom::parser tl_parser;
}

void replay_state::apply(const event& e) {
  ++events;
  last_seq = e.seq;
  if (e.type.compare(0, 7, "ticket.") == 0) {
    tickets::apply(tickets[e.entity], e);
    auto dash = e.entity.rfind('-');
    if (dash != std::string::npos) {
      auto n = std::strtoull(e.entity.c_str() + dash + 1, nullptr, 10);
      if (n > max_ticket_number)
        max_ticket_number = n;
    }
  } else if (e.type == "ndr.received") {
    simdjson::dom::element d;
    std::string_view tid;
    if (!tl_parser.parse(e.data).get(d) && !d["ticketId"].get(tid))
      ndr[e.company_id][e.entity] = std::string(tid);
  }
}

} // namespace crm
