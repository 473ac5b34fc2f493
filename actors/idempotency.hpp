#pragma once
// Idempotency-Key (CONTRACT section 2): the first answer to a POST with a key is kept 24 hours
// per company; the same key with the same request answers it again and changes nothing, with
// another request 409. Records are persisted through the journal (index rows, no event) before
// the first answer leaves. Thread safe.
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/clock.hpp"
#include "storage/journal.hpp"

namespace crm::actors {

class idempotency_store {
public:
  static constexpr millis ttl = 24 * 3'600'000LL;

  idempotency_store(storage::journal& j, const crm::clock& clk) : journal_(j), clk_(clk) {}

  enum class verdict { proceed, replay, mismatch, in_progress };
  struct answer {
    int status = 0;
    std::string body;
  };

  /// Claims `key` for a request whose method, path and body hash to `fingerprint`.
  verdict begin(const std::string& company, const std::string& key,
                const std::string& fingerprint, answer& out);
  /// Keeps the answer (persisted), then calls `after` on the journal thread.
  void complete(const std::string& company, const std::string& key, int status,
                const std::string& body, std::function<void()> after);
  /// Releases a claim whose request did not complete (an error that changed nothing).
  void abandon(const std::string& company, const std::string& key);

  /// Loads the unexpired records (start-up).
  void recover(const storage::store& db);

  /// Forgets records older than the TTL, in memory and on disk. begin() calls it every
  /// prune_every claims; returns how many went.
  std::size_t prune();
  static constexpr std::size_t prune_every = 4096;
  std::size_t size() const;

private:
  struct record {
    std::string fingerprint;
    int status = 0;
    std::string body;
    millis at = 0;
    bool done = false;
  };
  storage::journal& journal_;
  const crm::clock& clk_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, record> map_; // storage::idempotency_key(company, key)
  std::size_t claims_ = 0;
};

} // namespace crm::actors
