#pragma once
// The notifier (CONTRACT section 11): derives messages from the event log, keeps them in a
// persisted outbox, and delivers them through the courier (outbound/courier.hpp: libcurl on a
// thread of its own), retrying with a doubling delay.
//
// Never lost, never made twice: the journal hands the notifier every written event that a rule
// may care for (journal::set_tap); the notifier writes the messages an event makes
// (notification.queued) together with a cursor, the seq of the last event it has turned into
// messages (meta "notify_cursor"), in one WriteBatch. At start it reads the log after the cursor
// before taking what the tap hands it, skipping what it has seen. A message is sent once its
// notification.queued is written; every try is an event (notification.attempted); a pending
// message is tried again when its next try is due, also after a restart (its due time is in the
// log): a receiver may see a message twice across a crash, never zero times, and the delivery id
// (X-CRM-Delivery, the notification's id) is the same on every try.
//
// A detached actor: it reads the store at start, and it is no hot path.
#include <caf/all.hpp>

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/env.hpp"
#include "actors/messages.hpp"
#include "actors/notify_rules.hpp"
#include "domain/daily_schedule.hpp"
#include "domain/notification.hpp"
#include "domain/outbox_index.hpp"
#include "domain/templates.hpp"

namespace crm::actors {

// The rules (which messages an event makes, the daily summary) are in notify_rules.hpp.

// -- messages ------------------------------------------------------------------------------

/// Journal tap -> notifier: written events a rule may care for, in seq order.
struct notify_events {
  std::vector<event> events;
};
/// Courier -> notifier: one try's outcome.
struct delivered {
  std::string id;
  bool ok = false;
  std::string error;
};
/// HTTP -> notifier.
struct list_notifications {
  std::string company;
  notifications::list_query q;
  reply<notifications::list_page> done;
};
struct retry_notification {
  std::string company;
  std::string id;
  tickets::origin who;
  reply<notifications::notification> done;
};
/// GET /notifications/templates: the company's templates (its own over the defaults).
struct get_templates {
  std::string company;
  reply<notifications::template_set> done;
};
/// PUT /notifications/templates/:event/:channel, validated by the caller
/// (notifications::validate_template): written, then answered with the company's templates.
struct put_template {
  std::string company;
  const notifications::template_row* row = nullptr;
  notifications::template_text text;
  tickets::origin who;
  reply<notifications::template_set> done;
};
/// POST /notifications/summary: the company's daily summary now; answered with the ids queued.
struct summary_now {
  std::string company;
  tickets::origin who;
  reply<std::vector<std::string>> done;
};
using catch_up_atom = caf::atom_constant<caf::atom("catchup")>;
using rules_again_atom = caf::atom_constant<caf::atom("rulesagn")>;
/// Tests: answered (true) once the events handed so far are turned into written messages.
using flush_atom = caf::atom_constant<caf::atom("flush")>;

struct notifier_state {
  std::unordered_map<std::string, notifications::outbox_index> outboxes; // by company
  std::unordered_map<std::string, std::string> company_of;              // notification -> company
  std::unordered_map<std::string, notifications::template_set> templates; // by company; absent: defaults
  millis next_summary = 0;          // when the next daily summary is due (0: not scheduled yet)
  /// Tries handed to the courier whose outcome is not written yet, counted by channel: each
  /// channel has places of its own, so a receiver that never answers holds up only its own.
  struct flights {
    std::unordered_map<std::string, notifications::channel> ids;
    std::array<std::size_t, 4> per{};
    bool has(const std::string& id) const { return ids.count(id) != 0; }
    bool add(const std::string& id, notifications::channel c) {
      if (!ids.emplace(id, c).second)
        return false;
      per[static_cast<int>(c)]++;
      return true;
    }
    void remove(const std::string& id) {
      auto it = ids.find(id);
      if (it == ids.end())
        return;
      per[static_cast<int>(it->second)]--;
      ids.erase(it);
    }
    std::size_t of(notifications::channel c) const { return per[static_cast<int>(c)]; }
    std::size_t size() const { return ids.size(); }
  } in_flight;
  std::size_t turn = 0;             // the company whose due messages go first (round robin)
  std::vector<event> deferred;      // events waiting for the read model (messages_for: nullopt)
  std::size_t waits = 0;            // how often the first of them waited
  std::vector<caf::response_promise> flushes; // tests: answered once nothing is pending
  std::uint64_t processed = 0;      // the last seq turned into messages (or found to make none)
  std::uint64_t cursor_written = 0; // the last cursor written
  bool caught_up = false;
  std::vector<std::vector<event>> stash; // tapped before the catch-up
  std::unordered_map<std::uint64_t, std::function<void(const result<std::vector<event>>&)>> writes;
  std::uint64_t tokens = 0;
  static inline const char* name = "notifier";
};

/// What recovery hands the notifier: the outbox and the companies' templates as the log has
/// them, the stored cursor, and the slot of the last daily summary (nullopt: none yet).
struct notifier_start {
  std::vector<notifications::notification> outbox;
  std::unordered_map<std::string, notifications::template_set> templates;
  std::uint64_t cursor = 0;
  std::optional<millis> last_summary;
};

caf::behavior notifier_actor(caf::stateful_actor<notifier_state>* self, env* e,
                             std::shared_ptr<notifier_start> start);

/// The meta row of the cursor.
inline const char* notify_cursor_key = "notify_cursor";
/// The meta row of the last daily summary's slot (big-endian millis), written with its messages.
inline const char* summary_slot_key = "summary_slot";

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::notify_events)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::delivered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::list_notifications)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::retry_notification)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::get_templates)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::put_template)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::summary_now)
