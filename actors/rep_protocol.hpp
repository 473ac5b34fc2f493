#pragma once
// Messages about sales reps: HTTP -> registry (which checks the rules that span reps) -> rep
// actor (which writes), and the performance keeper's query.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "domain/idempotency.hpp"
#include "domain/rep.hpp"
#include "domain/ticket.hpp"
#include "storage/crypto.hpp"

namespace crm::actors {

struct create_rep {
  reps::create_cmd cmd;
  tickets::origin who;
  reply<reps::rep> done;
};

/// A rep as answered: `revealed` holds the opened bank plaintext when it was asked for.
struct rep_view {
  reps::rep r;
  std::optional<std::string> revealed;
};

/// A rep as answered, its bank details opened when `reveal` (and it has some); errc::unavailable
/// when they cannot be opened with the configured keys.
result<rep_view> answer_rep(reps::rep r, bool reveal, const storage::field_cipher& cipher);

/// Reads through the registry (tests; HTTP reads the read model).
struct get_rep {
  std::string id;
  bool reveal = false;
  reply<rep_view> done;
};

struct update_rep {
  std::string id;
  reps::update_cmd cmd;
  tickets::origin who;
  reply<reps::rep> done;
};

struct delete_rep {
  std::string id;
  tickets::origin who;
  reply<reps::rep> done;
};

/// -> performance keeper: one rep's performance, from the company's events.
struct performance_query {
  std::string company;
  std::string rep_id;
  std::optional<millis> from, to;
  reply<reps::performance> done;
};

/// Registry -> rep actor: events the registry decided for this rep (it checks the rules that
/// span reps); the rep's actor applies and writes them.
struct write_rep {
  std::string id;
  std::vector<event_draft> drafts;
  reply<reps::rep> done;
  idempotency_claim_ptr idem = nullptr;
};

/// Rep actor -> registry, after each write: the rep as written (`failed`: the write failed and
/// the rep is as it was).
struct rep_changed {
  std::shared_ptr<const reps::rep> r;
  bool failed = false;
};

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::create_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::get_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::update_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::delete_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::performance_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::write_rep)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::rep_changed)
