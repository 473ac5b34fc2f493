#pragma once
// Disputes (CONTRACT section 8): state, commands, the workflow, refunds and their approval
// limit, automatic creation from an unresolved ticket, and the decide/apply pair that the
// dispute actor, the ticket actor (automatic creation) and the replayer share.
//
// Workflow: investigation -> decision -> resolved -> closed, one step at a time; anything else
// is 409. Entering `resolved` needs a resolution (refund, replacement, rejected); a refund needs
// refundAmount > 0 and never above claimAmount (422); refundAmount with another resolution is
// 422. A refund above the approval limit needs a manager or admin (or platform) key: 403 for an
// agent, exactly at the limit allowed, on every request that resolves (PUT or /resolve). A body
// is validated (422) before the workflow is consulted (409), and the workflow before the role.
//
// Events: dispute.created, dispute.claim_set {claimAmount} (PUT claimAmount, before a
// resolution), dispute.status_changed {from,to} (investigation->decision,
// resolved->closed), dispute.decision_set {resolution, refundAmount} (PUT of resolution or
// refundAmount in `decision`), dispute.note_added {noteId, note}, dispute.resolved
// {resolution, refundAmount} (status resolved, resolvedAt), and with it, for the platform,
// dispute.refund_requested {refundAmount, relatedOrderId, shipmentId} or
// dispute.replacement_requested {relatedOrderId, shipmentId}.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/clock.hpp"
#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/json.hpp"
#include "domain/ticket.hpp"

namespace crm::disputes {

using tickets::origin;

enum class type : std::uint8_t { damaged_goods, lost_shipment, delayed_delivery, quality_issue };
enum class status : std::uint8_t { investigation, decision, resolved, closed };
enum class resolution : std::uint8_t { none, refund, replacement, rejected };
constexpr int type_count = 4;
constexpr int status_count = 4;

std::optional<type> parse_type(std::string_view s);
std::optional<status> parse_status(std::string_view s);
std::optional<resolution> parse_resolution(std::string_view s); // refund replacement rejected
const char* to_string(type t);       // "damaged-goods" ...
const char* to_string(status s);     // "investigation" ...
const char* to_string(resolution r); // "refund" ...; none -> ""

/// One step forward only.
bool transition_allowed(status from, status to);

/// One entry of a dispute's timeline: every event of the dispute, oldest first.
struct timeline_entry {
  millis at = 0;
  std::string type;   // the event type without "dispute.": created, status_changed, ...
  std::string actor;  // API key id or system
  std::string from, to; // status_changed, resolved (to = "resolved")
  std::string note;     // note_added
  resolution res = resolution::none;       // decision_set, resolved
  std::optional<std::int64_t> refund_paise; // decision_set, resolved
  std::optional<std::int64_t> claim_paise;  // claim_set
  bool operator==(const timeline_entry&) const = default;
};
constexpr std::size_t max_notes = 1000;

struct dispute {
  std::string id; // DSP-000001
  std::string company_id;
  type t = type::quality_issue;
  std::string related_order_id;
  std::string related_support_ticket_id;
  std::string shipment_id;
  std::string description;
  std::string customer_email; // of the related ticket, for notifications
  std::int64_t claim_paise = 0;
  status st = status::investigation;
  resolution res = resolution::none;
  std::optional<std::int64_t> refund_paise;
  bool automatic = false; // created by the --dispute-after timer
  std::vector<timeline_entry> timeline;
  std::uint32_t note_count = 0;
  millis created_at = 0;
  millis updated_at = 0;
  std::optional<millis> resolved_at;
  std::uint64_t version = 0;
  std::uint64_t last_seq = 0;
  bool operator==(const dispute&) const = default;
};

/// Who asks, for the approval limit.
struct authority {
  bool may_exceed_limit = false;   // manager, admin, platform
  std::int64_t limit_paise = 500'000; // --refund-approval-limit
};

struct create_cmd {
  std::string type;                      // required
  std::string related_order_id;          // identifier, optional
  std::string related_support_ticket_id; // optional; the registry checks it names a ticket
  std::string shipment_id;               // identifier, optional
  std::string description;               // 0..10000
  std::optional<std::int64_t> claim_paise; // required, > 0
  std::string customer_email;            // from the related ticket (not from the body)
};

struct update_cmd {
  std::optional<std::int64_t> claim_paise; // > 0; in investigation or decision (an automatic
                                           // dispute starts at 0: staff set the claim)
  std::optional<std::string> status;
  std::optional<std::string> resolution;
  std::optional<std::int64_t> refund_paise;
  std::optional<std::string> notes; // 1..10000
};

struct resolve_cmd {
  std::string resolution;                   // required
  std::optional<std::int64_t> refund_paise; // required for refund
};

std::optional<error> validate(const create_cmd& c);
result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const origin& o, bool automatic = false);
/// PUT: status (one step; `resolved` resolves as /resolve does, with the resolution and refund of
/// the body or those set in `decision`), resolution and refundAmount (only in `decision`, or
/// with status resolved), notes (any status but closed).
result<std::vector<event_draft>> decide_update(const dispute& d, const update_cmd& c,
                                               const authority& a, const origin& o);
/// POST /resolve: from `decision` only (409 otherwise).
result<std::vector<event_draft>> decide_resolve(const dispute& d, const resolve_cmd& c,
                                                const authority& a, const origin& o);

/// The dispute the --dispute-after timer opens for an unresolved ticket: type inferred from the
/// ticket's category and words (damag -> damaged-goods; lost, missing, not delivered ->
/// lost-shipment; quality, defect, wrong item -> quality-issue; else logistics ->
/// delayed-delivery; else quality-issue), relatedSupportTicketId, relatedOrderId, shipmentId
/// and the customer's email from the ticket, claimAmount 0. Its events are dispute.created
/// (automatic: true) and nothing else; the caller adds the ticket's link.
std::vector<event_draft> decide_automatic(const tickets::ticket& t, const std::string& id,
                                          const origin& o);
type infer_type(const tickets::ticket& t);

bool apply(dispute& d, const event& e);

/// The API shape of section 8 (with `timeline` when asked).
void write_json(json::writer& w, const dispute& d, bool with_timeline);
std::string to_json(const dispute& d, bool with_timeline);

/// In `investigation` for at least `stall_after` at `now`.
inline bool stalled(const dispute& d, millis now, millis stall_after) {
  return d.st == status::investigation && now - d.created_at >= stall_after;
}

} // namespace crm::disputes
