#pragma once
// The RocksDB database with its column families. Owns the DB; not copyable. Reads are thread
// safe; writes go through the journal. Errors are values: rocksdb::Status is turned into
// crm::error here and goes no further.
#include <rocksdb/db.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "storage/keys.hpp"

namespace crm::storage {

enum class open_mode {
  read_write, // the server
  secondary,  // tools beside a live server: follows the primary's log, never writes
  read_only,  // tools on a stopped server's data dir
};

class store {
public:
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  ~store();

  /// Opens (creating when read_write) the database in `dir`. For secondary mode a scratch
  /// directory for the secondary's own files is made under the system temp dir.
  static result<std::unique_ptr<store>> open(const std::string& dir, open_mode mode);

  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* handle(cf c) const { return handles_[static_cast<int>(c)]; }

  /// The value, nullopt when the key is absent; errc::unavailable when it cannot be read.
  result<std::optional<std::string>> get(cf c, std::string_view key) const;

  /// The highest seq in the log and its hash (0 and the genesis hash when empty).
  result<std::pair<std::uint64_t, std::string>> last_event() const;

  /// Visits stored events with seq in [from, to] in order; the visitor gets the seq and the
  /// stored bytes and returns false to stop. true when the scan reached `to` or the end, false
  /// when the visitor stopped it, errc::unavailable when the log could not be read (an I/O
  /// error or a damaged file is never taken for the end of the log).
  result<bool> scan_events(std::uint64_t from, std::uint64_t to,
                           const std::function<bool(std::uint64_t, std::string_view)>& visit) const;

  /// The seqs of one entity's events after `after`, oldest first.
  result<std::vector<std::uint64_t>> entity_seqs(std::string_view entity, std::uint64_t after = 0) const;

  /// Visits one entity's events with seq > after, oldest first; as scan_events (an event that
  /// is listed but cannot be read is an error, never skipped).
  result<bool> entity_events(std::string_view entity, std::uint64_t after,
                             const std::function<void(const event&)>& visit) const;

  /// A company's events with seq > after, in order, up to `limit` that pass `keep`.
  result<std::vector<event>> company_events(std::string_view company, std::uint64_t after,
                                            std::size_t limit,
                                            const std::function<bool(const event&)>& keep) const;

  /// One event; errc::not_found when there is none with that seq, errc::unavailable when it
  /// cannot be read or decoded.
  result<event> event_at(std::uint64_t seq) const;

  /// Visits every key of a column family with the given prefix; as scan_events.
  result<bool> scan(cf c, std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const;

  /// Writes the memtables out to table files (a clean stop calls it once every write is in),
  /// so that the next open reads tables instead of replaying the write-ahead log. Nothing is
  /// lost when it fails: the log still holds it all. errc::unavailable naming the failure.
  result<bool> flush();

  /// Reads every table file whole and checks its checksums and size against the manifest:
  /// errc::unavailable naming the damage (a truncated or corrupted file) otherwise.
  result<bool> verify_files() const;

  /// Secondary mode: catches up with the primary's latest writes.
  result<bool> catch_up();

private:
  store() = default;
  /// Rewrites layout-1 index and timer rows (keys.hpp) into layout 2; how many moved.
  result<std::size_t> upgrade_layout();
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string secondary_dir_;
};

} // namespace crm::storage
