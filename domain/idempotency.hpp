#pragma once
// An Idempotency-Key claim travelling with the command it guards (CONTRACT section 2). The
// journal writes the key's record in the same WriteBatch as the change's events, with the
// answer made from those events: a crash between the change and its record cannot happen, so a
// retry after a crash never repeats a change. (Answers that changed nothing are recorded by
// the edge once answered: there is nothing to repeat.)
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/clock.hpp"
#include "domain/event.hpp"

namespace crm {

struct idempotency_claim {
  std::string row_key;     // where the record lives (the storage layout's key)
  std::string fingerprint; // of method, route, path parameters and body
  millis at = 0;           // when the key was first used
  /// The status and body the request answers, from the events its change wrote (seq and
  /// times set); empty for a route whose answer is not made from its events.
  std::function<std::pair<int, std::string>(const std::vector<event>&)> answer;
};
using idempotency_claim_ptr = std::shared_ptr<const idempotency_claim>;

/// The stored record: {"fingerprint","status","body","at"}.
std::string encode_idempotency_record(std::string_view fingerprint, int status, std::string_view body,
                                      millis at);

} // namespace crm
