#pragma once
// API keys (CONTRACT section 10): created and revoked through the event log (apikey.created,
// apikey.revoked, carrying only the SHA-256 of the key), held in memory for authentication.
// Thread safe: the io threads authenticate against it without waiting on any actor.
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/messages.hpp"
#include "domain/clock.hpp"
#include "storage/journal.hpp"

namespace crm::actors {

enum class role : std::uint8_t { platform, admin, manager, agent, viewer };
std::optional<role> parse_role(std::string_view s);
const char* to_string(role r);

struct api_key {
  std::string id; // KEY-000001
  std::string company_id;
  role r = role::viewer;
  std::string name;
  std::string rep_id;
  std::string hash; // hex SHA-256 of the key
  millis created_at = 0;
  bool revoked = false;
};

/// The key an apikey.created event made (nullopt for any other event).
std::optional<api_key> key_of(const event& e);

class key_registry {
public:
  key_registry(storage::journal& j, const crm::clock& clk) : journal_(j), clk_(clk) {}

  /// Makes a key; `done` gets the record and the key itself, which exists nowhere else.
  void create(const std::string& company, role r, const std::string& name,
              const std::string& rep_id, const std::string& actor,
              reply<std::pair<api_key, std::string>> done, idempotency_claim_ptr idem = nullptr);
  /// Revokes a key at once. errc::not_found when unknown or already revoked.
  void revoke(const std::string& id, const std::string& actor, reply<api_key> done);

  std::vector<api_key> list(const std::string& company) const;
  std::optional<api_key> authenticate(std::string_view secret) const;

  /// Folds an apikey.* event (recovery).
  void recover(const event& e);

private:
  void insert(api_key k);

  storage::journal& journal_;
  const crm::clock& clk_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, api_key> by_id_;
  std::unordered_map<std::string, std::string> id_by_hash_;
  std::uint64_t next_ = 1;
};

} // namespace crm::actors
