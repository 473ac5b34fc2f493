#pragma once
// Courier NDR (non-delivery report) events, CONTRACT section 4: validation, the priority of the
// logistics ticket they open, and the ticket they open.
#include <cstdint>
#include <optional>
#include <string>

#include "domain/errc.hpp"
#include "domain/ticket.hpp"

namespace crm::ndr {

struct ndr_event {
  std::string ndr_event_id;
  std::string shipment_id;
  std::string order_id;
  std::string awb;
  std::string courier;
  std::string reason;
  std::int64_t attempt = 1;
  std::string payment_mode; // cod | prepaid | "" (not given)
  std::int64_t cod_paise = 0;
  std::optional<tickets::customer> cust;
  std::string action; // reattempt | rto | address-change | call | ""
  std::string territory; // optional: where the call goes first (an extension of section 4)
};

std::optional<error> validate(const ndr_event& e);

/// The ticket priority: by attempt (1 low, 2 medium, 3 high, 4+ critical), raised one step for
/// a COD amount of at least 2,000 rupees and two steps from 10,000 rupees, capped at critical.
tickets::priority priority_for(const ndr_event& e);

/// The logistics ticket an NDR event opens.
tickets::create_cmd ticket_for(const ndr_event& e);

/// The data of the ndr.received event (the NDR fields plus the ids it led to).
std::string received_data(const ndr_event& e, const std::string& ticket_id,
                          const std::string& call_log_id);

} // namespace crm::ndr
