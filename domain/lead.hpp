#pragma once
// Leads and the sales funnel (CONTRACT section 7): state, commands, the funnel rules, scoring,
// duplicate keys, and the decide/apply pair that the lead actor, the registry and the replayer
// share.
//
// Funnel: prospect -> qualified -> proposal -> negotiation -> won; forward steps may skip a
// stage, never go back; any open lead may become lost; won and lost are final (409).
// Events: lead.created (with assignedTo when the lead has a rep from the start; a log written
// before 2026-12-03 has a lead.assigned {from: null, to} right after it instead, and still
// folds), lead.assigned {from,to}, lead.status_changed {from,to},
// lead.note_added {noteId,note}, lead.converted {orderId} (status won, convertedOrderId,
// convertedAt). The score is recomputed by apply() after every event, from the state alone, so
// replay rebuilds it exactly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/clock.hpp"
#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/json.hpp"
#include "domain/ticket.hpp" // origin

namespace crm::leads {

using tickets::origin;

enum class status : std::uint8_t { prospect, qualified, proposal, negotiation, won, lost };
enum class source : std::uint8_t { support_ticket, referral, marketing, inbound_inquiry };
constexpr int status_count = 6;

std::optional<status> parse_status(std::string_view s);
std::optional<source> parse_source(std::string_view s);
const char* to_string(status s);  // "prospect" ... "lost"
const char* to_string(source s);  // "support-ticket" "referral" "marketing" "inbound-inquiry"

/// True for prospect..negotiation (won and lost are final).
inline bool is_open(status s) { return s != status::won && s != status::lost; }
/// The funnel rule: forward (skips allowed) or to lost, from an open status. Same status: false.
bool transition_allowed(status from, status to);

/// The duplicate keys: the last 10 digits of a phone (empty when it has fewer than 10 digits),
/// an email lower-cased (ASCII) and trimmed (empty when empty).
std::string phone_key(std::string_view phone);
std::string email_key(std::string_view email);

struct note {
  std::string id; // LEAD-000001-N1
  std::string text;
  std::string author;
  millis created_at = 0;
  bool operator==(const note&) const = default;
};
constexpr std::size_t max_notes = 1000;

/// What the score is made of; each part in points, total = score.
struct score_factors {
  int engagement = 0;    // 0..25: 5 per interaction (notes, status changes, the conversion)
  int response_time = 0; // 0..20: creation to first contact (first note, status change or
                         // conversion by staff): <=1h 20, <=4h 15, <=24h 10, later 5, none 0
  int value = 0;         // 0..30: estimatedValue rupees: 0 -> 0, <10k 10, <50k 15, <1L 20,
                         // <5L 25, >=5L 30
  int source = 0;        // 0..25: referral 25, inbound-inquiry 20, support-ticket 15, marketing 10
  int total() const { return engagement + response_time + value + source; }
  bool operator==(const score_factors&) const = default;
};

struct lead {
  std::string id;
  std::string company_id;
  std::string name;
  std::string email;
  std::string phone;
  source src = source::inbound_inquiry;
  std::string territory;
  std::string related_support_ticket_id;
  std::int64_t estimated_value_paise = 0;
  status st = status::prospect;
  std::string assigned_to; // empty: unassigned
  std::string converted_order_id;
  std::optional<millis> converted_at;
  std::vector<note> notes;
  std::uint32_t interactions = 0;           // notes, status changes and the conversion
  std::optional<millis> first_contact_at;   // the first of them by staff (actor not "system")
  status furthest = status::prospect;       // the furthest of prospect..won reached (lost: kept)
  int score = 0;
  score_factors factors;
  millis created_at = 0;
  millis updated_at = 0;
  std::uint64_t version = 0;
  std::uint64_t last_seq = 0;
  bool operator==(const lead&) const = default;
};

/// The score of a lead as it is now (its factors).
score_factors score_of(const lead& l);

struct create_cmd {
  std::string name;               // 1..200, required
  std::string email;              // optional, a valid address
  std::string phone;              // optional, 0..20, digits with + - space ( )
  std::string source;             // required, one of the four
  std::string territory;          // 0..100
  std::string related_support_ticket_id; // optional; the registry checks it names a ticket
  std::optional<std::int64_t> estimated_value_paise; // >= 0
  std::string assigned_to;        // optional; the registry checks it names an active rep
  bool allow_duplicate = false;
};

struct update_cmd {
  std::optional<std::string> status;
  std::optional<std::string> assigned_to; // "" means unassign (null in the body)
  std::optional<std::string> notes;       // 1..10000, added as a note
};

struct convert_cmd {
  std::string order_id; // required identifier (1..64 of A-Za-z0-9._:-)
};

/// Field checks of a create command that need no state. 422 naming each bad field; at least one
/// of email and phone is required (a lead one cannot contact is not a lead).
std::optional<error> validate(const create_cmd& c);

/// lead.created, one event, with assignedTo when `assignee` is not empty (the body's
/// assignedTo, or the rep the dispatcher chose).
result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const std::string& assignee, const origin& o);
/// 422 for a bad value (before the workflow), 409 for a forbidden status change or a change to
/// a won or lost lead (notes may still be added to them).
result<std::vector<event_draft>> decide_update(const lead& l, const update_cmd& c, const origin& o);
/// 409 when the lead is won or lost already.
result<std::vector<event_draft>> decide_convert(const lead& l, const convert_cmd& c, const origin& o);

/// Folds one event into the state (and recomputes the score). Events of other types are
/// ignored; false on data it cannot read.
bool apply(lead& l, const event& e);

/// The API shape of section 7 (with score and scoreFactors; notes when `with_notes`).
void write_json(json::writer& w, const lead& l, bool with_notes);
std::string to_json(const lead& l, bool with_notes);

// -- the funnel report: GET /api/v1/crm/leads/funnel ------------------------------------------

struct funnel {
  std::optional<millis> from, to;
  std::uint64_t stages[status_count] = {}; // leads created in the period that reached each stage
                                           // (skipped stages count as passed; lost: now lost)
};
/// Adds one lead to the report (when created within from..to).
void count(funnel& f, const lead& l);
/// {from, to, stages: {...}, conversionRates: {prospectToQualified, qualifiedToProposal,
/// proposalToNegotiation, negotiationToWon}}; a rate is next/this rounded to 4 decimals, 0 when
/// this is 0; from and to null when not given.
std::string to_json(const funnel& f);

} // namespace crm::leads
