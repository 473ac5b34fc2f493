#pragma once
// What every actor shares: the store, the journal, the clock, settings, and the directory of
// company registries. Owned by the runtime; outlives every actor.
#include <caf/all.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/call.hpp"
#include "domain/clock.hpp"
#include "domain/ticket.hpp"
#include "storage/crypto.hpp"
#include "storage/journal.hpp"
#include "storage/store.hpp"

namespace crm::actors {

struct settings {
  tickets::sla_policy sla;
  std::size_t snapshot_every = 50;     // a ticket snapshot every N of its events
  millis passivate_after = 60'000;     // idle time before a ticket actor is passivated
  millis timer_tick = 200;             // timer resolution; 0: only explicit ticks (tests)
  millis sweep_every = 5'000;          // passivation sweep; 0: only explicit sweeps (tests)
  std::int64_t default_commission = 0; // paise per resolved ticket, for new reps
  calls::callback_policy callbacks;
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
  const storage::field_cipher* cipher = nullptr;
  std::atomic<std::uint64_t> next_ticket{1};
  std::atomic<std::uint64_t> next_rep{1};
  std::atomic<std::uint64_t> next_call{1};
  std::atomic<std::int64_t> resident_tickets{0};

  std::string new_ticket_id() { return format_id("TKT", next_ticket++); }
  std::string new_rep_id() { return format_id("REP", next_rep++); }
  std::string new_call_id() { return format_id("CALL", next_call++); }
  static std::string format_id(const char* prefix, std::uint64_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s-%06llu", prefix, static_cast<unsigned long long>(n));
    return buf;
  }
};

/// Company id -> its registry actor, spawned on first use. Thread safe.
class directory {
public:
  using factory = std::function<caf::actor(const std::string& company)>;
  explicit directory(factory f) : make_(std::move(f)) {}

  caf::actor get(const std::string& company) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(company);
    if (it != map_.end())
      return it->second;
    auto a = make_(company);
    map_.emplace(company, a);
    return a;
  }

  /// The registry of a company that has one; nullopt for a company never written to.
  std::optional<caf::actor> find(const std::string& company) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(company);
    if (it == map_.end())
      return std::nullopt;
    return it->second;
  }

  /// Installs a registry built elsewhere (recovery).
  void adopt(const std::string& company, caf::actor a) {
    std::lock_guard<std::mutex> lock(mu_);
    map_[company] = std::move(a);
  }

  std::size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.size();
  }

  std::vector<caf::actor> all() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<caf::actor> out;
    for (auto& [k, v] : map_)
      out.push_back(v);
    return out;
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    map_.clear();
  }

private:
  std::mutex mu_;
  factory make_;
  std::unordered_map<std::string, caf::actor> map_;
};

} // namespace crm::actors
