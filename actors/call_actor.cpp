#include "actors/call_actor.hpp"

namespace crm::actors {

storage::timer_key callback_timer(const calls::call_log& c) {
  return storage::timer_key{*c.scheduled_for, c.company_id, c.id, "callback"};
}

std::vector<storage::write_op> call_rows(const calls::call_log& before, const calls::call_log& after,
                                         std::vector<storage::timer_key>& arm) {
  std::vector<storage::write_op> ops;
  bool had = before.awaiting_callback && before.scheduled_for;
  bool has = after.awaiting_callback && after.scheduled_for;
  bool moved = had && has && *before.scheduled_for != *after.scheduled_for;
  if (had && (!has || moved))
    ops.push_back({storage::cf::timers, true, storage::encode_timer(callback_timer(before)), {}, false});
  if (has && (!had || moved)) {
    arm.push_back(callback_timer(after));
    ops.push_back({storage::cf::timers, false, storage::encode_timer(arm.back()), {}, false});
  }
  return ops;
}

namespace {

using self_ptr = caf::stateful_actor<call_state>*;

void apply_drafts(calls::call_log& c, const std::vector<event_draft>& drafts) {
  for (auto& d : drafts)
    if (d.entity == c.id)
      calls::apply(c, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
}

/// Journals the drafts with the call's timer rows; once written, the live state takes them and
/// `after` runs (with the error, and the state untouched, when the write failed).
void commit(self_ptr self, env* e, std::vector<event_draft> drafts, std::function<void(const error*)> after,
            idempotency_claim_ptr idem = nullptr) {
  auto& st = self->state;
  auto next = std::make_shared<calls::call_log>(st.c);
  apply_drafts(*next, drafts);
  std::vector<storage::timer_key> arm;
  auto ops = call_rows(st.c, *next, arm);
  st.writes.begin([self, next] { self->state.c = std::move(*next); }, std::move(after), std::move(arm));
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(drafts), std::move(ops), {}};
  sub.idem = std::move(idem);
  sub.done = [me](result<std::vector<event>> r) {
    caf::anon_send(me, persisted{0, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

void stop(self_ptr self, const caf::actor& registry) {
  self->send(registry, entity_stopped{self->state.c.id});
  self->quit();
}

/// Answers `done` with the state once this write (or the ones before it) is written.
std::function<void(const error*)> answer(self_ptr self, reply<calls::call_log> done) {
  return [self, done = std::move(done)](const error* err) {
    if (err)
      done(*err);
    else
      done(self->state.c);
  };
}

} // namespace

caf::behavior call_actor(caf::stateful_actor<call_state>* self, env* e, company_handles h, std::string id,
                         std::shared_ptr<const calls::call_log> known) {
  auto& st = self->state;
  auto registry = h.registry;
  st.c.id = id;
  if (known) {
    st.c = *known;
    st.exists = true;
  }
  auto origin = [self, e](const std::string& actor) {
    return tickets::origin{self->state.c.company_id, actor, e->clk->wall_now()};
  };
  return {
    [=](get_call& m) {
      self->state.writes.run([self, m = std::move(m)] {
        if (!self->state.exists)
          return m.done(error{errc::not_found, "no call log " + m.id});
        m.done(self->state.c);
      });
    },
    [=](update_call& m) {
      self->state.writes.run([=, m = std::move(m)]() mutable {
        auto& st = self->state;
        if (!st.exists)
          return m.done(error{errc::not_found, "no call log " + m.id});
        auto d = calls::decide_update(st.c, m.cmd, m.who, e->cfg.callbacks);
        if (!d)
          return m.done(d.take_error());
        if (!d->escalate)
          return commit(self, e, std::move(d->events), answer(self, std::move(m.done)), m.who.idem);
        // The last attempt failed: a ticket, linked both ways, written with the call's events
        // by the registry (which creates tickets).
        auto tid = e->new_ticket_id();
        auto next = std::make_shared<calls::call_log>(st.c);
        apply_drafts(*next, d->events);
        auto esc = calls::decide_escalate(*next, tid, m.who);
        apply_drafts(*next, {esc});
        d->events.push_back(std::move(esc));
        std::vector<storage::timer_key> arm;
        auto ops = call_rows(st.c, *next, arm);
        auto ticket = calls::escalation_ticket(*next);
        st.writes.begin([self, next] { self->state.c = std::move(*next); }, answer(self, std::move(m.done)),
                        std::move(arm));
        auto who = m.who;
        who.actor = "system";
        who.idem = nullptr;
        auto me = caf::actor_cast<caf::actor>(self);
        self->send(registry, create_linked_ticket{std::move(ticket), who, tid, std::move(d->events), std::move(ops),
                                                  [me](result<tickets::ticket> t) {
                                                    auto outcome = t ? result<std::vector<event>>(std::vector<event>{})
                                                                     : result<std::vector<event>>(t.err());
                                                    caf::anon_send(me, persisted{0, std::make_shared<result<std::vector<event>>>(
                                                                                      std::move(outcome))});
                                                  }});
      });
    },
    [=](schedule_callback& m) {
      self->state.writes.run([=, m = std::move(m)]() mutable {
        if (!self->state.exists)
          return m.done(error{errc::not_found, "no call log " + m.id});
        auto d = calls::decide_callback(self->state.c, m.at, m.who);
        if (!d)
          return m.done(d.take_error());
        commit(self, e, {std::move(d.value())}, answer(self, std::move(m.done)), m.who.idem);
      });
    },
    [=](assign_call& m) {
      self->state.writes.run([=] {
        auto d = calls::decide_assign(self->state.c, m.rep, origin("system"));
        if (!self->state.exists || !d) {
          self->send(h.dispatcher, call_assign_refused{m.id, m.rep});
          return;
        }
        commit(self, e, {std::move(d.value())}, [self, h, m](const error* err) {
          if (err)
            self->send(h.dispatcher, call_assign_refused{m.id, m.rep});
        });
      });
    },
    [=](unassign_call& m) {
      self->state.writes.run([=] {
        auto drafts = calls::decide_unassign(self->state.c, m.reason, origin("system"));
        if (!drafts.empty())
          commit(self, e, std::move(drafts), [](const error*) {});
      });
    },
    [=](timer_due& m) {
      self->state.writes.run([=] {
        if (m.key.kind != "callback" || !self->state.exists)
          return;
        auto& c = self->state.c;
        if (!c.scheduled_for || *c.scheduled_for != m.key.due)
          return;
        auto drafts = calls::decide_callback_due(c, origin("system"));
        if (!drafts.empty())
          commit(self, e, std::move(drafts), [](const error*) {});
      });
    },
    [=](persisted& p) {
      auto& st = self->state;
      const error* err = p.outcome->ok() ? nullptr : &p.outcome->err();
      auto before = st.c;
      auto done = st.writes.finish(err);
      std::shared_ptr<const calls::call_log> after;
      if (!err) {
        for (auto& k : done.arm)
          self->send(e->timers, arm_timer{std::move(k)});
        if (!p.outcome->value().empty())
          st.c.last_seq = p.outcome->value().back().seq;
        // Published before the answer: a client's next read sees it.
        after = std::make_shared<const calls::call_log>(st.c);
        h.view->write([&](company_data& d) { d.calls.put(*after); });
      }
      done.after(err);
      if (after)
        self->send(h.dispatcher, call_changed{std::move(before), std::move(after)});
      st.writes.drain();
      if (st.writes.idle()) {
        if (st.passivating)
          return stop(self, registry);
        // Nothing in flight: the read model's copy is the whole call now, and the host
        // reactivates the actor from that copy at no cost. Passivate at once, so that thousands of calls that
        // wait on people hold no actors.
        if (!st.idle_sent) {
          st.idle_sent = true;
          self->send(registry, entity_idle{st.c.id});
        }
      }
    },
    [=](passivate_atom) {
      auto& st = self->state;
      st.passivating = true;
      if (st.writes.idle())
        stop(self, registry);
    },
  };
}

} // namespace crm::actors
