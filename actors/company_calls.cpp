// The registry's call seam: commands for calls go to their actors; the dispatcher's proposals
// go to the calls' actors (and tickets'), or, for a call without an actor, are written here;
// a rep that goes away hands its work back.
#include "actors/call_actor.hpp"
#include "actors/company_parts.hpp"

namespace crm::actors::company {

namespace {

error no_call(const std::string& id) {
  return error{errc::not_found, "no call log " + id};
}

bool known_call(self_ptr self, const std::string& id) {
  return self->state.view->read([&](const company_data& d) { return d.calls.contains(id); });
}

template <class Msg>
void forward_call(self_ptr self, Msg& m) {
  if (!known_call(self, m.id))
    return m.done(no_call(m.id));
  auto id = m.id;
  self->state.host->send(id, std::move(m));
}

/// Assigns a call that has no actor: with nothing in flight the read model's copy is the whole
/// call, so the registry writes call.assigned itself, holding messages for the call (as while a
/// ticket is created) until it is written. Spares an actor's activation per assignment, the
/// common case under load.
void assign_passivated(self_ptr self, env* e, const calls::call_log& c, const std::string& rep) {
  auto& st = self->state;
  auto d = calls::decide_assign(c, rep, {st.company, "system", e->clk->wall_now()});
  if (!d) {
    self->send(st.dispatcher, call_assign_refused{c.id, rep});
    return;
  }
  auto id = c.id;
  st.host->hold(id);
  submit(self, e, {std::move(d.value())}, {}, [self, id, rep, before = c](const result<std::vector<event>>& w) {
    auto& st = self->state;
    if (w.ok()) {
      auto after = std::make_shared<calls::call_log>(before);
      for (auto& ev : w.value())
        calls::apply(*after, ev);
      st.view->write([&](company_data& d) { d.calls.put(*after); });
      // The dispatcher counted it when it proposed it: this only keeps its board exact.
      self->send(st.dispatcher, call_changed{before, std::move(after)});
    } else {
      self->send(st.dispatcher, call_assign_refused{id, rep});
    }
    st.host->release(id); // what came for the call meanwhile goes to its actor now
  });
}

/// The dispatcher's proposals: handed to the calls' actors (and tickets'), which write them or
/// refuse them when the call or ticket changed meanwhile.
void assign_work(self_ptr self, env* e, std::vector<dispatch::assignment>& batch) {
  auto& st = self->state;
  auto me = caf::actor_cast<caf::actor>(self);
  for (auto& a : batch) {
    if (a.work.compare(0, 4, "TKT-") == 0) {
      tickets::update_cmd cmd;
      cmd.assigned_to = a.rep;
      cmd.only_if_unassigned = true;
      update_ticket m{a.work, std::move(cmd), {st.company, "system", e->clk->wall_now()},
                      [d = st.dispatcher, ticket = a.work, rep = a.rep](result<tickets::ticket> r) {
                        if (!r)
                          caf::anon_send(d, ticket_offer_refused{ticket, rep});
                      }};
      st.host->send(a.work, std::move(m));
      continue;
    }
    if (st.host->live(a.work)) {
      st.host->send(a.work, assign_call{a.work, a.rep});
      continue;
    }
    auto c = st.view->read([&](const company_data& d) -> std::optional<calls::call_log> {
      auto* c = d.calls.find(a.work);
      return c ? std::optional<calls::call_log>(*c) : std::nullopt;
    });
    if (!c) {
      self->send(st.dispatcher, call_assign_refused{a.work, a.rep});
      continue;
    }
    assign_passivated(self, e, *c, a.rep);
  }
}

} // namespace

caf::actor spawn_call(self_ptr self, env* e, const std::string& id) {
  // The read model holds every call as written: no read of the store.
  auto known = self->state.view->read([&](const company_data& d) -> std::shared_ptr<const calls::call_log> {
    auto* c = d.calls.find(id);
    return c ? std::make_shared<const calls::call_log>(*c) : nullptr;
  });
  return self->system().spawn(call_actor, e, handles(self), id, std::move(known));
}

void release_work(self_ptr self, env* e, const std::string& rep_id) {
  auto& st = self->state;
  std::vector<std::string> pending, open_tickets;
  st.view->read([&](const company_data& d) {
    if (auto* mine = d.calls.of_rep(rep_id))
      for (auto& id : *mine)
        if (auto* c = d.calls.find(id); c && c->st == calls::status::pending)
          pending.push_back(id);
    auto* r = d.roster.find(rep_id);
    if (!r || r->st != reps::status::inactive)
      return;
    tickets::list_query q;
    q.assigned_to.push_back(rep_id);
    q.statuses = {tickets::status::open, tickets::status::in_progress};
    q.limit = 100;
    for (q.page = 1;; ++q.page) {
      auto page = d.tickets.list(q);
      for (auto& t : page.items)
        open_tickets.push_back(t->id);
      if (page.items.size() < static_cast<std::size_t>(q.limit))
        break;
    }
  });
  for (auto& id : pending)
    st.host->send(id, unassign_call{id, "rep unavailable"});
  tickets::origin o{st.company, "system", e->clk->wall_now()};
  for (auto& id : open_tickets) {
    tickets::update_cmd cmd;
    cmd.assigned_to = "";
    st.host->send(id, update_ticket{id, std::move(cmd), o, [](result<tickets::ticket>) {}});
  }
}

caf::message_handler call_handlers(self_ptr self, env* e) {
  return {
    [=](dispatch_assign& a) { assign_work(self, e, a.batch); },
    [=](get_call& m) {
      auto c = self->state.view->read([&](const company_data& d) -> std::optional<calls::call_log> {
        auto* c = d.calls.find(m.id);
        return c ? std::optional<calls::call_log>(*c) : std::nullopt;
      });
      if (!c)
        return m.done(no_call(m.id));
      m.done(std::move(*c));
    },
    [=](update_call& m) { forward_call(self, m); },
    [=](schedule_callback& m) { forward_call(self, m); },
  };
}

} // namespace crm::actors::company
