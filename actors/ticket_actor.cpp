#include "actors/ticket_actor.hpp"

#include "actors/record_actor.hpp"
#include "domain/dispute.hpp"
#include "domain/time_format.hpp"
#include "storage/store.hpp"

namespace crm::actors {

result<std::optional<tickets::ticket>> load_ticket(const storage::store& db, const std::string& id) {
  tickets::ticket t;
  bool found = false;
  auto snap = db.get(storage::cf::snapshots, id);
  if (!snap)
    return snap.take_error();
  bool notes_in_events = false;
  if (auto& v = snap.value(); v && v->size() > 8) {
    if (auto s = tickets::from_snapshot(std::string_view(*v).substr(8), &notes_in_events)) {
      t = std::move(*s);
      t.last_seq = storage::get_be64(*v);
      found = true;
    }
  }
  // The notes up to the snapshot come from their events; every event after it is applied.
  auto snapshot_seq = t.last_seq;
  auto read = db.entity_events(id, notes_in_events ? 0 : snapshot_seq, [&](const event& ev) {
    if (ev.seq <= snapshot_seq) {
      if (auto n = tickets::note_of(ev))
        t.notes.push_back(std::move(*n));
      return;
    }
    tickets::apply(t, ev);
    found = found || ev.type == "ticket.created";
  });
  if (!read)
    return read.take_error();
  if (!found)
    return std::optional<tickets::ticket>{};
  return std::optional<tickets::ticket>(std::move(t));
}

storage::timer_key sla_timer(const tickets::ticket& t) {
  return storage::timer_key{t.sla_due_at, t.company_id, t.id, "sla"};
}

storage::timer_key dispute_timer(const tickets::ticket& t, millis after) {
  return storage::timer_key{t.created_at + after, t.company_id, t.id, "dispute"};
}

std::vector<event_draft> open_dispute(const tickets::ticket& t, const std::string& id, millis now) {
  tickets::origin o{t.company_id, "system", now};
  std::vector<event_draft> out;
  out.push_back(event_draft{t.company_id, t.id, "ticket.linked", "system", now,
                            json::object([&](json::writer& w) { json::kv(w, "relatedDisputeId", id); })});
  for (auto& d : disputes::decide_automatic(t, id, o))
    out.push_back(std::move(d));
  return out;
}

storage::timer_key escalate_timer(const tickets::ticket& t, millis after) {
  return storage::timer_key{t.created_at + after, t.company_id, t.id, "escalate"};
}

event_draft escalate_ticket(const tickets::ticket& t, const std::string& supervisor, millis after, millis now) {
  return event_draft{t.company_id, t.id, "ticket.escalated", "system", now, json::object([&](json::writer& w) {
                       json::kv_or_null(w, "from", t.assigned_to);
                       if (!supervisor.empty())
                         json::kv(w, "to", supervisor);
                       json::kv(w, "after", format_duration(after));
                     })};
}

std::optional<storage::timer_key> first_age_timer(const tickets::ticket& t, const settings& cfg) {
  const bool esc = cfg.escalate_after > 0, dsp = cfg.dispute_after > 0;
  if (esc && (!dsp || cfg.escalate_after <= cfg.dispute_after))
    return escalate_timer(t, cfg.escalate_after);
  if (dsp)
    return dispute_timer(t, cfg.dispute_after);
  return std::nullopt;
}

std::optional<storage::timer_key> next_age_timer(const tickets::ticket& t, std::string_view fired,
                                                 const settings& cfg) {
  if (fired == "escalate" && cfg.dispute_after > 0 && cfg.dispute_after >= cfg.escalate_after)
    return dispute_timer(t, cfg.dispute_after);
  if (fired == "dispute" && cfg.escalate_after > 0 && cfg.escalate_after > cfg.dispute_after)
    return escalate_timer(t, cfg.escalate_after);
  return std::nullopt;
}

age_firing fire_age(const tickets::ticket& t, const storage::timer_key& key, millis now, const settings& cfg,
                    const std::string& supervisor, const std::function<std::string()>& new_dispute_id) {
  age_firing out;
  out.ops.push_back({storage::cf::timers, true, storage::encode_timer(key), {}, false});
  std::string kind = key.kind;
  bool escalated = false;
  auto escalate = [&] {
    if (!escalated && cfg.escalate_after > 0 && escalatable(t) && t.created_at + cfg.escalate_after <= now) {
      out.events.push_back(escalate_ticket(t, supervisor, cfg.escalate_after, now));
      escalated = true;
    }
  };
  for (;;) {
    if (kind == "escalate")
      escalate();
    if (kind == "dispute") {
      // A ticket whose escalation is due without a row of its own (made before escalations
      // existed, or while --escalate-after was 0) is escalated with its dispute step.
      escalate();
      if (cfg.dispute_after > 0 && disputable(t)) {
        out.dispute_id = new_dispute_id();
        for (auto& d : open_dispute(t, out.dispute_id, now))
          out.events.push_back(std::move(d));
      }
    }
    // A closed ticket is final; a resolved one may be reopened and keeps its later steps.
    auto next = t.st == tickets::status::closed ? std::nullopt : next_age_timer(t, kind, cfg);
    if (!next)
      break;
    if (next->due > now) {
      out.ops.push_back({storage::cf::timers, false, storage::encode_timer(*next), {}, false});
      out.arm = std::move(next);
      break;
    }
    kind = next->kind; // due already (the server was down, or the clock jumped): now, in this batch
  }
  return out;
}

std::vector<storage::write_op> ticket_rows(const tickets::ticket* before,
                                           const tickets::ticket& after, std::size_t n_events,
                                           std::size_t snapshot_every,
                                           std::optional<storage::timer_key>& arm) {
  std::vector<storage::write_op> ops;
  bool had = before && sla_timer_live(*before);
  bool has = sla_timer_live(after);
  if (had && !has)
    ops.push_back({storage::cf::timers, true, storage::encode_timer(sla_timer(*before)), {}, false});
  if (!had && has) {
    arm = sla_timer(after);
    ops.push_back({storage::cf::timers, false, storage::encode_timer(*arm), {}, false});
  }
  if (snapshot_every > 0 && after.version / snapshot_every != (after.version - n_events) / snapshot_every)
    ops.push_back({storage::cf::snapshots, false, after.id, tickets::to_snapshot(after), true});
  return ops;
}

namespace {

using self_ptr = caf::stateful_actor<ticket_state>*;

/// Journals the drafts with their timer and snapshot rows; once written, the live state takes
/// them and `after` runs (with the error, and the state untouched, when the write failed).
void commit(self_ptr self, env* e, std::vector<event_draft> drafts, std::function<void(const error*)> after,
            idempotency_claim_ptr idem = nullptr, std::vector<storage::write_op> extra_ops = {},
            std::vector<storage::timer_key> to_arm = {}) {
  auto& st = self->state;
  auto next = std::make_shared<tickets::ticket>(st.t);
  for (auto& d : drafts)
    tickets::apply(*next, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
  std::optional<storage::timer_key> arm;
  std::size_t n = 0;
  for (auto& d : drafts)
    n += d.entity == next->id ? 1 : 0;
  auto ops = ticket_rows(st.exists ? &st.t : nullptr, *next, n, e->cfg.snapshot_every, arm);
  for (auto& op : extra_ops)
    ops.push_back(std::move(op));
  if (arm)
    to_arm.push_back(*arm);
  st.writes.begin(
    [self, next] {
      self->state.t = std::move(*next);
      self->state.exists = true;
    },
    std::move(after), std::move(to_arm));
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(drafts), std::move(ops), {}};
  sub.idem = std::move(idem);
  sub.done = [me](result<std::vector<event>> r) {
    caf::anon_send(me, persisted{0, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

void stop(self_ptr self, const caf::actor& registry) {
  self->send(registry, entity_stopped{self->state.t.id});
  self->quit();
}

/// Once nothing is in flight: stop when asked to, or ask to be passivated once closed.
void settle(self_ptr self, const caf::actor& registry) {
  auto& st = self->state;
  if (!st.writes.idle())
    return;
  if (st.passivating)
    return stop(self, registry);
  if (st.t.st == tickets::status::closed && !st.idle_sent) {
    st.idle_sent = true;
    self->send(registry, entity_idle{st.t.id});
  }
}

/// The written state for the read model: a copy without the notes (which it does not keep).
tickets::ticket published(tickets::ticket& t) {
  auto notes = std::move(t.notes);
  tickets::ticket copy = t;
  t.notes = std::move(notes);
  return copy;
}

} // namespace

caf::behavior ticket_loader(caf::event_based_actor* self, const storage::store* db) {
  return {
    [=](load_ticket_request& r) {
      auto t = std::make_shared<result<std::optional<tickets::ticket>>>(load_ticket(*db, r.id));
      self->send(r.to, ticket_loaded{std::move(t)});
    },
  };
}

caf::behavior ticket_actor(caf::stateful_actor<ticket_state>* self, env* e, company_handles h, std::string id,
                           std::shared_ptr<const tickets::ticket> known) {
  e->resident_tickets++;
  self->attach_functor([e] { e->resident_tickets--; });
  auto& st = self->state;
  auto registry = h.registry;
  st.t.id = id;
  if (known) {
    st.t = *known;
    st.exists = true;
  } else {
    // Loaded off the scheduler; what comes meanwhile waits as it waits for a write.
    st.writes.begin([] {}, [](const error*) {});
    self->send(e->loader, load_ticket_request{id, caf::actor_cast<caf::actor>(self)});
  }
  auto answer = [self](reply<tickets::ticket> done) {
    return [self, done = std::move(done)](const error* err) {
      if (err)
        done(*err);
      else
        done(self->state.t);
    };
  };
  return {
    [=](get_ticket& m) {
      self->state.writes.run([self, m = std::move(m)] {
        if (!self->state.exists)
          return m.done(error{errc::not_found, "no ticket " + m.id});
        m.done(self->state.t);
      });
    },
    [=](update_ticket& m) {
      self->state.writes.run([=, m = std::move(m)]() mutable {
        auto drafts = tickets::decide_update(self->state.t, m.cmd, m.who);
        if (!drafts)
          return m.done(drafts.take_error());
        if (drafts->empty())
          return m.done(self->state.t);
        commit(self, e, std::move(drafts.value()), answer(std::move(m.done)), m.who.idem);
      });
    },
    [=](add_note& m) {
      self->state.writes.run([=, m = std::move(m)]() mutable {
        auto drafts = tickets::decide_note(self->state.t, m.cmd, m.who);
        if (!drafts)
          return m.done(drafts.take_error());
        auto index = self->state.t.notes.size();
        commit(self, e, std::move(drafts.value()),
               [self, index, done = std::move(m.done)](const error* err) {
                 if (err)
                   done(*err);
                 else
                   done(self->state.t.notes.at(index));
               },
               m.who.idem);
      });
    },
    [=](link_ticket& m) {
      self->state.writes.run([=, m = std::move(m)]() mutable {
        auto& st = self->state;
        if (!st.exists) {
          error err{errc::invalid, "no support ticket " + m.id, {{m.body_field, "names no support ticket of the company"}}};
          return m.written(&err);
        }
        std::vector<event_draft> drafts;
        auto& first = m.extra.front();
        drafts.push_back(event_draft{st.t.company_id, st.t.id, "ticket.linked", first.actor, first.at,
                                     json::object([&](json::writer& w) { json::kv(w, m.field, m.value); })});
        for (auto& d : m.extra)
          drafts.push_back(std::move(d));
        commit(self, e, std::move(drafts), std::move(m.written), std::move(m.idem));
      });
    },
    [=](timer_due& m) {
      self->state.writes.run([=] {
        auto& st = self->state;
        if ((m.key.kind == "dispute" || m.key.kind == "escalate") && st.exists) {
          // Once: the row goes in the same write as what it does (age_firing).
          auto supervisor = h.view->read([&](const company_data& d) {
            auto* r = st.t.assigned_to.empty() ? nullptr : d.roster.find(st.t.assigned_to);
            auto* boss = r && !r->reporting_to.empty() ? d.roster.find(r->reporting_to) : nullptr;
            return boss && boss->st == reps::status::active ? boss->id : std::string(); // an inactive one is none
          });
          auto f = fire_age(st.t, m.key, e->clk->wall_now(), e->cfg, supervisor, [e] { return e->new_dispute_id(); });
          std::shared_ptr<disputes::dispute> opened;
          if (!f.dispute_id.empty()) {
            std::vector<event_draft> mine;
            for (auto& d : f.events)
              if (d.entity == f.dispute_id)
                mine.push_back(d);
            opened = std::make_shared<disputes::dispute>(fold_drafts<disputes::dispute>(mine, f.dispute_id));
          }
          std::vector<storage::timer_key> arm;
          if (f.arm)
            arm.push_back(std::move(*f.arm));
          return commit(self, e, std::move(f.events), [h, opened](const error* err) {
            if (!err && opened)
              h.view->write([&](company_data& d) { record_traits<disputes::dispute>::publish(d, *opened); });
          }, nullptr, std::move(f.ops), std::move(arm));
        }
        if (m.key.kind != "sla" || !self->state.exists)
          return;
        tickets::origin o{self->state.t.company_id, "system", e->clk->wall_now()};
        auto drafts = tickets::decide_sla_check(self->state.t, o);
        if (!drafts.empty())
          commit(self, e, std::move(drafts), [](const error*) {});
      });
    },
    [=](ticket_loaded& l) {
      auto& st = self->state;
      if (!l.t->ok()) // unreadable: stop; what waited is dropped (answered 503), the next message loads again
        return stop(self, registry);
      if (auto& t = l.t->value()) {
        st.t = std::move(*t);
        st.exists = true;
      }
      st.writes.finish(nullptr);
      st.writes.drain();
      settle(self, registry);
    },
    [=](persisted& p) {
      auto& st = self->state;
      const error* err = p.outcome->ok() ? nullptr : &p.outcome->err();
      auto done = st.writes.finish(err);
      std::optional<ticket_changed> changed;
      if (!err) {
        for (auto& k : done.arm)
          self->send(e->timers, arm_timer{std::move(k)});
        if (!p.outcome->value().empty())
          st.t.last_seq = p.outcome->value().back().seq;
        // Published before the answer: a client's next read sees it.
        auto copy = published(st.t);
        changed = h.view->write([&](company_data& d) {
          auto before = d.tickets.find(copy.id);
          d.tickets.put(std::move(copy));
          return ticket_changed{std::move(before), d.tickets.find(st.t.id)};
        });
      }
      done.after(err);
      // The dispatcher cares for who has it and whether it is done (not for notes, priority...).
      if (changed && (!changed->before || changed->before->assigned_to != changed->after->assigned_to
                      || changed->before->st != changed->after->st))
        self->send(h.dispatcher, std::move(*changed));
      st.writes.drain();
      settle(self, registry);
    },
    [=](passivate_atom) {
      auto& st = self->state;
      st.passivating = true;
      settle(self, registry);
    },
  };
}

} // namespace crm::actors
