// The registry: assembles its seams (company_tickets.cpp, company_reps.cpp, company_calls.cpp,
// company_leads.cpp, company_disputes.cpp)
// around the entity host, and runs the lifecycle of the entity actors and the timers.
#include "actors/company_actor.hpp"

#include "actors/company_parts.hpp"
#include "actors/dispatcher.hpp"

namespace crm::actors {

namespace company {

company_handles handles(self_ptr self) {
  return {caf::actor_cast<caf::actor>(self), self->state.dispatcher, self->state.view};
}

void submit(self_ptr self, env* e, std::vector<event_draft> drafts, std::vector<storage::write_op> ops,
            company_state::written_fn after, idempotency_claim_ptr idem) {
  auto& st = self->state;
  auto token = ++st.tokens;
  st.writes.emplace(token, std::move(after));
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(drafts), std::move(ops), {}};
  sub.idem = std::move(idem);
  sub.done = [me, token](result<std::vector<event>> r) {
    caf::anon_send(me, persisted{token, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

void write_record(self_ptr self, env* e, const std::string& id, std::vector<event_draft> drafts,
                  const std::string& ticket, const char* field, idempotency_claim_ptr idem,
                  std::function<void(const error*)> after) {
  auto& st = self->state;
  st.host->hold(id);
  auto finish = [self, id, after = std::move(after)](const error* err) {
    after(err);
    self->state.host->release(id, err != nullptr); // what waited for a record never written: 503
  };
  if (ticket.empty())
    return submit(self, e, std::move(drafts), {}, [finish](const result<std::vector<event>>& r) {
      finish(r.ok() ? nullptr : &r.err());
    }, std::move(idem));
  // The ticket's actor writes the link and the record together; its answer comes back here as
  // one of the registry's own writes, so that it runs on the registry.
  auto token = ++st.tokens;
  st.writes.emplace(token, [finish](const result<std::vector<event>>& r) { finish(r.ok() ? nullptr : &r.err()); });
  auto me = caf::actor_cast<caf::actor>(self);
  link_ticket m{ticket, field, id, "relatedSupportTicketId", std::move(drafts), std::move(idem),
                [me, token](const error* err) {
                  auto r = err ? result<std::vector<event>>(*err) : result<std::vector<event>>(std::vector<event>{});
                  caf::anon_send(me, persisted{token, std::make_shared<result<std::vector<event>>>(std::move(r))});
                }};
  st.host->send(ticket, std::move(m));
}

bool known_ticket(self_ptr self, const std::string& id) {
  if (id.compare(0, 4, "TKT-") != 0)
    return false;
  return self->state.host->live(id)
         || self->state.view->read([&](const company_data& d) { return d.tickets.contains(id); });
}

bool eligible(const reps::rep& r) {
  return r.st == reps::status::active && r.avail == reps::availability::available;
}

namespace {

/// Whether an entity id names something of this company (a timer of a forgotten entity is not
/// routed).
bool known(self_ptr self, const std::string& id) {
  if (self->state.host->live(id))
    return true;
  return self->state.view->read([&](const company_data& d) {
    return d.tickets.contains(id) || d.calls.contains(id) || d.roster.find(id) != nullptr
           || d.leads.contains(id) || d.disputes.contains(id);
  });
}

/// The actor of an entity, by the prefix of its id; monitored, so that one that dies without
/// saying so (see the down handler) is not routed to.
caf::actor spawn_entity(self_ptr self, env* e, const std::string& id) {
  caf::actor a;
  if (id.compare(0, 5, "CALL-") == 0)
    a = company::spawn_call(self, e, id);
  else if (id.compare(0, 4, "REP-") == 0)
    a = company::spawn_rep(self, e, id);
  else if (id.compare(0, 5, "LEAD-") == 0)
    a = company::spawn_lead(self, e, id);
  else if (id.compare(0, 4, "DSP-") == 0)
    a = company::spawn_dispute(self, e, id);
  else
    a = company::spawn_ticket(self, e, id);
  self->monitor(a);
  return a;
}

} // namespace
} // namespace company

caf::behavior company_actor(caf::stateful_actor<company_state>* self, env* e, std::string company_id,
                            std::shared_ptr<company_view> view, std::shared_ptr<ndr::link_index> ndr) {
  using namespace company;
  auto& st = self->state;
  st.company = std::move(company_id);
  st.view = view ? std::move(view) : std::make_shared<company_view>();
  if (ndr)
    st.ndr = std::move(*ndr);
  st.host = std::make_unique<entity_host>(self, e->clk, [self, e](const std::string& id) {
    return spawn_entity(self, e, id);
  });
  st.dispatcher = self->spawn(dispatcher_actor, e, st.company, caf::actor_cast<caf::actor>(self), st.view);
  self->set_exit_handler([self](caf::exit_msg& m) {
    self->state.host->exit_all(m.reason);
    self->send_exit(self->state.dispatcher, m.reason);
    self->quit(m.reason);
  });
  // An entity actor that ends abnormally (an exception) never sends entity_stopped: forget it,
  // so that the next message loads the entity afresh, and end a rep change it was writing
  // (what was in its mailbox is lost, and those callers get 503).
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.reason == caf::exit_reason::normal)
      return; // it said entity_stopped first
    if (auto id = self->state.host->down(dm.source))
      rep_write_ended(self, *id);
  });
  if (e->cfg.sweep_every > 0)
    self->delayed_send(self, std::chrono::milliseconds(e->cfg.sweep_every), sweep_atom::value);
  caf::message_handler lifecycle{
    [=](entity_idle& i) { self->state.host->passivate(i.id); },
    [=](entity_stopped& s) {
      auto& st = self->state;
      bool waited = st.host->stopped(s.id, known(self, s.id));
      if (!waited) // an actor that stopped without writing (it could not load): no change happened
        rep_write_ended(self, s.id);
    },
    [=](timer_due& d) {
      if (known(self, d.key.entity))
        self->state.host->send(d.key.entity, d);
    },
    [=](sweep_atom) {
      self->state.host->sweep(e->cfg.passivate_after);
      if (e->cfg.sweep_every > 0)
        self->delayed_send(self, std::chrono::milliseconds(e->cfg.sweep_every), sweep_atom::value);
    },
    [=](sweep_atom, int) -> std::size_t { return self->state.host->sweep(e->cfg.passivate_after); },
    [=](persisted& p) {
      auto w = self->state.writes.extract(p.token);
      if (!w.empty())
        w.mapped()(*p.outcome);
    },
    [=](dispatch_settings& m) { self->send(self->state.dispatcher, std::move(m)); },
  };
  return lifecycle.or_else(ticket_handlers(self, e)).or_else(rep_handlers(self, e)).or_else(call_handlers(self, e))
    .or_else(lead_handlers(self, e)).or_else(dispute_handlers(self, e));
}

} // namespace crm::actors
