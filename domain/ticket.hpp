#pragma once
// Support tickets (CONTRACT section 3): state, commands, the status workflow, SLA math, and the
// pure decide/apply pair that the ticket actor and the replayer share.
//
// decide_* validate a command against the state and return the events it causes, or an error
// (errc::invalid 422 naming each field, errc::conflict 409 for a forbidden transition).
// apply() folds one event into the state; it never fails on an event decide_* produced, and
// replaying a ticket's events through it rebuilds exactly the live state.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/clock.hpp"
#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/idempotency.hpp"
#include "domain/json.hpp"

namespace crm::tickets {

enum class category : std::uint8_t { technical, billing, logistics, other };
enum class priority : std::uint8_t { critical, high, medium, low };
enum class status : std::uint8_t { open, in_progress, resolved, closed };

std::optional<category> parse_category(std::string_view s);
std::optional<priority> parse_priority(std::string_view s);
std::optional<status> parse_status(std::string_view s);
const char* to_string(category c);
const char* to_string(priority p);
const char* to_string(status s);

/// True when the workflow allows moving from `from` to `to`.
bool transition_allowed(status from, status to);

struct customer {
  std::string name, email, phone;
  bool operator==(const customer&) const = default;
};

struct note {
  std::string id;
  std::string text;
  std::string type; // internal | customer
  std::string author;
  millis created_at = 0;
  bool operator==(const note&) const = default;
};

/// Notes a ticket may hold; one more is 409 (a bound on what one client can make us keep).
constexpr std::size_t max_notes = 1000;

struct ticket {
  std::string id;
  std::string company_id;
  category cat = category::other;
  priority prio = priority::medium;
  std::string subject;
  std::string description;
  status st = status::open;
  std::string assigned_to; // empty: unassigned
  std::string related_order_id;
  std::string related_ndr_event_id;
  std::string related_call_log_id;
  std::string related_lead_id;    // the last lead made from the ticket
  std::string related_dispute_id; // its dispute (by hand or after --dispute-after)
  std::string shipment_id;
  std::optional<customer> cust;
  std::vector<note> notes;
  millis created_at = 0;
  millis updated_at = 0;
  std::optional<millis> first_response_at;
  std::optional<millis> resolved_at;
  std::optional<millis> closed_at;
  millis sla_due_at = 0;
  bool sla_breached = false;
  bool escalated = false;
  /// When the ticket last entered `resolved`; kept across reopen, for metrics.
  std::optional<millis> last_resolution_at;
  std::uint32_t note_count = 0; // notes.size(), kept when an index copy drops the notes
  std::uint64_t version = 0;  // events applied
  std::uint64_t last_seq = 0; // seq of the last applied event (0 before persistence)
  bool operator==(const ticket&) const = default;

  bool is_done() const { return st == status::resolved || st == status::closed; }
};

/// Resolution deadlines: one default and optional ones per priority.
struct sla_policy {
  millis resolve = 24 * 3'600'000LL;
  std::array<std::optional<millis>, 4> by_priority{};
  millis due(priority p, millis created_at) const;
};

struct create_cmd {
  std::string category;
  std::optional<std::string> priority;
  std::string subject;
  std::string description;
  std::string related_order_id;
  std::string related_ndr_event_id;
  std::string related_call_log_id;
  std::string shipment_id;
  std::optional<customer> cust;
};

struct update_cmd {
  std::optional<std::string> status;
  std::optional<std::string> assigned_to; // "" means unassign (null in the body)
  std::optional<std::string> priority;
  std::optional<std::string> notes;
  /// The dispatcher's assignment: refused (409) when the ticket got an assignee meanwhile or
  /// is resolved or closed.
  bool only_if_unassigned = false;
};

struct note_cmd {
  std::string note;
  std::string type = "internal";
};

/// Who causes a change, and when.
struct origin {
  std::string company_id;
  std::string actor; // API key id, "platform", or "system"
  millis now = 0;
  idempotency_claim_ptr idem = nullptr; // the request's Idempotency-Key, written with its change
};

/// Field checks of a create command that need no state. 422 naming each bad field.
std::optional<error> validate(const create_cmd& c);

result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const origin& o, const sla_policy& sla);
result<std::vector<event_draft>> decide_update(const ticket& t, const update_cmd& c,
                                               const origin& o);
/// The note id is the ticket id, "-N" and the note's ordinal.
result<std::vector<event_draft>> decide_note(const ticket& t, const note_cmd& c, const origin& o);
/// One ticket.sla_breached event when the deadline has passed on an unfinished, unbreached
/// ticket; nothing otherwise.
std::vector<event_draft> decide_sla_check(const ticket& t, const origin& o);

/// Folds one event into the state. Events of other entities or unknown types are ignored
/// (forward compatibility); returns false on data it cannot read.
bool apply(ticket& t, const event& e);

/// The API shape of section 3. `with_notes` adds the notes (GET one, snapshots).
void write_json(json::writer& w, const ticket& t, bool with_notes);
std::string to_json(const ticket& t, bool with_notes);

/// Snapshot codec: the API shape plus internal fields, without the notes (a ticket may hold a
/// thousand: they stay in their events, so a snapshot costs the same however many there are).
/// from_snapshot is the inverse, with the notes left out; `notes_in_events` says whether they
/// are to be read from the events up to the snapshot (snapshots written before 2026-12 held
/// them, and from_snapshot then returns them).
std::string to_snapshot(const ticket& t);
std::optional<ticket> from_snapshot(std::string_view s, bool* notes_in_events = nullptr);
/// The note a ticket.note_added event adds (nullopt for any other event).
std::optional<note> note_of(const event& e);

/// True when `s` looks like an email address (local@domain.tld, no spaces).
bool valid_email(std::string_view s);
/// Adds a problem naming `field` unless `s` has lo..hi characters ("is required" when empty).
void check_length(validation& v, std::string_view field, std::string_view s, std::size_t lo,
                  std::size_t hi);
/// Number of UTF-8 code points.
std::size_t utf8_length(std::string_view s);

} // namespace crm::tickets
