#pragma once
// The event envelope of CONTRACT section 9 and its hash chain.
//
// An event_draft is what an actor proposes; the journal writer gives it the next global seq,
// links it to the previous event's hash and stores it. The bytes that are hashed are the
// canonical JSON {"seq","at","companyId","entity","type","actor","data"} in that key order,
// and hash = hex(SHA-256(prevHash || canonical)), prevHash of the first event being 64 zeros.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/clock.hpp"

namespace crm {

struct event_draft {
  std::string company_id;
  std::string entity;
  std::string type;
  std::string actor; // API key id, "platform" or "system"
  millis at = 0;
  std::string data; // a JSON object
};

struct event {
  std::uint64_t seq = 0;
  millis at = 0;
  std::string company_id;
  std::string entity;
  std::string type;
  std::string actor;
  std::string data;
  std::string prev_hash;
  std::string hash;
};

inline const std::string& genesis_hash() {
  static const std::string zeros(64, '0');
  return zeros;
}

/// The canonical JSON of the envelope without the hashes.
std::string canonical_json(std::uint64_t seq, const event_draft& d);

/// hex(SHA-256(prev_hash || canonical)).
std::string chain_hash(std::string_view prev_hash, std::string_view canonical);

/// hex(SHA-256(data)).
std::string sha256_hex(std::string_view data);

/// The stored form: canonical JSON, '\n', prevHash, hash.
std::string encode_stored(std::string_view canonical, std::string_view prev_hash,
                          std::string_view hash);

/// Splits and parses the stored form. nullopt when it is not one.
struct stored_parts {
  std::string_view canonical;
  std::string_view prev_hash;
  std::string_view hash;
};
std::optional<stored_parts> split_stored(std::string_view stored);
std::optional<event> decode_stored(std::string_view stored);

/// The API form of section 9: {seq, at, companyId, entity, type, actor, data, prevHash, hash}.
std::string event_to_json(const event& e);

} // namespace crm
