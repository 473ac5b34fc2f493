#pragma once
// The actor runtime: opens the store, starts the journal, recovers (rebuilds every company's
// index from the log, fires the timers that came due while the server was down, arms the
// rest), and spawns the registries, the timer service and the audit reader. What app/ wires
// and the HTTP layer talks to.
#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>

#include "actors/env.hpp"
#include "actors/idempotency.hpp"
#include "actors/key_registry.hpp"
#include "actors/audit_protocol.hpp"
#include "actors/call_protocol.hpp"
#include "actors/company_view.hpp"
#include "actors/dispatch_protocol.hpp"
#include "actors/rep_protocol.hpp"
#include "actors/ticket_protocol.hpp"
#include "domain/histogram.hpp"

namespace crm::actors {

struct runtime_options {
  std::string data_dir = "./crm-data";
  bool sync = false;                      // --durability sync
  settings cfg;
  std::size_t actor_threads = 2;
  std::chrono::microseconds journal_delay{0};
  std::size_t journal_max_batch = 4096;
  std::string master_key;          // 64 hex characters (CRM_MASTER_KEY or DIR/master.key)
  std::string master_key_previous; // CRM_MASTER_KEY_PREVIOUS, may be empty
  notify_config notify;            // the notification channels (CONTRACT section 11)
};

struct recovery_stats {
  std::uint64_t events = 0;
  std::size_t tickets = 0;
  std::size_t reps = 0;
  std::size_t calls = 0;
  std::size_t leads = 0;
  std::size_t disputes = 0;
  std::size_t notifications = 0;
  std::size_t companies = 0;
  std::size_t timers_fired = 0;
  std::size_t timers_armed = 0;
  millis took_ms = 0;
};

class runtime {
public:
  using batch_histogram = histogram<8>;

  /// Opens and recovers. Blocks until recovery is done (call before serving).
  static result<std::unique_ptr<runtime>> start(runtime_options opts, const crm::clock& clk,
                                                std::shared_ptr<spdlog::logger> log);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// The registry of a company (spawned on first use), for writes and the reads that need an
  /// entity's actor.
  caf::actor company(const std::string& id) { return dir_->get(id).registry; }
  /// The read model of a company, read on the caller's thread; for a company that has none
  /// (never written to) one shared empty model, so that reads naming any number of unknown
  /// companies cost nothing.
  std::shared_ptr<const company_view> view(const std::string& id) const {
    if (auto v = dir_->find_view(id))
      return v;
    return no_company_;
  }
  caf::actor audit() const { return audit_; }
  /// Companies with a registry actor (for /metrics).
  std::size_t companies() const { return dir_->size(); }
  caf::actor timers() const { return env_.timers; }
  caf::actor performance() const { return performance_; }
  caf::actor notifier() const { return env_.notifier; }
  key_registry& keys() { return *keys_; }
  idempotency_store& idempotency() { return *idem_; }
  caf::actor_system& system() { return *system_; }
  storage::store& store() { return *store_; }
  storage::journal& journal() { return *journal_; }
  env& environment() { return env_; }

  std::uint64_t last_seq() const { return journal_->last_seq(); }
  std::int64_t resident_tickets() const { return env_.resident_tickets.load(); }
  const batch_histogram& batch_sizes() const { return batches_; }
  const recovery_stats& recovery() const { return stats_; }

  /// Drains the journal, then stops every actor and waits for them. Idempotent.
  void shutdown();

private:
  explicit runtime(const crm::clock& clk); // in runtime.cpp, where storage::store is complete
  result<bool> recover();

  const crm::clock& clk_;
  std::shared_ptr<spdlog::logger> log_;
  runtime_options opts_;
  std::unique_ptr<storage::store> store_;
  std::unique_ptr<storage::journal> journal_;
  std::unique_ptr<storage::field_cipher> cipher_;
  std::unique_ptr<outbound::courier> courier_;
  std::unique_ptr<caf::actor_system_config> caf_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<directory> dir_;
  std::unique_ptr<key_registry> keys_;
  std::unique_ptr<idempotency_store> idem_;
  env env_;
  caf::actor audit_;
  std::shared_ptr<const company_view> no_company_ = std::make_shared<company_view>(); // reads of companies without data
  caf::actor loader_;
  caf::actor performance_; // reps' performance ledgers
  batch_histogram batches_{{1, 2, 4, 16, 64, 256, 1024, 4096}};
  recovery_stats stats_;
  bool stopped_ = false;
};

} // namespace crm::actors
