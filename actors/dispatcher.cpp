#include "actors/dispatcher.hpp"

namespace crm::actors {

namespace {

void drain(caf::stateful_actor<dispatcher_state>* self, const caf::actor& registry) {
  auto batch = self->state.board.drain();
  if (!batch.empty())
    self->send(registry, dispatch_assign{std::move(batch)});
}

/// Drains once the messages already in the mailbox are handled: under load one drain (and one
/// write of the registry) covers many changes; when idle it follows at once.
void drain_soon(caf::stateful_actor<dispatcher_state>* self) {
  if (self->state.drain_pending)
    return;
  self->state.drain_pending = true;
  self->send(self, drain_atom::value);
}

} // namespace

caf::behavior dispatcher_actor(caf::stateful_actor<dispatcher_state>* self, caf::actor registry,
                               std::shared_ptr<dispatch::board> seed) {
  if (seed)
    self->state.board = std::move(*seed);
  drain(self, registry);
  return {
    [=](dispatch_rep& r) {
      self->state.board.put_rep(r.id, r.territory, r.eligible, r.capacity, r.skills);
      drain_soon(self);
    },
    [=](dispatch_work& w) {
      self->state.board.enqueue(w.id, w.territory);
      drain_soon(self);
    },
    [=](dispatch_skilled& w) {
      self->state.board.enqueue_skilled(w.id, w.skill);
      drain_soon(self);
    },
    [=](dispatch_place& p) {
      // Queued behind the calls that already wait (oldest first), then drained at once.
      auto& b = self->state.board;
      b.enqueue(p.id, p.territory);
      auto batch = b.drain();
      std::string rep;
      for (auto it = batch.begin(); it != batch.end(); ++it)
        if (it->work == p.id) {
          rep = std::move(it->rep);
          batch.erase(it);
          break;
        }
      if (rep.empty())
        b.drop(p.id); // keeps its place should the registry queue it once written
      if (!batch.empty())
        self->send(registry, dispatch_assign{std::move(batch)});
      self->send(registry, dispatch_placed{std::move(p.id), std::move(rep)});
    },
    [=](dispatch_drop& d) { self->state.board.drop(d.id); },
    [=](dispatch_take& t) { self->state.board.take(t.rep); },
    [=](dispatch_release& r) {
      self->state.board.release(r.rep);
      drain_soon(self);
    },
    [=](drain_atom) {
      self->state.drain_pending = false;
      drain(self, registry);
    },
    [=](queued_atom) -> std::size_t { return self->state.board.queued(); },
  };
}

} // namespace crm::actors
