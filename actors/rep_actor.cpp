#include "actors/rep_actor.hpp"

namespace crm::actors {

caf::behavior rep_actor(caf::stateful_actor<rep_state>* self, env* e, company_handles h, std::string id,
                        std::shared_ptr<const reps::rep> known) {
  auto registry = h.registry;
  if (known)
    self->state.r = *known;
  self->state.r.id = id;
  return {
    [=](write_rep& m) {
      self->state.writes.run([=, m = std::move(m)]() mutable {
        auto& st = self->state;
        auto next = std::make_shared<reps::rep>(st.r);
        for (auto& d : m.drafts)
          reps::apply(*next, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
        st.writes.begin([self, next] { self->state.r = std::move(*next); },
                        [self, done = std::move(m.done)](const error* err) {
                          if (err)
                            done(*err);
                          else
                            done(self->state.r);
                        });
        auto me = caf::actor_cast<caf::actor>(self);
        storage::submission sub{std::move(m.drafts), {}, {}};
        sub.idem = std::move(m.idem);
        sub.done = [me](result<std::vector<event>> r) {
          caf::anon_send(me, persisted{0, std::make_shared<result<std::vector<event>>>(std::move(r))});
        };
        e->journal->submit(std::move(sub));
      });
    },
    [=](persisted& p) {
      auto& st = self->state;
      const error* err = p.outcome->ok() ? nullptr : &p.outcome->err();
      auto done = st.writes.finish(err);
      if (!err && !p.outcome->value().empty())
        st.r.last_seq = p.outcome->value().back().seq;
      auto now = std::make_shared<const reps::rep>(st.r);
      if (!err) // published before the answer: a client's next read sees it
        h.view->write([&](company_data& d) { d.roster.put(*now); });
      self->send(registry, rep_changed{std::move(now), err != nullptr});
      done.after(err);
      st.writes.drain();
      if (st.writes.idle()) {
        if (st.passivating) {
          self->send(registry, entity_stopped{st.r.id});
          return self->quit();
        }
        if (!st.idle_sent) {
          st.idle_sent = true;
          self->send(registry, entity_idle{st.r.id});
        }
      }
    },
    [=](passivate_atom) {
      auto& st = self->state;
      st.passivating = true;
      if (st.writes.idle()) {
        self->send(registry, entity_stopped{st.r.id});
        self->quit();
      }
    },
  };
}

} // namespace crm::actors
