#pragma once
// Idempotency-Key (CONTRACT section 2): the first answer to a POST with a key is kept 24 hours
// per company; the same key with the same request answers it again and changes nothing, with
// another request 409. Records are persisted through the journal (index rows, no event) before
// the first answer leaves. Thread safe.
//
// Bounds: a record keeps at most max_body bytes of answer (error answers are short by
// construction, see http::max_error_details; a longer success answer is kept as its status
// alone and replays with an empty body), and a company holds at most max_per_company records
// (begin() says `full` past it, until some expire).
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

  static constexpr std::size_t max_body = 64 << 10;
  static constexpr std::size_t max_per_company = 100'000;

  enum class verdict { proceed, replay, mismatch, in_progress, full };
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

  /// Loads the unexpired records (start-up); errc::unavailable when they cannot be read.
  result<bool> recover(const storage::store& db);

  /// Forgets records older than the TTL, in memory and on disk. begin() calls it every
  /// prune_every claims; returns how many went.
  std::size_t prune();
  static constexpr std::size_t prune_every = 4096;
  std::size_t size() const;

private:
  void forget(const std::string& company); // one record of `company` fewer; mu_ held
  struct record {
    std::string company;
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
  std::unordered_map<std::string, std::size_t> per_company_;
  std::size_t claims_ = 0;
};

} // namespace crm::actors
