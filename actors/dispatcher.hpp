#pragma once
// The dispatcher of one company: keeps the dispatch board (which reps can take work, how much
// each has open, which calls wait) and hands waiting calls to reps by the policy of
// domain/dispatch.hpp the moment a call becomes assignable or a rep can take work.
//
// Its registry is the source of truth: it tells the dispatcher every change that matters
// (dispatch_rep, dispatch_work, dispatch_drop, dispatch_release), and journals each assignment
// the dispatcher proposes (dispatch_assign) or refuses it when the call or the rep changed
// meanwhile, telling the dispatcher so. The board is rebuilt from the registry's state at start.
#include <caf/all.hpp>

#include "actors/protocol.hpp"

namespace crm::actors {

struct dispatcher_state {
  dispatch::board board;
  bool drain_pending = false;
  static inline const char* name = "dispatcher";
};

/// `seed` is the board as recovered (reps, open counts, waiting calls).
caf::behavior dispatcher_actor(caf::stateful_actor<dispatcher_state>* self, caf::actor registry,
                               std::shared_ptr<dispatch::board> seed);

} // namespace crm::actors
