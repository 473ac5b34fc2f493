#include "actors/company_actor.hpp"

#include "actors/ticket_actor.hpp"

namespace crm::actors {

namespace {

using self_ptr = caf::stateful_actor<company_state>*;
using deliver_fn = std::function<void(const caf::actor&)>;

caf::actor spawn_ticket(self_ptr self, env* e, const std::string& id) {
  auto me = caf::actor_cast<caf::actor>(self);
  return self->system().spawn(ticket_actor, e, me, id);
}

/// Sends to the ticket's one live actor, loading it if it is passivated.
void route(self_ptr self, env* e, const std::string& id, deliver_fn deliver) {
  auto& st = self->state;
  auto it = st.live.find(id);
  if (it == st.live.end()) {
    auto a = spawn_ticket(self, e, id);
    it = st.live.emplace(id, company_state::resident{a, 0, false, {}}).first;
  }
  auto& r = it->second;
  if (r.stopping || !r.handle) {
    r.buffer.push_back(std::move(deliver));
    return;
  }
  r.touched = e->clk->steady_now();
  deliver(r.handle);
}

bool known(self_ptr self, const std::string& id) {
  return self->state.index.contains(id) || self->state.live.count(id) != 0;
}

void passivate(self_ptr self, const std::string& id) {
  auto it = self->state.live.find(id);
  if (it == self->state.live.end() || it->second.stopping || !it->second.handle)
    return;
  it->second.stopping = true;
  self->send(it->second.handle, passivate_atom::value);
}

template <class Msg>
void forward(self_ptr self, env* e, Msg& m) {
  if (!known(self, m.id))
    return m.done(error{errc::not_found, "no ticket " + m.id});
  auto id = m.id; // copied first: the lambda below takes m
  route(self, e, id, [self, m = std::move(m)](const caf::actor& a) { self->send(a, m); });
}

/// Journals a new ticket's events; the ticket joins the index (and is answered) once written.
void start(self_ptr self, env* e, const tickets::create_cmd& cmd, const tickets::origin& who,
           std::vector<event_draft> extra, const std::string& id, reply<tickets::ticket> done) {
  auto drafts = tickets::decide_create(cmd, id, who, e->cfg.sla);
  if (!drafts)
    return done(drafts.take_error());
  company_state::creation c;
  for (auto& d : drafts.value())
    tickets::apply(c.t, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
  auto ops = ticket_rows(nullptr, c.t, drafts->size(), e->cfg.snapshot_every, c.arm);
  auto events = std::move(drafts.value());
  for (auto& x : extra)
    events.push_back(std::move(x));
  c.done = std::move(done);
  auto& st = self->state;
  st.creating.emplace(id, std::move(c));
  st.live.emplace(id, company_state::resident{nullptr, e->clk->steady_now(), false, {}});
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(events), std::move(ops), {}};
  sub.done = [me, id](result<std::vector<event>> r) {
    caf::anon_send(me, ticket_persisted{id, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

/// A rep as the log has it (recovery of the roster after a failed write).
std::optional<reps::rep> load_rep(const storage::store& db, const std::string& id) {
  reps::rep r;
  bool found = false;
  for (auto seq : db.entity_seqs(id)) {
    if (auto ev = db.event_at(seq)) {
      reps::apply(r, *ev);
      found = found || ev->type == "rep.created";
    }
  }
  if (!found)
    return std::nullopt;
  return r;
}

/// Applies a rep's events to the roster at once (so the next command sees them: emails stay
/// unique, the hierarchy acyclic), journals them, and answers once written.
void commit_rep(self_ptr self, env* e, const std::string& id, std::vector<event_draft> drafts,
                reply<reps::rep> done, std::function<void()> after = {}) {
  auto& st = self->state;
  reps::rep r;
  if (auto* cur = st.roster.find(id))
    r = *cur;
  for (auto& d : drafts)
    reps::apply(r, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
  st.roster.put(std::move(r));
  auto token = ++st.rep_tokens;
  st.rep_writes.emplace(token, company_state::rep_write{id, [done = std::move(done), after = std::move(after)](result<reps::rep> r) {
                                                          if (r && after)
                                                            after();
                                                          done(std::move(r));
                                                        }});
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(drafts), {}, {}};
  sub.done = [me, token](result<std::vector<event>> r) {
    caf::anon_send(me, persisted{token, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

error no_rep(const std::string& id) {
  return error{errc::not_found, "no sales rep " + id};
}

/// Hands the open tickets of a rep that went inactive back: unassigned, for the dispatcher or
/// a manager to give to someone else.
void release_tickets(self_ptr self, env* e, const std::string& rep_id) {
  tickets::list_query q;
  q.assigned_to.push_back(rep_id);
  q.statuses = {tickets::status::open, tickets::status::in_progress};
  q.limit = 100;
  std::vector<std::string> ids;
  for (q.page = 1;; ++q.page) {
    auto page = self->state.index.list(q);
    for (auto& t : page.items)
      ids.push_back(t->id);
    if (page.items.size() < static_cast<std::size_t>(q.limit))
      break;
  }
  for (auto& id : ids) {
    tickets::update_cmd cmd;
    cmd.assigned_to = "";
    update_ticket m{id, std::move(cmd), {self->state.company, "system", e->clk->wall_now()},
                    [](result<tickets::ticket>) {}};
    route(self, e, id, [self, m = std::move(m)](const caf::actor& a) { self->send(a, m); });
  }
}

/// Passivates every ticket actor idle for passivate_after. Returns how many.
std::size_t sweep(self_ptr self, env* e) {
  auto now = e->clk->steady_now();
  std::vector<std::string> idle;
  for (auto& [id, r] : self->state.live)
    if (!r.stopping && now - r.touched >= e->cfg.passivate_after)
      idle.push_back(id);
  for (auto& id : idle)
    passivate(self, id);
  return idle.size();
}

} // namespace

caf::behavior company_actor(caf::stateful_actor<company_state>* self, env* e, std::string company,
                            std::shared_ptr<company_seed> seed) {
  self->state.company = company;
  if (seed) {
    self->state.index = std::move(seed->index);
    self->state.ndr = std::move(seed->ndr);
    self->state.roster = std::move(seed->roster);
  }
  self->set_exit_handler([self](caf::exit_msg& m) {
    for (auto& [id, r] : self->state.live)
      self->send_exit(r.handle, m.reason);
    self->quit(m.reason);
  });
  if (e->cfg.sweep_every > 0)
    self->delayed_send(self, std::chrono::milliseconds(e->cfg.sweep_every), sweep_atom::value);
  return {
    [=](create_ticket& m) {
      if (auto err = tickets::validate(m.cmd))
        return m.done(std::move(*err));
      start(self, e, m.cmd, m.who, {}, e->new_ticket_id(), std::move(m.done));
    },
    [=](ingest_ndr& m) {
      if (auto err = ndr::validate(m.ev))
        return m.done(std::move(*err));
      auto cmd = ndr::ticket_for(m.ev);
      if (auto err = tickets::validate(cmd))
        return m.done(std::move(*err));
      auto& st = self->state;
      auto found = st.ndr.find(m.ev.ndr_event_id);
      if (found != st.ndr.end()) {
        auto tid = found->second;
        auto done = std::move(m.done);
        auto ndr_id = m.ev.ndr_event_id;
        auto answer = [done, ndr_id](result<tickets::ticket> t) {
          if (!t)
            return done(t.take_error());
          done(ndr_outcome{ndr_id, t->id, "", false});
        };
        if (st.index.contains(tid))
          return answer(*st.index.find(tid));
        return route(self, e, tid, [self, tid, answer](const caf::actor& a) {
          self->send(a, get_ticket{tid, answer});
        });
      }
      auto id = e->new_ticket_id();
      st.ndr.emplace(m.ev.ndr_event_id, id);
      std::vector<event_draft> extra;
      extra.push_back(event_draft{m.who.company_id, m.ev.ndr_event_id, "ndr.received", m.who.actor,
                                  m.who.now, ndr::received_data(m.ev, id, "")});
      auto ndr_id = m.ev.ndr_event_id;
      auto done = std::move(m.done);
      start(self, e, cmd, m.who, std::move(extra), id,
            [done, ndr_id](result<tickets::ticket> t) {
              if (!t)
                return done(t.take_error());
              done(ndr_outcome{ndr_id, t->id, "", true});
            });
    },
    [=](get_ticket& m) {
      // A ticket with no live actor and no notes is whole in the index (persisted state).
      if (!self->state.live.count(m.id))
        if (auto t = self->state.index.find(m.id); t && t->note_count == 0)
          return m.done(*t);
      forward(self, e, m);
    },
    [=](update_ticket& m) {
      if (m.cmd.assigned_to && !m.cmd.assigned_to->empty()) {
        auto* r = self->state.roster.find(*m.cmd.assigned_to);
        if (!r || r->st != reps::status::active)
          return m.done(error{errc::invalid, "assignedTo must name an active sales rep of the company",
                              {{"assignedTo", "names no active sales rep of the company"}}});
      }
      forward(self, e, m);
    },
    [=](create_rep& m) {
      auto id = e->new_rep_id();
      auto seal = [e](std::string_view p) { return e->cipher->seal(p); };
      auto drafts = reps::decide_create(m.cmd, id, m.who, self->state.roster, e->cfg.default_commission, seal);
      if (!drafts)
        return m.done(drafts.take_error());
      commit_rep(self, e, id, std::move(drafts.value()), std::move(m.done));
    },
    [=](get_rep& m) {
      auto* r = self->state.roster.find(m.id);
      if (!r)
        return m.done(no_rep(m.id));
      rep_view v{*r, std::nullopt};
      if (m.reveal && r->bank) {
        v.revealed = e->cipher->open(r->bank->sealed);
        if (!v.revealed)
          return m.done(error{errc::unavailable, "the bank details of " + m.id
                                                   + " cannot be opened with the configured master keys"});
      }
      m.done(std::move(v));
    },
    [=](update_rep& m) {
      auto* r = self->state.roster.find(m.id);
      if (!r)
        return m.done(no_rep(m.id));
      auto seal = [e](std::string_view p) { return e->cipher->seal(p); };
      auto drafts = reps::decide_update(*r, m.cmd, m.who, self->state.roster, seal);
      if (!drafts)
        return m.done(drafts.take_error());
      if (drafts->empty())
        return m.done(*r);
      bool deactivates = false;
      for (auto& d : drafts.value())
        deactivates = deactivates || d.type == "rep.deactivated";
      std::function<void()> after;
      if (deactivates)
        after = [self, e, id = m.id] { release_tickets(self, e, id); };
      commit_rep(self, e, m.id, std::move(drafts.value()), std::move(m.done), std::move(after));
    },
    [=](delete_rep& m) {
      auto* r = self->state.roster.find(m.id);
      if (!r)
        return m.done(no_rep(m.id));
      auto drafts = reps::decide_deactivate(*r, m.who);
      if (!drafts)
        return m.done(drafts.take_error());
      commit_rep(self, e, m.id, std::move(drafts.value()), std::move(m.done),
                 [self, e, id = m.id] { release_tickets(self, e, id); });
    },
    [=](list_reps& m) { m.done(reps::list(self->state.roster, m.query)); },
    [=](rep_performance& m) {
      auto* r = self->state.roster.find(m.id);
      if (!r)
        return m.done(no_rep(m.id));
      self->send(e->audit, performance_query{self->state.company, m.id, m.from, m.to,
                                             r->commission_paise, std::move(m.done)});
    },
    [=](persisted& p) {
      auto& st = self->state;
      auto w = st.rep_writes.extract(p.token);
      if (w.empty())
        return;
      auto& [id, done] = w.mapped();
      if (!p.outcome->ok()) {
        // The roster ran ahead of the log: take the rep back as the log has it.
        if (auto r = load_rep(*e->db, id))
          st.roster.put(std::move(*r));
        else
          st.roster.erase(id);
        return done(p.outcome->err());
      }
      auto* r = st.roster.find(id);
      if (!r)
        return done(no_rep(id));
      auto copy = *r;
      if (!p.outcome->value().empty())
        copy.last_seq = p.outcome->value().back().seq;
      st.roster.put(copy);
      done(std::move(copy));
    },
    [=](add_note& m) { forward(self, e, m); },
    [=](list_tickets& m) { m.done(self->state.index.list(m.query)); },
    [=](ticket_metrics& m) { m.done(self->state.index.compute(m.query)); },
    [=](ticket_changed& c) { self->state.index.put(*c.t); },
    [=](ticket_idle& i) { passivate(self, i.id); },
    [=](ticket_persisted& p) {
      auto& st = self->state;
      auto c = st.creating.extract(p.id);
      if (c.empty())
        return;
      auto& made = c.mapped();
      auto it = st.live.find(p.id);
      std::vector<deliver_fn> buffer;
      if (it != st.live.end()) {
        buffer = std::move(it->second.buffer);
        st.live.erase(it);
      }
      if (!p.outcome->ok()) {
        for (auto i = st.ndr.begin(); i != st.ndr.end();)
          i = i->second == p.id ? st.ndr.erase(i) : std::next(i);
        made.done(p.outcome->err()); // buffered messages are dropped: their callers get 503
        return;
      }
      for (auto& ev : p.outcome->value())
        if (ev.entity == p.id)
          made.t.last_seq = ev.seq;
      st.index.put(made.t);
      if (made.arm)
        self->send(e->timers, arm_timer{*made.arm});
      made.done(std::move(made.t));
      for (auto& deliver : buffer)
        route(self, e, p.id, std::move(deliver));
    },
    [=](ticket_stopped& s) {
      auto& st = self->state;
      auto it = st.live.find(s.id);
      if (it == st.live.end())
        return;
      auto buffer = std::move(it->second.buffer);
      st.live.erase(it);
      if (buffer.empty() || !known(self, s.id))
        return;
      for (auto& deliver : buffer)
        route(self, e, s.id, std::move(deliver));
    },
    [=](timer_due& d) {
      if (!known(self, d.key.entity))
        return;
      route(self, e, d.key.entity, [self, d](const caf::actor& a) { self->send(a, d); });
    },
    [=](sweep_atom) {
      sweep(self, e);
      if (e->cfg.sweep_every > 0)
        self->delayed_send(self, std::chrono::milliseconds(e->cfg.sweep_every), sweep_atom::value);
    },
    [=](sweep_atom, int) -> std::size_t { return sweep(self, e); },
  };
}

} // namespace crm::actors
