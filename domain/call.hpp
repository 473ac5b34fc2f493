#pragma once
// Call logs (CONTRACT section 6): state, the outcome workflow, callbacks with doubling delay,
// escalation after the last attempt, and the decide/apply pair the registry and the replayer
// share.
//
// A call is assignable when it is `pending`, unassigned, not waiting for a callback and not
// escalated. An outcome (`completed`, `no-answer`, `disconnected`) is recorded from `pending` or
// `in-progress` and adds one to `attempts`. A failed attempt below the maximum waits for a
// callback (a durable timer at `scheduledFor`); when it comes due the call is `pending` and
// unassigned again. The failed attempt that reaches the maximum escalates the call.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/clock.hpp"
#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/json.hpp"
#include "domain/ndr.hpp"
#include "domain/ticket.hpp"

namespace crm::calls {

enum class status : std::uint8_t { pending, in_progress, completed, no_answer, disconnected };
std::optional<status> parse_status(std::string_view s);
const char* to_string(status s);

struct ivr_response {
  std::string question;
  std::string answer;
  bool operator==(const ivr_response&) const = default;
};

struct call_log {
  std::string id;
  std::string company_id;
  std::string ndr_event_id;
  std::string shipment_id;
  std::string order_id;
  std::string territory;
  std::string customer_phone;
  std::string support_ticket_id; // set when escalated
  status st = status::pending;
  std::string assigned_to;
  std::uint32_t attempts = 0;
  std::optional<millis> scheduled_for;
  bool awaiting_callback = false;
  bool callback_came_due = false; // pending again after its callback came due, not yet assigned since
  std::vector<ivr_response> ivr;
  std::string customer_feedback;
  std::string resolution;
  millis created_at = 0;
  millis updated_at = 0;
  std::optional<millis> resolved_at;
  std::uint64_t version = 0;
  std::uint64_t last_seq = 0;
  bool operator==(const call_log&) const = default;

  bool escalated() const { return !support_ticket_id.empty(); }
  bool assignable() const {
    return !id.empty() && st == status::pending && assigned_to.empty() && !awaiting_callback && !escalated();
  }
  /// Counts against its rep's capacity: assigned and not finished.
  bool open_for_rep() const {
    return !assigned_to.empty() && !awaiting_callback
           && (st == status::pending || st == status::in_progress);
  }
};

struct callback_policy {
  millis retry_delay = 30 * 60'000; // --callback-retry-delay
  std::uint32_t max_attempts = 3;   // --callback-max-attempts
  /// retry_delay x 2^(attempts-1)
  millis delay_after(std::uint32_t attempts) const;
};

struct update_cmd {
  std::optional<std::string> status;
  std::optional<std::string> resolution;
  std::optional<std::vector<ivr_response>> ivr;
  std::optional<std::string> customer_feedback;
};

/// What an update decided: the events, and whether the call must now escalate to a ticket (the
/// caller creates the ticket and adds decide_escalate's event in the same write).
struct decision {
  std::vector<event_draft> events;
  bool escalate = false;
};

event_draft decide_create(const std::string& id, const ndr::ndr_event& ev, const tickets::origin& o);
/// call.assigned {from, to, callbackFor (the callback that came due, on the first assignment
/// after it: that rep gets an SMS)}; errc::conflict when the call is not assignable.
result<event_draft> decide_assign(const call_log& c, const std::string& rep, const tickets::origin& o);
/// call.unassigned (its rep went offline or inactive); nothing unless assigned and pending.
std::vector<event_draft> decide_unassign(const call_log& c, const std::string& reason,
                                         const tickets::origin& o);
result<decision> decide_update(const call_log& c, const update_cmd& u, const tickets::origin& o,
                               const callback_policy& p);
event_draft decide_escalate(const call_log& c, const std::string& ticket_id, const tickets::origin& o);
/// The ticket an escalated call opens.
tickets::create_cmd escalation_ticket(const call_log& c);
/// POST /:id/callback.
result<event_draft> decide_callback(const call_log& c, millis scheduled_for, const tickets::origin& o);
/// When the callback time has come: call.callback_due; nothing otherwise.
std::vector<event_draft> decide_callback_due(const call_log& c, const tickets::origin& o);

bool apply(call_log& c, const event& e);

void write_json(json::writer& w, const call_log& c);
std::string to_json(const call_log& c);

struct list_query {
  std::vector<std::string> status;
  std::vector<std::string> assigned_to; // "null": unassigned
  std::vector<std::string> shipment_id;
  int page = 1;
  int limit = 20;
  bool descending = true; // by createdAt, then id
  std::string sort_by = "createdAt";
};

} // namespace crm::calls
