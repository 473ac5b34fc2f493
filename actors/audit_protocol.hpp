#pragma once
// Queries served by the audit reader, which scans the log on a thread of its own.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/messages.hpp"

namespace crm::actors {

struct audit_query {
  std::string company;
  std::string entity;
  std::string type;
  std::optional<millis> from, to;
  std::uint64_t after = 0;
  std::size_t limit = 100;
  reply<std::pair<std::vector<event>, std::uint64_t>> done; // events, nextAfter (0: none)
};

/// The events of these entities of the company, oldest first (a shipment's timeline).
struct timeline_query {
  std::string company;
  std::vector<std::string> entities;
  reply<std::vector<event>> done;
};

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::audit_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::timeline_query)
