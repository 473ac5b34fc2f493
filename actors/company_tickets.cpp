// The registry's ticket seam: creation (by hand, from a call's escalation, from an NDR event
// with its call placed by the dispatcher in the same write), NDR idempotency, and routing the
// commands of existing tickets to their actors.
#include "actors/company_parts.hpp"
#include "actors/ticket_actor.hpp"

namespace crm::actors::company {

namespace {

template <class Msg>
void forward(self_ptr self, Msg& m) {
  if (!known_ticket(self, m.id))
    return m.done(error{errc::not_found, "no ticket " + m.id});
  auto id = m.id; // copied first: m is moved below
  self->state.host->send(id, std::move(m));
}

/// Journals a new ticket's events (and `extra` events of other entities in the same write,
/// with `extra_ops`); the ticket is published (and answered) once written.
void start(self_ptr self, env* e, const tickets::create_cmd& cmd, const tickets::origin& who,
           std::vector<event_draft> extra, const std::string& id, reply<tickets::ticket> done,
           std::vector<storage::write_op> extra_ops = {}) {
  auto drafts = tickets::decide_create(cmd, id, who, e->cfg.sla);
  if (!drafts)
    return done(drafts.take_error());
  company_state::creation c;
  for (auto& d : drafts.value())
    tickets::apply(c.t, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
  std::optional<storage::timer_key> sla;
  auto ops = ticket_rows(nullptr, c.t, drafts->size(), e->cfg.snapshot_every, sla);
  if (sla)
    c.arm.push_back(*sla);
  if (auto age = first_age_timer(c.t, e->cfg)) { // escalation, dispute (ticket_actor.cpp)
    c.arm.push_back(*age);
    ops.push_back({storage::cf::timers, false, storage::encode_timer(*age), {}, false});
  }
  for (auto& op : extra_ops)
    ops.push_back(std::move(op));
  auto events = std::move(drafts.value());
  for (auto& x : extra)
    events.push_back(std::move(x));
  c.done = std::move(done);
  auto& st = self->state;
  st.creating.emplace(id, std::move(c));
  if (!st.host->held(id))
    st.host->hold(id);
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(events), std::move(ops), {}};
  sub.idem = who.idem;
  sub.done = [me, id](result<std::vector<event>> r) {
    caf::anon_send(me, ticket_persisted{id, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

/// The ticket (and an NDR event's call) as written: published, told to the dispatcher, answered.
void created(self_ptr self, env* e, ticket_persisted& p) {
  auto& st = self->state;
  auto c = st.creating.extract(p.id);
  if (c.empty())
    return;
  auto& made = c.mapped();
  if (!p.outcome->ok()) {
    st.ndr.forget_ticket(p.id);
    if (!made.placed_rep.empty())
      self->send(st.dispatcher, dispatch_release{made.placed_rep});
    st.host->release(p.id, true); // what waited is dropped: its callers get 503
    made.done(p.outcome->err());
    return;
  }
  std::optional<calls::call_log> call; // an NDR event's call (and its assignment)
  std::string ndr_id;
  for (auto& ev : p.outcome->value()) {
    if (ev.entity == p.id) {
      made.t.last_seq = ev.seq;
    } else if (ev.type == "call.created") {
      call.emplace();
      calls::apply(*call, ev);
    } else if (call && ev.entity == call->id) {
      calls::apply(*call, ev);
    } else if (ev.type == "ndr.received") {
      ndr_id = ev.entity;
    }
  }
  auto t = std::make_shared<const tickets::ticket>(std::move(made.t));
  st.view->write([&](company_data& d) {
    d.tickets.put(*t);
    d.shipments.add(t->shipment_id, t->id);
    if (!ndr_id.empty())
      d.shipments.add(t->shipment_id, ndr_id);
    if (call) {
      d.shipments.add(call->shipment_id, call->id);
      d.calls.put(*call);
    }
  });
  // The dispatcher counted the call's assignment written with it already.
  if (call)
    self->send(st.dispatcher, call_changed{calls::call_log{}, std::make_shared<const calls::call_log>(*call)});
  self->send(st.dispatcher, ticket_changed{nullptr, t});
  if (call && !call->assigned_to.empty()) {
    auto gone = st.view->read([&](const company_data& d) {
      auto* r = d.roster.find(call->assigned_to);
      return !r || !eligible(*r);
    });
    if (gone) // the rep went offline while the call was written
      st.host->send(call->id, unassign_call{call->id, "rep unavailable"});
  }
  for (auto& k : made.arm)
    self->send(e->timers, arm_timer{k});
  made.done(*t);
  st.host->release(p.id);
}

void ingest(self_ptr self, env* e, ingest_ndr& m) {
  if (auto err = ndr::validate(m.ev))
    return m.done(std::move(*err));
  auto cmd = ndr::ticket_for(m.ev);
  if (auto err = tickets::validate(cmd))
    return m.done(std::move(*err));
  auto& st = self->state;
  auto [link, fresh] = st.ndr.claim(m.ev.ndr_event_id);
  if (!fresh) {
    auto known = *link;
    auto answer = [done = std::move(m.done), ndr_id = m.ev.ndr_event_id, known](result<tickets::ticket> t) {
      if (!t)
        return done(t.take_error());
      done(ndr_outcome{ndr_id, t->id, known.call, false});
    };
    if (auto t = st.view->read([&](const company_data& d) { return d.tickets.find(known.ticket); }))
      return answer(*t);
    return st.host->send(known.ticket, get_ticket{known.ticket, std::move(answer)});
  }
  auto id = e->new_ticket_id();
  std::string call_id = m.ev.action == "call" ? e->new_call_id() : std::string();
  *link = ndr::link{id, call_id};
  std::vector<event_draft> extra;
  extra.push_back(event_draft{m.who.company_id, m.ev.ndr_event_id, "ndr.received", m.who.actor, m.who.now,
                              ndr::received_data(m.ev, id, call_id)});
  if (!call_id.empty()) // the call is published once written
    extra.push_back(calls::decide_create(call_id, m.ev, m.who));
  reply<tickets::ticket> answer = [done = std::move(m.done), ndr_id = m.ev.ndr_event_id,
                                   call_id](result<tickets::ticket> t) {
    if (!t)
      return done(t.take_error());
    done(ndr_outcome{ndr_id, t->id, call_id, true});
  };
  if (call_id.empty())
    return start(self, e, cmd, m.who, std::move(extra), id, std::move(answer));
  // The dispatcher first: a rep that can take the call now is written with it (one write).
  // Meanwhile the ticket is held and messages for it wait, as while it is written.
  st.host->hold(id);
  st.placings.emplace(call_id, company_state::placing{std::move(cmd), m.who, std::move(extra), id, std::move(answer)});
  self->send(st.dispatcher, dispatch_place{call_id, m.ev.territory});
}

void placed(self_ptr self, env* e, dispatch_placed& p) {
  auto& st = self->state;
  auto node = st.placings.extract(p.id);
  if (node.empty()) { // cannot happen: one answer per call
    if (!p.rep.empty())
      self->send(st.dispatcher, dispatch_release{p.rep});
    return;
  }
  auto& pl = node.mapped();
  std::string rep = std::move(p.rep);
  if (!rep.empty()) {
    bool ok = st.view->read([&](const company_data& d) {
      auto* r = d.roster.find(rep);
      return r && eligible(*r);
    });
    if (ok) {
      calls::call_log fresh; // the call as call.created makes it: pending, unassigned
      fresh.id = p.id;
      pl.extra.push_back(calls::decide_assign(fresh, rep, {st.company, "system", e->clk->wall_now()}).value());
    } else { // the rep went away since the dispatcher counted it
      self->send(st.dispatcher, dispatch_release{rep});
      rep.clear();
    }
  }
  auto id = pl.ticket_id;
  start(self, e, pl.cmd, pl.who, std::move(pl.extra), id, std::move(pl.done));
  if (auto made = st.creating.find(id); made != st.creating.end()) {
    made->second.placed_rep = std::move(rep);
    return;
  }
  // Not started (it was refused and answered): nothing is written.
  if (!rep.empty())
    self->send(st.dispatcher, dispatch_release{rep});
  st.host->release(id, true);
  st.ndr.forget_ticket(id);
}

} // namespace

caf::actor spawn_ticket(self_ptr self, env* e, const std::string& id) {
  // A ticket without notes is whole in the read model: no read of the store.
  auto known = self->state.view->read([&](const company_data& d) { return d.tickets.find(id); });
  if (known && known->note_count != 0)
    known = nullptr; // its notes are read by the loader, off the scheduler
  return self->system().spawn(ticket_actor, e, handles(self), id, std::move(known));
}

caf::message_handler ticket_handlers(self_ptr self, env* e) {
  return {
    [=](create_ticket& m) {
      if (auto err = tickets::validate(m.cmd))
        return m.done(std::move(*err));
      start(self, e, m.cmd, m.who, {}, e->new_ticket_id(), std::move(m.done));
    },
    [=](ingest_ndr& m) { ingest(self, e, m); },
    [=](dispatch_placed& p) { placed(self, e, p); },
    [=](ticket_persisted& p) { created(self, e, p); },
    [=](create_linked_ticket& m) {
      start(self, e, m.cmd, m.who, std::move(m.extra), m.ticket_id, std::move(m.done), std::move(m.ops));
    },
    [=](get_ticket& m) {
      // A ticket with no live actor and no notes is whole in the read model.
      if (!self->state.host->live(m.id))
        if (auto t = self->state.view->read([&](const company_data& d) { return d.tickets.find(m.id); });
            t && t->note_count == 0)
          return m.done(*t);
      forward(self, m);
    },
    [=](update_ticket& m) {
      if (m.cmd.assigned_to && !m.cmd.assigned_to->empty()) {
        bool active = self->state.view->read([&](const company_data& d) {
          auto* r = d.roster.find(*m.cmd.assigned_to);
          return r && r->st == reps::status::active;
        });
        if (!active)
          return m.done(error{errc::invalid, "assignedTo must name an active sales rep of the company",
                              {{"assignedTo", "names no active sales rep of the company"}}});
      }
      forward(self, m);
    },
    [=](add_note& m) { forward(self, m); },
  };
}

} // namespace crm::actors::company
