#pragma once
// Walks the whole hash chain of the event log (CONTRACT section 9) and says where it breaks:
// a missing seq (removed event), an event whose own seq differs from its key (moved or
// reordered), a prevHash that does not link to the event before, or a hash that does not
// match the event's bytes (altered).
#include <functional>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace crm::storage {

struct chain_break {
  std::uint64_t seq = 0;
  std::string reason;
};

struct chain_report {
  std::uint64_t events = 0;
  std::string last_hash;
  std::vector<chain_break> breaks; // in seq order
  bool ok() const { return breaks.empty(); }
};

/// `progress` (optional) gets the number of events read so far.
chain_report verify_chain(const store& db,
                          const std::function<void(std::uint64_t)>& progress = {});

} // namespace crm::storage
