#pragma once
// The journal writer: the one writer of the event log. Actors submit the events a command
// caused together with the index, timer and snapshot rows that go with them; a dedicated
// thread gathers every submission waiting at that moment (group commit, at most
// max_batch_events events, and at most max_delay of waiting for company), gives each event the
// next global seq and its hash link, and writes them all in one RocksDB WriteBatch. Only then
// is each submission's completion called, on the journal thread, in submission order.
//
// A submission's rows are written atomically with its events. A failed write fails every
// submission of the batch and leaves seq and hash where they were. A submission with an event
// the log could not be read back with (a string that is not UTF-8, data that is not a JSON
// object) is refused with errc::invalid and writes nothing; the others of its batch go on.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/idempotency.hpp"
#include "storage/keys.hpp"

namespace rocksdb {
class WriteBatch;
}

namespace crm::storage {

class store; // storage/store.hpp

struct write_op {
  cf family = cf::meta;
  bool erase = false;
  std::string key;
  std::string value;
  /// Prefix the value with be64(seq of the submission's last event): snapshots.
  bool stamp_last_seq = false;
};

struct submission {
  std::vector<event_draft> events;
  std::vector<write_op> ops;
  /// The Idempotency-Key of the request that caused the events: its record (with the answer
  /// made from the stored events) goes into the same WriteBatch. Ignored without events.
  /// Called once, on the journal thread, with the stored events (seq and hashes set).
  std::function<void(result<std::vector<event>>)> done;
  idempotency_claim_ptr idem = nullptr;
};

struct journal_options {
  bool sync = false;                   // fsync every batch (--durability sync)
  std::size_t max_batch_events = 4096; // bound in size
  std::chrono::microseconds max_delay{0}; // extra wait for company when a batch is small
};

class journal {
public:
  /// Starts the writer thread, continuing the chain after the store's last event.
  journal(store& s, journal_options opts, std::function<void(std::size_t)> on_batch = {});
  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Queues a submission. Thread safe; never waits for the disk. After stop(), fails at once
  /// with errc::unavailable.
  void submit(submission s);

  /// Writes every submission queued so far, then stops the thread. Idempotent.
  void stop();

  /// Blocks until every submission queued before the call is written.
  void flush();

  std::uint64_t last_seq() const;
  std::string last_hash() const;

  /// After each written batch, on the journal thread: the batch's events that `pick` keeps (a
  /// copy), when any. What the notifier derives its messages from; set once at start, cleared
  /// (nulls) at shutdown: the tap holds the notifier, which cannot end while it is held.
  using tap_fn = std::function<void(std::vector<event>)>;
  using pick_fn = std::function<bool(const event_draft&)>;
  void set_tap(pick_fn pick, tap_fn tap);

private:
  void run();
  void write_batch(std::vector<submission>& batch);

  store& store_;
  journal_options opts_;
  std::function<void(std::size_t)> on_batch_;
  struct tap {
    pick_fn pick;
    tap_fn send;
  };
  std::shared_ptr<const tap> tap_; // under mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<submission> queue_;
  std::size_t queued_events_ = 0;
  bool stopping_ = false;
  bool writing_ = false;
  std::uint64_t last_seq_ = 0;
  std::string last_hash_;
  std::string broken_; // the log's end could not be read: every submission fails
  std::thread thread_;
  /// The batch buffer, kept between batches (on the writer thread only): a fresh one grew by
  /// doubling into new memory every batch, a page fault per fresh page (2.5% of a POST lead).
  std::unique_ptr<rocksdb::WriteBatch> wb_;
};

/// Submits and waits for the result. For start-up and tools, never on an io or actor thread.
result<std::vector<event>> submit_and_wait(journal& j, submission s);

} // namespace crm::storage
