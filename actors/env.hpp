#pragma once
// What every actor shares: the store, the journal, the clock, settings, and the directory of
// company registries. Owned by the runtime; outlives every actor.
#include <caf/all.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "actors/company_view.hpp"
#include "domain/call.hpp"
#include "domain/clock.hpp"
#include "domain/daily_schedule.hpp"
#include "domain/notification.hpp"
#include "domain/ticket.hpp"
#include "storage/crypto.hpp"
#include "storage/journal.hpp"

namespace crm::storage {
class store; // storage/store.hpp, where it is read: RocksDB's headers stay out of http/
}
namespace crm::outbound {
class courier; // outbound/courier.hpp: libcurl stays out of the other files
}

namespace crm::actors {

struct settings {
  tickets::sla_policy sla;
  std::size_t snapshot_every = 50;     // a ticket snapshot every N of its events
  millis passivate_after = 60'000;     // idle time before a ticket actor is passivated
  millis timer_tick = 200;             // timer resolution; 0: only explicit ticks (tests)
  millis sweep_every = 5'000;          // passivation sweep; 0: only explicit sweeps (tests)
  std::int64_t default_commission = 0; // paise per resolved ticket, for new reps
  calls::callback_policy callbacks;
  millis escalate_after = 24 * 3'600'000LL;      // a ticket unresolved this long is escalated; 0: never
  millis dispute_after = 48 * 3'600'000LL;       // a ticket unresolved this long gets a dispute; 0: never
  millis dispute_stall_after = 48 * 3'600'000LL; // a dispute in investigation this long is stalled
  std::int64_t refund_limit_paise = 500'000;     // refunds above need a manager or admin key
};

/// The notification channels (each off until configured) and the retry policy (notifier.hpp).
struct notify_config {
  std::string smtp_url, smtp_from, smtp_user, smtp_password;
  std::string whatsapp_url, whatsapp_token;
  std::string sms_url, sms_token;
  std::string webhook_url, webhook_secret;
  notifications::policy policy;
  /// --summary-at in --timezone: when the daily summary goes (nullopt: never, as in tests
  /// that do not ask for it).
  std::optional<daily_schedule> summary;
  bool on(notifications::channel c) const;
};

class directory;

struct env {
  storage::store* db = nullptr;
  storage::journal* journal = nullptr;
  const crm::clock* clk = nullptr;
  settings cfg;
  directory* dir = nullptr;
  caf::actor timers;
  caf::actor audit;       // reads that scan the log (audit queries, the timeline)
  caf::actor performance; // reps' performance, kept incrementally
  caf::actor loader;      // reads tickets with notes for their actors, off the scheduler
  const storage::field_cipher* cipher = nullptr;
  notify_config notify;
  caf::actor notifier;                  // the outbox (notifier.hpp)
  outbound::courier* courier = nullptr; // outbound HTTP and SMTP, on a thread of its own
  std::atomic<std::uint64_t> next_ticket{1};
  std::atomic<std::uint64_t> next_rep{1};
  std::atomic<std::uint64_t> next_call{1};
  std::atomic<std::uint64_t> next_lead{1};
  std::atomic<std::uint64_t> next_dispute{1};
  std::atomic<std::uint64_t> next_notification{1};
  std::atomic<std::int64_t> resident_tickets{0};

  std::string new_ticket_id() { return format_id("TKT", next_ticket++); }
  std::string new_rep_id() { return format_id("REP", next_rep++); }
  std::string new_call_id() { return format_id("CALL", next_call++); }
  std::string new_lead_id() { return format_id("LEAD", next_lead++); }
  std::string new_dispute_id() { return format_id("DSP", next_dispute++); }
  std::string new_notification_id() { return format_id("NTF", next_notification++); }
  static std::string format_id(const char* prefix, std::uint64_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s-%06llu", prefix, static_cast<unsigned long long>(n));
    return buf;
  }
};

/// Company id -> its registry actor and its read model, made on first use. Thread safe: the
/// io threads look up read models here on every read.
class directory {
public:
  struct entry {
    caf::actor registry;
    std::shared_ptr<company_view> view;
  };
  using factory = std::function<entry(const std::string& company)>;
  explicit directory(factory f) : make_(std::move(f)) {}

  entry get(const std::string& company) {
    if (auto e = find(company))
      return *e;
    std::unique_lock lock(mu_);
    auto it = map_.find(company);
    if (it != map_.end())
      return it->second;
    auto e = make_(company);
    map_.emplace(company, e);
    return e;
  }

  /// The entry of a company that has one; nullopt for a company never written to.
  std::optional<entry> find(const std::string& company) const {
    std::shared_lock lock(mu_);
    auto it = map_.find(company);
    if (it == map_.end())
      return std::nullopt;
    return it->second;
  }

  /// The read model of a company that has one, else null: what every read looks up, without
  /// copying the entry (its actor handle's count is shared by every thread).
  std::shared_ptr<company_view> find_view(const std::string& company) const {
    std::shared_lock lock(mu_);
    auto it = map_.find(company);
    return it == map_.end() ? nullptr : it->second.view;
  }

  /// Installs a registry built elsewhere (recovery).
  void adopt(const std::string& company, entry e) {
    std::unique_lock lock(mu_);
    map_[company] = std::move(e);
  }

  std::size_t size() const {
    std::shared_lock lock(mu_);
    return map_.size();
  }

  /// Every company's id and read model (the daily summary).
  std::vector<std::pair<std::string, std::shared_ptr<company_view>>> views() const {
    std::shared_lock lock(mu_);
    std::vector<std::pair<std::string, std::shared_ptr<company_view>>> out;
    for (auto& [k, v] : map_)
      out.emplace_back(k, v.view);
    return out;
  }

  std::vector<caf::actor> all() const {
    std::shared_lock lock(mu_);
    std::vector<caf::actor> out;
    for (auto& [k, v] : map_)
      out.push_back(v.registry);
    return out;
  }

  void clear() {
    std::unique_lock lock(mu_);
    map_.clear();
  }

private:
  mutable std::shared_mutex mu_;
  factory make_;
  std::unordered_map<std::string, entry> map_;
};

} // namespace crm::actors
