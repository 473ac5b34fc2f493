#include "actors/dispatcher.hpp"

#include <algorithm>

namespace crm::actors {

unsigned skill_mask(const reps::rep& r) {
  unsigned m = 0;
  for (auto& s : r.skills)
    if (auto c = tickets::parse_category(s))
      m |= 1u << static_cast<int>(*c);
  return m;
}

namespace {

using self_ptr = caf::stateful_actor<dispatcher_state>*;

bool eligible(const reps::rep& r) {
  return r.st == reps::status::active && r.avail == reps::availability::available;
}
/// A ticket counts against its rep's capacity while assigned and neither resolved nor closed.
bool ticket_open_for_rep(const tickets::ticket& t) {
  return !t.assigned_to.empty() && !t.is_done();
}
bool ticket_waits(const tickets::ticket& t) {
  return t.assigned_to.empty() && !t.is_done();
}

/// The board from the company as written: reps, their open work, what waits.
void build_board(self_ptr self, const company_data& d) {
  auto& st = self->state;
  auto& b = st.board;
  st.assign_tickets = d.assign_tickets;
  d.roster.each([&](const reps::rep& r) { b.put_rep(r.id, r.territory, eligible(r), r.max_open_items, skill_mask(r)); });
  std::unordered_map<std::string, std::int64_t> open;
  std::vector<const calls::call_log*> waiting;
  d.calls.for_each([&](const calls::call_log& c) {
    if (c.open_for_rep())
      ++open[c.assigned_to];
    if (c.assignable())
      waiting.push_back(&c);
  });
  std::vector<std::pair<std::uint64_t, int>> waiting_tickets; // number, category
  d.tickets.for_each([&](const tickets::ticket& t) {
    if (ticket_open_for_rep(t))
      ++open[t.assigned_to];
    else if (st.assign_tickets && ticket_waits(t))
      waiting_tickets.emplace_back(tickets::id_number(t.id), static_cast<int>(t.cat));
  });
  for (auto& [rep, n] : open)
    b.set_open(rep, n);
  std::sort(waiting_tickets.begin(), waiting_tickets.end());
  for (auto& [n, cat] : waiting_tickets)
    b.enqueue_skilled(env::format_id("TKT", n), cat);
  std::sort(waiting.begin(), waiting.end(),
            [](auto* a, auto* b) { return tickets::id_number(a->id) < tickets::id_number(b->id); });
  for (auto* c : waiting)
    b.enqueue(c->id, c->territory);
}

/// Drains once the messages already in the mailbox are handled: under load one drain (and one
/// message to the registry) covers many changes; when idle it follows at once.
void drain_soon(self_ptr self) {
  if (self->state.drain_pending)
    return;
  self->state.drain_pending = true;
  self->send(self, drain_atom::value);
}

/// Checks the board's proposals against the company as written: what still holds goes to the
/// registry; the rest is undone on the board (and a call or ticket that still waits goes back).
void propose(self_ptr self, const caf::actor& registry, company_view& view, std::vector<dispatch::assignment> batch) {
  auto& st = self->state;
  if (batch.empty())
    return;
  std::vector<dispatch::assignment> ok;
  std::vector<std::string> undo; // reps counted for a proposal that does not hold
  std::vector<std::pair<std::string, int>> back_skilled;
  std::vector<std::pair<std::string, std::string>> back_calls;
  view.read([&](const company_data& d) {
    for (auto& a : batch) {
      auto* r = d.roster.find(a.rep);
      bool rep_ok = r && eligible(*r);
      if (a.work.compare(0, 4, "TKT-") == 0) {
        auto t = d.tickets.find(a.work);
        bool waits = st.assign_tickets && t && ticket_waits(*t);
        if (waits && rep_ok && (skill_mask(*r) & (1u << static_cast<int>(t->cat)))) {
          ok.push_back(std::move(a));
          continue;
        }
        undo.push_back(a.rep);
        if (waits)
          back_skilled.emplace_back(t->id, static_cast<int>(t->cat));
        continue;
      }
      auto* c = d.calls.find(a.work);
      bool assignable = c && c->assignable();
      if (assignable && rep_ok) {
        ok.push_back(std::move(a));
        continue;
      }
      undo.push_back(a.rep);
      if (assignable)
        back_calls.emplace_back(c->id, c->territory);
    }
  });
  for (auto& rep : undo)
    st.board.release(rep);
  for (auto& [id, cat] : back_skilled)
    st.board.enqueue_skilled(id, cat);
  for (auto& [id, territory] : back_calls)
    st.board.enqueue(id, territory);
  for (auto& a : ok)
    if (a.work.compare(0, 4, "TKT-") == 0)
      st.ticket_offers[a.work] = a.rep;
  if (!ok.empty())
    self->send(registry, dispatch_assign{std::move(ok)});
}

/// What a ticket's change means for the board (capacity, its queue). True when it may let the
/// board assign something (a rep freed, work queued).
bool ticket_moved(self_ptr self, const tickets::ticket* before, const tickets::ticket& after) {
  auto& st = self->state;
  bool was = before && ticket_open_for_rep(*before);
  bool is = ticket_open_for_rep(after);
  bool moved = was && is && before->assigned_to != after.assigned_to;
  bool more = false;
  if (was && (!is || moved)) {
    st.board.release(before->assigned_to);
    more = true;
  }
  if (is && (!was || moved)) {
    auto offer = st.ticket_offers.find(after.id);
    if (offer != st.ticket_offers.end() && offer->second == after.assigned_to)
      st.ticket_offers.erase(offer); // counted when it was offered
    else
      st.board.take(after.assigned_to);
  }
  if (!st.assign_tickets)
    return more;
  if (ticket_waits(after) && !st.ticket_offers.count(after.id)) {
    st.board.enqueue_skilled(after.id, static_cast<int>(after.cat));
    more = true;
  } else if (!ticket_waits(after)) {
    st.board.drop(after.id);
  }
  return more;
}

/// What a call's change means for the board. True when it may let the board assign something.
bool call_moved(self_ptr self, const calls::call_log& before, const calls::call_log& after) {
  auto& b = self->state.board;
  bool more = false;
  if (before.open_for_rep() && (!after.open_for_rep() || after.assigned_to != before.assigned_to)) {
    b.release(before.assigned_to);
    more = true;
  }
  if (!before.assignable() && after.assignable()) {
    b.enqueue(after.id, after.territory);
    more = true;
  } else if (before.assignable() && !after.assignable() && after.assigned_to.empty()) {
    b.drop(after.id);
  }
  return more;
}

void change_settings(self_ptr self, env* e, const std::string& company, company_view& view, dispatch_settings& m) {
  auto& st = self->state;
  if (!m.assign_tickets || *m.assign_tickets == st.assign_tickets)
    return m.done(st.assign_tickets);
  bool on = *m.assign_tickets;
  st.assign_tickets = on;
  // Tickets that wait join (or leave) the queue at once; a failed write turns it back (offers
  // of queued tickets are checked against the written setting as they are drained).
  view.read([&](const company_data& d) {
    d.tickets.for_each([&](const tickets::ticket& t) {
      if (!ticket_waits(t))
        return;
      if (on)
        st.board.enqueue_skilled(t.id, static_cast<int>(t.cat));
      else
        st.board.drop(t.id);
    });
  });
  auto token = ++st.tokens;
  st.writes.emplace(token, [self, &view, on, done = std::move(m.done)](const result<std::vector<event>>& w) {
    if (!w.ok()) {
      self->state.assign_tickets = !on;
      return done(w.err());
    }
    view.write([&](company_data& d) { d.assign_tickets = on; });
    drain_soon(self);
    done(on);
  });
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{{event_draft{company, "dispatch-settings", "company.dispatch_settings_changed", m.who.actor,
                                       m.who.now, on ? R"({"assignTickets":true})" : R"({"assignTickets":false})"}},
                          {},
                          {}};
  sub.done = [me, token](result<std::vector<event>> r) {
    caf::anon_send(me, persisted{token, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

} // namespace

caf::behavior dispatcher_actor(caf::stateful_actor<dispatcher_state>* self, env* e, std::string company,
                               caf::actor registry, std::shared_ptr<company_view> view) {
  view->read([&](const company_data& d) { build_board(self, d); });
  propose(self, registry, *view, self->state.board.drain());
  return {
    [=](dispatch_rep& r) {
      self->state.board.put_rep(r.r->id, r.r->territory, eligible(*r.r), r.r->max_open_items, skill_mask(*r.r));
      drain_soon(self);
    },
    [=](ticket_changed& c) {
      if (ticket_moved(self, c.before.get(), *c.after))
        drain_soon(self);
    },
    [=](call_changed& c) {
      if (call_moved(self, c.before, *c.after))
        drain_soon(self);
    },
    [=](call_assign_refused& r) {
      auto& st = self->state;
      st.board.release(r.rep);
      auto waits = view->read([&](const company_data& d) -> std::optional<std::string> {
        auto* c = d.calls.find(r.call);
        return c && c->assignable() ? std::optional<std::string>(c->territory) : std::nullopt;
      });
      if (waits)
        st.board.enqueue(r.call, *waits);
      drain_soon(self);
    },
    [=](ticket_offer_refused& r) {
      auto& st = self->state;
      auto offer = st.ticket_offers.find(r.ticket);
      if (offer == st.ticket_offers.end() || offer->second != r.rep)
        return;
      st.ticket_offers.erase(offer);
      st.board.release(r.rep);
      auto t = view->read([&](const company_data& d) { return d.tickets.find(r.ticket); });
      if (t && st.assign_tickets && ticket_waits(*t))
        st.board.enqueue_skilled(t->id, static_cast<int>(t->cat));
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
        b.drop(p.id); // queued once written, if still unassigned (call_changed)
      propose(self, registry, *view, std::move(batch));
      self->send(registry, dispatch_placed{std::move(p.id), std::move(rep)});
    },
    [=](place_lead& p) {
      // Open leads as written (the read model), plus those placed and not yet written.
      auto& placings = self->state.lead_placings;
      auto& placed = self->state.placed_per_rep;
      std::string best;
      std::uint64_t best_number = 0;
      std::size_t fewest = SIZE_MAX;
      view->read([&](const company_data& d) {
        d.roster.each_in(p.territory, [&](const reps::rep& r) {
          if (r.st != reps::status::active)
            return;
          auto it = placed.find(r.id);
          auto open = d.leads.open_of(r.id) + (it == placed.end() ? 0 : it->second);
          if (open > fewest)
            return;
          auto number = tickets::id_number(r.id);
          if (open < fewest || number < best_number) {
            fewest = open;
            best_number = number;
            best = r.id;
          }
        });
      });
      if (!best.empty() && placings.emplace(p.id, best).second)
        ++placed[best];
      self->send(registry, lead_placed{p.id, best});
    },
    [=](lead_settled& s) {
      auto& st = self->state;
      auto it = st.lead_placings.find(s.id);
      if (it == st.lead_placings.end())
        return;
      if (auto n = st.placed_per_rep.find(it->second); n != st.placed_per_rep.end() && --n->second == 0)
        st.placed_per_rep.erase(n);
      st.lead_placings.erase(it);
    },
    [=](dispatch_release& r) {
      self->state.board.release(r.rep);
      drain_soon(self);
    },
    [=](dispatch_settings& m) { change_settings(self, e, company, *view, m); },
    [=](persisted& p) {
      auto w = self->state.writes.extract(p.token);
      if (!w.empty())
        w.mapped()(*p.outcome);
    },
    [=](drain_atom) {
      self->state.drain_pending = false;
      propose(self, registry, *view, self->state.board.drain());
    },
    [=](queued_atom) -> std::size_t { return self->state.board.queued(); },
  };
}

} // namespace crm::actors
