#include "actors/company_actor.hpp"

#include <algorithm>

#include "actors/call_actor.hpp"
#include "actors/dispatcher.hpp"
#include "actors/rep_actor.hpp"
#include "actors/ticket_actor.hpp"
#include "domain/paging.hpp"

namespace crm::actors {

namespace {

using self_ptr = caf::stateful_actor<company_state>*;
using deliver_fn = std::function<void(const caf::actor&)>;
using written_fn = std::function<void(const result<std::vector<event>>&)>;

/// The actor of a ticket or a call, by the prefix of its id.
caf::actor spawn_entity(self_ptr self, env* e, const std::string& id) {
  auto me = caf::actor_cast<caf::actor>(self);
  caf::actor a;
  if (id.compare(0, 5, "CALL-") == 0) {
    std::shared_ptr<const calls::call_log> known;
    if (auto it = self->state.calls.find(id); it != self->state.calls.end())
      known = std::make_shared<const calls::call_log>(it->second);
    a = self->system().spawn(call_actor, e, me, id, std::move(known));
  } else if (id.compare(0, 4, "REP-") == 0) { // loads the rep as written
    a = self->system().spawn(rep_actor, e, me, id, std::shared_ptr<const reps::rep>{});
  } else {
    a = self->system().spawn(ticket_actor, e, me, id);
  }
  self->monitor(a); // an actor that dies without saying so (see the down handler) is not routed to
  return a;
}

/// Sends to the ticket's one live actor, loading it if it is passivated.
void route(self_ptr self, env* e, const std::string& id, deliver_fn deliver) {
  auto& st = self->state;
  auto it = st.live.find(id);
  if (it == st.live.end()) {
    auto a = spawn_entity(self, e, id);
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
  auto& st = self->state;
  return st.index.contains(id) || st.calls.count(id) != 0 || st.roster.find(id) != nullptr
         || st.live.count(id) != 0;
}

void passivate(self_ptr self, const std::string& id) {
  auto it = self->state.live.find(id);
  if (it == self->state.live.end() || it->second.stopping || !it->second.handle)
    return;
  it->second.stopping = true;
  self->send(it->second.handle, passivate_atom::value);
}

/// A ticket of this company (not a call or rep id that happens to be known here).
bool known_ticket(self_ptr self, const std::string& id) {
  return id.compare(0, 4, "TKT-") == 0 && (self->state.index.contains(id) || self->state.live.count(id) != 0);
}

template <class Msg>
void forward(self_ptr self, env* e, Msg& m) {
  if (!known_ticket(self, m.id))
    return m.done(error{errc::not_found, "no ticket " + m.id});
  auto id = m.id; // copied first: the lambda below takes m
  route(self, e, id, [self, m = std::move(m)](const caf::actor& a) { self->send(a, m); });
}

void note_shipment(self_ptr self, const std::string& shipment, const std::string& entity) {
  if (!shipment.empty())
    self->state.shipments[shipment].push_back(entity);
}

/// Journals a new ticket's events (and `extra` events of other entities in the same write,
/// with `extra_ops`); the ticket joins the index (and is answered) once written.
void start(self_ptr self, env* e, const tickets::create_cmd& cmd, const tickets::origin& who,
           std::vector<event_draft> extra, const std::string& id, reply<tickets::ticket> done,
           std::vector<storage::write_op> extra_ops = {}) {
  auto drafts = tickets::decide_create(cmd, id, who, e->cfg.sla);
  if (!drafts)
    return done(drafts.take_error());
  company_state::creation c;
  for (auto& d : drafts.value())
    tickets::apply(c.t, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
  auto ops = ticket_rows(nullptr, c.t, drafts->size(), e->cfg.snapshot_every, c.arm);
  for (auto& op : extra_ops)
    ops.push_back(std::move(op));
  auto events = std::move(drafts.value());
  for (auto& x : extra)
    events.push_back(std::move(x));
  c.done = std::move(done);
  auto& st = self->state;
  note_shipment(self, cmd.shipment_id, id);
  st.creating.emplace(id, std::move(c));
  st.live.emplace(id, company_state::resident{nullptr, e->clk->steady_now(), false, {}});
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(events), std::move(ops), {}};
  sub.idem = who.idem;
  sub.done = [me, id](result<std::vector<event>> r) {
    caf::anon_send(me, ticket_persisted{id, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

/// Journals events the registry writes itself (its settings; the assignment of a call that has
/// no actor) with `ops`, and runs `after` once written or failed.
void submit(self_ptr self, env* e, std::vector<event_draft> drafts, std::vector<storage::write_op> ops,
            written_fn after) {
  auto& st = self->state;
  auto token = ++st.tokens;
  st.writes.emplace(token, std::move(after));
  auto me = caf::actor_cast<caf::actor>(self);
  storage::submission sub{std::move(drafts), std::move(ops), {}};
  sub.done = [me, token](result<std::vector<event>> r) {
    caf::anon_send(me, persisted{token, std::make_shared<result<std::vector<event>>>(std::move(r))});
  };
  e->journal->submit(std::move(sub));
}

// -- reps -----------------------------------------------------------------------------------

error no_rep(const std::string& id) {
  return error{errc::not_found, "no sales rep " + id};
}

unsigned skill_mask(const reps::rep& r) {
  unsigned m = 0;
  for (auto& s : r.skills)
    if (auto c = tickets::parse_category(s))
      m |= 1u << static_cast<int>(*c);
  return m;
}

bool eligible(const reps::rep& r) {
  return r.st == reps::status::active && r.avail == reps::availability::available;
}

void tell_dispatcher_rep(self_ptr self, const reps::rep& r) {
  self->send(self->state.dispatcher,
             dispatch_rep{r.id, r.territory, eligible(r), r.max_open_items, skill_mask(r)});
}

/// A ticket counts against its rep's capacity while assigned and neither resolved nor closed.
bool ticket_open_for_rep(const tickets::ticket& t) {
  return !t.assigned_to.empty() && !t.is_done();
}
bool ticket_waits(const tickets::ticket& t) {
  return t.assigned_to.empty() && !t.is_done();
}

/// Tells the dispatcher what a ticket's change means for it (capacity, its queue).
void ticket_moved(self_ptr self, const tickets::ticket* before, const tickets::ticket& after) {
  auto& st = self->state;
  bool was = before && ticket_open_for_rep(*before);
  bool is = ticket_open_for_rep(after);
  bool moved = was && is && before->assigned_to != after.assigned_to;
  if (was && (!is || moved))
    self->send(st.dispatcher, dispatch_release{before->assigned_to});
  if (is && (!was || moved)) {
    auto offer = st.ticket_offers.find(after.id);
    if (offer != st.ticket_offers.end() && offer->second == after.assigned_to)
      st.ticket_offers.erase(offer); // the dispatcher counted it when it offered
    else
      self->send(st.dispatcher, dispatch_take{after.assigned_to});
  }
  if (!st.assign_tickets)
    return;
  if (ticket_waits(after) && !st.ticket_offers.count(after.id))
    self->send(st.dispatcher, dispatch_skilled{after.id, static_cast<int>(after.cat)});
  else if (!ticket_waits(after))
    self->send(st.dispatcher, dispatch_drop{after.id});
}

void release_work(self_ptr self, env* e, const std::string& rep_id);

/// Hands a rep's events to its actor, which writes them and answers; the roster and the
/// dispatcher take the change once written (rep_changed). The next rep command waits for it.
void commit_rep(self_ptr self, env* e, const std::string& id, std::vector<event_draft> drafts,
                reply<reps::rep> done, idempotency_claim_ptr idem) {
  auto& st = self->state;
  auto* prior = st.roster.find(id);
  st.rep_writing = company_state::rep_write{id, prior ? std::optional<reps::rep>(*prior) : std::nullopt};
  write_rep m{id, std::move(drafts), std::move(done), std::move(idem)};
  auto it = st.live.find(id);
  if (it == st.live.end()) {
    // Spawned from the rep as written (null for a new one).
    std::shared_ptr<const reps::rep> seed = prior ? std::make_shared<const reps::rep>(*prior) : nullptr;
    auto a = self->system().spawn(rep_actor, e, caf::actor_cast<caf::actor>(self), id, std::move(seed));
    self->monitor(a);
    st.live.emplace(id, company_state::resident{a, e->clk->steady_now(), false, {}});
  }
  route(self, e, id, [self, m = std::move(m)](const caf::actor& a) { self->send(a, m); });
}

/// Runs the rep commands that waited, until one of them starts a rep change.
void next_rep_commands(self_ptr self) {
  auto& st = self->state;
  while (!st.rep_writing && !st.rep_waiting.empty()) {
    auto f = std::move(st.rep_waiting.front());
    st.rep_waiting.pop_front();
    f();
  }
}

/// Runs a rep command now, or after the rep change in flight.
void rep_command(self_ptr self, std::function<void()> f) {
  auto& st = self->state;
  if (st.rep_writing || !st.rep_waiting.empty())
    st.rep_waiting.push_back(std::move(f));
  else
    f();
}

// -- calls ----------------------------------------------------------------------------------

error no_call(const std::string& id) {
  return error{errc::not_found, "no call log " + id};
}

/// Stores a call as written, keeping the calls' indexes in step. Returns the stored call.
const calls::call_log& put_call(company_state& st, calls::call_log c) {
  auto [it, fresh] = st.calls.try_emplace(c.id);
  if (fresh) {
    it->second = std::move(c);
    // A new call is nearly always the newest: hinted at the end, no walk down the tree.
    st.calls_by_created.emplace_hint(st.calls_by_created.end(),
                                     std::make_pair(it->second.created_at, tickets::id_number(it->first)), &it->second);
  } else {
    if (it->second.assigned_to != c.assigned_to && !it->second.assigned_to.empty()) {
      auto r = st.calls_by_rep.find(it->second.assigned_to);
      if (r != st.calls_by_rep.end() && (r->second.erase(it->first), r->second.empty()))
        st.calls_by_rep.erase(r);
    }
    it->second = std::move(c);
  }
  if (!it->second.assigned_to.empty())
    st.calls_by_rep[it->second.assigned_to].insert(it->first);
  return it->second;
}

/// Tells the dispatcher what a call's change means for it (capacity, its queue).
void call_moved(self_ptr self, const calls::call_log& before, const calls::call_log& after) {
  auto& st = self->state;
  if (before.open_for_rep() && (!after.open_for_rep() || after.assigned_to != before.assigned_to))
    self->send(st.dispatcher, dispatch_release{before.assigned_to});
  if (!before.assignable() && after.assignable())
    self->send(st.dispatcher, dispatch_work{after.id, after.territory});
  else if (before.assignable() && !after.assignable() && after.assigned_to.empty())
    self->send(st.dispatcher, dispatch_drop{after.id});
}

template <class Msg>
void forward_call(self_ptr self, env* e, Msg& m) {
  if (!self->state.calls.count(m.id))
    return m.done(no_call(m.id));
  auto id = m.id;
  route(self, e, id, [self, m = std::move(m)](const caf::actor& a) { self->send(a, m); });
}

/// A rep that went offline or inactive hands back its pending calls (to the dispatcher) and, if
/// inactive, its open tickets (unassigned, for someone else to take).
void release_work(self_ptr self, env* e, const std::string& rep_id) {
  auto& st = self->state;
  tickets::origin o{st.company, "system", e->clk->wall_now()};
  if (auto mine = st.calls_by_rep.find(rep_id); mine != st.calls_by_rep.end())
    for (auto& id : mine->second)
      if (st.calls.at(id).st == calls::status::pending)
        route(self, e, id, [self, m = unassign_call{id, "rep unavailable"}](const caf::actor& a) { self->send(a, m); });
  auto* r = st.roster.find(rep_id);
  if (!r || r->st != reps::status::inactive)
    return;
  tickets::list_query q;
  q.assigned_to.push_back(rep_id);
  q.statuses = {tickets::status::open, tickets::status::in_progress};
  q.limit = 100;
  std::vector<std::string> ids;
  for (q.page = 1;; ++q.page) {
    auto page = st.index.list(q);
    for (auto& t : page.items)
      ids.push_back(t->id);
    if (page.items.size() < static_cast<std::size_t>(q.limit))
      break;
  }
  for (auto& id : ids) {
    tickets::update_cmd cmd;
    cmd.assigned_to = "";
    update_ticket m{id, std::move(cmd), o, [](result<tickets::ticket>) {}};
    route(self, e, id, [self, m = std::move(m)](const caf::actor& a) { self->send(a, m); });
  }
}

/// The dispatcher offers a ticket to a rep: assigned through the ticket's actor, only if the
/// ticket is still unassigned by then.
void offer_ticket(self_ptr self, env* e, const dispatch::assignment& a) {
  auto& st = self->state;
  auto t = st.index.find(a.work);
  auto* r = st.roster.find(a.rep);
  bool skilled = r && t && (skill_mask(*r) & (1u << static_cast<int>(t->cat)));
  if (!st.assign_tickets || !t || !ticket_waits(*t) || !r || !eligible(*r) || !skilled) {
    self->send(st.dispatcher, dispatch_release{a.rep});
    if (st.assign_tickets && t && ticket_waits(*t))
      self->send(st.dispatcher, dispatch_skilled{t->id, static_cast<int>(t->cat)});
    return;
  }
  st.ticket_offers[a.work] = a.rep;
  tickets::update_cmd cmd;
  cmd.assigned_to = a.rep;
  cmd.only_if_unassigned = true;
  auto me = caf::actor_cast<caf::actor>(self);
  update_ticket m{a.work, std::move(cmd), {st.company, "system", e->clk->wall_now()},
                  [me, ticket = a.work, rep = a.rep](result<tickets::ticket> r) {
                    if (!r)
                      caf::anon_send(me, ticket_offer_refused{ticket, rep});
                  }};
  route(self, e, a.work, [self, m = std::move(m)](const caf::actor& x) { self->send(x, m); });
}

/// Assigns a call that has no actor: with nothing in flight the registry's copy is the whole
/// call, so the registry writes call.assigned itself, holding messages for the call (as while a
/// ticket is created) until it is written. Spares an actor's activation per assignment, the
/// common case under load.
void assign_passivated(self_ptr self, env* e, const calls::call_log& c, const std::string& rep) {
  auto& st = self->state;
  auto d = calls::decide_assign(c, rep, {st.company, "system", e->clk->wall_now()});
  if (!d) {
    self->send(st.dispatcher, dispatch_release{rep});
    return;
  }
  auto id = c.id;
  st.live.emplace(id, company_state::resident{nullptr, e->clk->steady_now(), false, {}});
  submit(self, e, {std::move(d.value())}, {}, [self, e, id, rep](const result<std::vector<event>>& w) {
    auto& st = self->state;
    auto copy = st.calls.at(id);
    if (w.ok()) {
      for (auto& ev : w.value())
        calls::apply(copy, ev); // the dispatcher counted it already: nothing to tell it
      put_call(st, std::move(copy));
    } else {
      self->send(st.dispatcher, dispatch_release{rep});
      if (copy.assignable())
        self->send(st.dispatcher, dispatch_work{copy.id, copy.territory});
    }
    // What came for the call meanwhile goes to its actor now.
    auto it = st.live.find(id);
    if (it == st.live.end())
      return;
    auto buffer = std::move(it->second.buffer);
    st.live.erase(it);
    for (auto& deliver : buffer)
      route(self, e, id, std::move(deliver));
  });
}

/// The dispatcher's proposals: handed to the calls' actors (and tickets'), which write them or
/// refuse them when the call changed meanwhile.
void assign_work(self_ptr self, env* e, std::vector<dispatch::assignment>& batch) {
  auto& st = self->state;
  for (auto& a : batch) {
    if (a.work.compare(0, 4, "TKT-") == 0) {
      offer_ticket(self, e, a);
      continue;
    }
    auto it = st.calls.find(a.work);
    auto* r = st.roster.find(a.rep);
    if (it == st.calls.end() || !it->second.assignable() || !r || !eligible(*r)) {
      // Undo the dispatcher's count; the call goes back if it still waits.
      self->send(st.dispatcher, dispatch_release{a.rep});
      if (it != st.calls.end() && it->second.assignable())
        self->send(st.dispatcher, dispatch_work{it->second.id, it->second.territory});
      continue;
    }
    if (st.live.count(a.work)) {
      route(self, e, a.work, [self, m = assign_call{a.work, a.rep}](const caf::actor& x) { self->send(x, m); });
      continue;
    }
    assign_passivated(self, e, it->second, a.rep);
  }
}

/// The board the dispatcher starts from: reps, their open calls, the calls that wait.
std::shared_ptr<dispatch::board> board_of(const company_state& st) {
  auto b = std::make_shared<dispatch::board>();
  st.roster.each([&](const reps::rep& r) {
    b->put_rep(r.id, r.territory, eligible(r), r.max_open_items, skill_mask(r));
  });
  std::unordered_map<std::string, std::int64_t> open;
  std::vector<const calls::call_log*> waiting;
  for (auto& [id, c] : st.calls) {
    if (c.open_for_rep())
      ++open[c.assigned_to];
    if (c.assignable())
      waiting.push_back(&c);
  }
  std::vector<std::pair<std::uint64_t, int>> waiting_tickets; // number, category
  st.index.for_each([&](const tickets::ticket& t) {
    if (ticket_open_for_rep(t))
      ++open[t.assigned_to];
    else if (st.assign_tickets && ticket_waits(t))
      waiting_tickets.emplace_back(tickets::id_number(t.id), static_cast<int>(t.cat));
  });
  for (auto& [rep, n] : open)
    b->set_open(rep, n);
  std::sort(waiting_tickets.begin(), waiting_tickets.end());
  for (auto& [n, cat] : waiting_tickets)
    b->enqueue_skilled(env::format_id("TKT", n), cat);
  std::sort(waiting.begin(), waiting.end(), [](auto* a, auto* b) {
    return tickets::id_number(a->id) < tickets::id_number(b->id);
  });
  for (auto* c : waiting)
    b->enqueue(c->id, c->territory);
  return b;
}

call_page list_of(const company_state& st, const calls::list_query& q) {
  auto match = [](const std::vector<std::string>& want, std::string_view v) {
    return want.empty() || std::find(want.begin(), want.end(), v) != want.end()
           || (v.empty() && std::find(want.begin(), want.end(), "null") != want.end());
  };
  auto keep = [&](const calls::call_log& c) {
    return match(q.status, calls::to_string(c.st)) && match(q.assigned_to, c.assigned_to)
           && match(q.shipment_id, c.shipment_id);
  };
  call_page out;
  out.page = q.page;
  out.limit = q.limit;
  // The sort key: the requested time, then the number (the order of calls_by_created).
  bool by_created = q.sort_by == "createdAt";
  auto key = [by_created](const calls::call_log* c) {
    return std::make_pair(by_created ? c->created_at : c->updated_at, tickets::id_number(c->id));
  };
  auto sorted_page = [&](std::vector<const calls::call_log*>& hits) {
    std::sort(hits.begin(), hits.end(),
              [&](auto* a, auto* b) { return q.descending ? key(b) < key(a) : key(a) < key(b); });
    out.total = hits.size();
    out.items = page_of(hits, q.page, q.limit);
    return out;
  };
  // A shipment or a rep narrows the calls to look at to its own (no scan of the company's).
  auto named = [](const std::vector<std::string>& want) {
    return !want.empty() && std::find(want.begin(), want.end(), "null") == want.end();
  };
  if (named(q.shipment_id) || named(q.assigned_to)) {
    std::unordered_set<const calls::call_log*> seen;
    std::vector<const calls::call_log*> hits;
    auto consider = [&](const std::string& id) {
      auto it = st.calls.find(id);
      if (it != st.calls.end() && keep(it->second) && seen.insert(&it->second).second)
        hits.push_back(&it->second);
    };
    if (named(q.shipment_id)) {
      for (auto& s : q.shipment_id)
        if (auto it = st.shipments.find(s); it != st.shipments.end())
          for (auto& id : it->second)
            if (id.compare(0, 5, "CALL-") == 0)
              consider(id);
    } else {
      for (auto& r : q.assigned_to)
        if (auto it = st.calls_by_rep.find(r); it != st.calls_by_rep.end())
          for (auto& id : it->second)
            consider(id);
    }
    return sorted_page(hits);
  }
  auto from = static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.limit);
  auto to = from + static_cast<std::size_t>(q.limit);
  if (q.sort_by == "createdAt") {
    // Already in order: count the matches, keep the page's.
    auto visit = [&](const calls::call_log* c) {
      if (!keep(*c))
        return;
      if (out.total >= from && out.total < to)
        out.items.push_back(*c);
      ++out.total;
    };
    if (q.descending)
      for (auto it = st.calls_by_created.rbegin(); it != st.calls_by_created.rend(); ++it)
        visit(it->second);
    else
      for (auto& [k, c] : st.calls_by_created)
        visit(c);
    return out;
  }
  std::vector<const calls::call_log*> hits;
  for (auto& [k, c] : st.calls_by_created)
    if (keep(*c))
      hits.push_back(c);
  return sorted_page(hits);
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
  auto& st = self->state;
  st.company = company;
  if (seed) {
    st.index = std::move(seed->index);
    st.ndr = std::move(seed->ndr);
    st.roster = std::move(seed->roster);
    for (auto& [id, c] : seed->calls)
      put_call(st, std::move(c));
    st.shipments = std::move(seed->shipments);
    st.assign_tickets = seed->assign_tickets;
  }
  st.dispatcher = self->spawn(dispatcher_actor, caf::actor_cast<caf::actor>(self), board_of(st));
  self->set_exit_handler([self](caf::exit_msg& m) {
    for (auto& [id, r] : self->state.live)
      self->send_exit(r.handle, m.reason);
    self->send_exit(self->state.dispatcher, m.reason);
    self->quit(m.reason);
  });
  // An entity actor that ends abnormally (an exception) never sends ticket_stopped: forget it,
  // so that the next message loads the entity afresh, and end a rep change it was writing
  // (what was in its mailbox is lost, and those callers get 503).
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.reason == caf::exit_reason::normal)
      return; // it said ticket_stopped first
    auto& st = self->state;
    for (auto it = st.live.begin(); it != st.live.end(); ++it) {
      if (!it->second.handle || it->second.handle.address() != dm.source)
        continue;
      auto id = it->first;
      st.live.erase(it);
      if (st.rep_writing && st.rep_writing->id == id) {
        st.rep_writing.reset();
        next_rep_commands(self);
      }
      return;
    }
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
      auto [found, fresh] = st.ndr.try_emplace(m.ev.ndr_event_id); // one lookup: new or known
      if (!fresh) {
        auto link = found->second;
        auto done = std::move(m.done);
        auto ndr_id = m.ev.ndr_event_id;
        auto answer = [done, ndr_id, link](result<tickets::ticket> t) {
          if (!t)
            return done(t.take_error());
          done(ndr_outcome{ndr_id, t->id, link.call, false});
        };
        if (st.index.contains(link.ticket))
          return answer(*st.index.find(link.ticket));
        return route(self, e, link.ticket, [self, tid = link.ticket, answer](const caf::actor& a) {
          self->send(a, get_ticket{tid, answer});
        });
      }
      auto id = e->new_ticket_id();
      std::string call_id = m.ev.action == "call" ? e->new_call_id() : std::string();
      found->second = ndr_link{id, call_id};
      note_shipment(self, m.ev.shipment_id, m.ev.ndr_event_id);
      std::vector<event_draft> extra;
      extra.push_back(event_draft{m.who.company_id, m.ev.ndr_event_id, "ndr.received", m.who.actor,
                                  m.who.now, ndr::received_data(m.ev, id, call_id)});
      if (!call_id.empty()) // the call joins the registry's calls once written
        extra.push_back(calls::decide_create(call_id, m.ev, m.who));
      auto ndr_id = m.ev.ndr_event_id;
      auto done = std::move(m.done);
      reply<tickets::ticket> answer = [done, ndr_id, call_id](result<tickets::ticket> t) {
        if (!t)
          return done(t.take_error());
        done(ndr_outcome{ndr_id, t->id, call_id, true});
      };
      if (call_id.empty())
        return start(self, e, cmd, m.who, std::move(extra), id, std::move(answer));
      // The dispatcher first: a rep that can take the call now is written with it (one write).
      // Meanwhile the ticket is known and messages for it wait, as while it is written.
      st.live.emplace(id, company_state::resident{nullptr, e->clk->steady_now(), false, {}});
      st.placings.emplace(call_id, company_state::placing{std::move(cmd), m.who, std::move(extra), id,
                                                          std::move(answer)});
      self->send(st.dispatcher, dispatch_place{call_id, m.ev.territory});
    },
    [=](dispatch_placed& p) {
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
        auto* r = st.roster.find(rep);
        if (r && eligible(*r)) {
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
      auto made = st.creating.find(id);
      if (made != st.creating.end()) {
        made->second.placed_rep = std::move(rep);
        return;
      }
      // Not started (it was refused and answered): nothing is written.
      if (!rep.empty())
        self->send(st.dispatcher, dispatch_release{rep});
      st.live.erase(id);
      for (auto i = st.ndr.begin(); i != st.ndr.end();)
        i = i->second.ticket == id ? st.ndr.erase(i) : std::next(i);
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
    [=](add_note& m) { forward(self, e, m); },
    [=](list_tickets& m) { m.done(self->state.index.list(m.query)); },
    [=](ticket_metrics& m) { m.done(self->state.index.compute(m.query)); },
    [=](ticket_changed& c) {
      auto before = self->state.index.find(c.t->id); // shared: outlives the put below
      ticket_moved(self, before.get(), *c.t);
      self->state.index.put(*c.t);
    },
    [=](ticket_offer_refused& r) {
      auto& st = self->state;
      auto offer = st.ticket_offers.find(r.ticket);
      if (offer == st.ticket_offers.end() || offer->second != r.rep)
        return;
      st.ticket_offers.erase(offer);
      self->send(st.dispatcher, dispatch_release{r.rep});
      if (auto t = st.index.find(r.ticket); t && st.assign_tickets && ticket_waits(*t))
        self->send(st.dispatcher, dispatch_skilled{t->id, static_cast<int>(t->cat)});
    },
    [=](dispatch_settings& m) {
      auto& st = self->state;
      if (!m.assign_tickets || *m.assign_tickets == st.assign_tickets)
        return m.done(st.assign_tickets);
      bool on = *m.assign_tickets;
      st.assign_tickets = on;
      // Tickets that wait go to (or leave) the dispatcher's queue.
      st.index.for_each([&](const tickets::ticket& t) {
        if (!ticket_waits(t))
          return;
        if (on)
          self->send(st.dispatcher, dispatch_skilled{t.id, static_cast<int>(t.cat)});
        else
          self->send(st.dispatcher, dispatch_drop{t.id});
      });
      auto draft = event_draft{st.company, "dispatch-settings", "company.dispatch_settings_changed",
                               m.who.actor, m.who.now, on ? R"({"assignTickets":true})" : R"({"assignTickets":false})"};
      submit(self, e, {std::move(draft)}, {}, [self, done = std::move(m.done), on](const result<std::vector<event>>& w) {
        if (!w.ok()) {
          self->state.assign_tickets = !on; // as the log has it (queued tickets are re-checked on offer)
          return done(w.err());
        }
        done(on);
      });
    },
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
          i = i->second.ticket == p.id ? st.ndr.erase(i) : std::next(i);
        if (!made.placed_rep.empty())
          self->send(st.dispatcher, dispatch_release{made.placed_rep});
        made.done(p.outcome->err()); // buffered messages are dropped: their callers get 503
        return;
      }
      std::optional<calls::call_log> call; // an NDR event's call (and its assignment)
      for (auto& ev : p.outcome->value()) {
        if (ev.entity == p.id) {
          made.t.last_seq = ev.seq;
        } else if (ev.type == "call.created") {
          call.emplace();
          calls::apply(*call, ev);
        } else if (call && ev.entity == call->id) {
          calls::apply(*call, ev);
        }
      }
      if (call) { // the dispatcher's now (it counted the assignment written with it already)
        note_shipment(self, call->shipment_id, call->id);
        call_moved(self, calls::call_log{}, *call);
        auto& c = put_call(st, std::move(*call));
        auto* r = c.assigned_to.empty() ? nullptr : st.roster.find(c.assigned_to);
        if (!c.assigned_to.empty() && (!r || !eligible(*r))) // went offline while written
          route(self, e, c.id, [self, m = unassign_call{c.id, "rep unavailable"}](const caf::actor& a) {
            self->send(a, m);
          });
      }
      ticket_moved(self, nullptr, made.t);
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
      if (buffer.empty() && st.rep_writing && st.rep_writing->id == s.id) {
        // Its actor stopped without writing (it could not load): the change never happened.
        st.rep_writing.reset();
        next_rep_commands(self);
      }
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

    // -- reps --
    [=](create_rep& m) {
      rep_command(self, [=, m = std::move(m)]() mutable {
        auto id = e->new_rep_id();
        auto seal = [e](std::string_view p) { return e->cipher->seal(p); };
        auto drafts = reps::decide_create(m.cmd, id, m.who, self->state.roster, e->cfg.default_commission, seal);
        if (!drafts)
          return m.done(drafts.take_error());
        commit_rep(self, e, id, std::move(drafts.value()), std::move(m.done), m.who.idem);
      });
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
      rep_command(self, [=, m = std::move(m)]() mutable {
        auto* r = self->state.roster.find(m.id);
        if (!r)
          return m.done(no_rep(m.id));
        auto seal = [e](std::string_view p) { return e->cipher->seal(p); };
        auto drafts = reps::decide_update(*r, m.cmd, m.who, self->state.roster, seal);
        if (!drafts)
          return m.done(drafts.take_error());
        if (drafts->empty())
          return m.done(*r);
        commit_rep(self, e, m.id, std::move(drafts.value()), std::move(m.done), m.who.idem);
      });
    },
    [=](delete_rep& m) {
      rep_command(self, [=, m = std::move(m)]() mutable {
        auto* r = self->state.roster.find(m.id);
        if (!r)
          return m.done(no_rep(m.id));
        auto drafts = reps::decide_deactivate(*r, m.who);
        if (!drafts)
          return m.done(drafts.take_error());
        commit_rep(self, e, m.id, std::move(drafts.value()), std::move(m.done), m.who.idem);
      });
    },
    [=](list_reps& m) { m.done(reps::list(self->state.roster, m.query)); },
    [=](rep_performance& m) {
      auto* r = self->state.roster.find(m.id);
      if (!r)
        return m.done(no_rep(m.id));
      self->send(e->performance, performance_query{self->state.company, m.id, m.from, m.to, std::move(m.done)});
    },
    [=](persisted& p) {
      auto w = self->state.writes.extract(p.token);
      if (!w.empty())
        w.mapped()(*p.outcome);
    },

    // -- calls --
    [=](dispatch_assign& a) { assign_work(self, e, a.batch); },
    [=](rep_changed& c) {
      auto& st = self->state;
      auto w = std::move(st.rep_writing);
      st.rep_writing.reset();
      if (!c.failed) {
        auto& r = *c.r;
        bool was_on = w && w->before && w->before->st == reps::status::active
                      && w->before->avail != reps::availability::offline;
        bool is_on = r.st == reps::status::active && r.avail != reps::availability::offline;
        st.roster.put(r);
        tell_dispatcher_rep(self, r);
        // After the rep's own events, so the log reads in the order things happened.
        if (was_on && !is_on)
          release_work(self, e, r.id);
      }
      next_rep_commands(self);
    },
    [=](call_changed& c) {
      auto& st = self->state;
      auto it = st.calls.find(c.c->id);
      call_moved(self, it != st.calls.end() ? it->second : calls::call_log{}, *c.c);
      put_call(st, *c.c);
    },
    [=](call_assign_refused& r) {
      auto& st = self->state;
      self->send(st.dispatcher, dispatch_release{r.rep});
      if (auto it = st.calls.find(r.call); it != st.calls.end() && it->second.assignable())
        self->send(st.dispatcher, dispatch_work{it->second.id, it->second.territory});
    },
    [=](create_linked_ticket& m) {
      start(self, e, m.cmd, m.who, std::move(m.extra), m.ticket_id, std::move(m.done), std::move(m.ops));
    },
    [=](get_call& m) {
      // The registry's copy is the call as last written; a change answered before this request
      // was sent reached the registry (call_changed) before it.
      auto it = self->state.calls.find(m.id);
      if (it == self->state.calls.end())
        return m.done(no_call(m.id));
      m.done(it->second);
    },
    [=](list_calls& m) { m.done(list_of(self->state, m.query)); },
    [=](update_call& m) { forward_call(self, e, m); },
    [=](schedule_callback& m) { forward_call(self, e, m); },
    [=](shipment_timeline& m) {
      auto it = self->state.shipments.find(m.shipment);
      if (it == self->state.shipments.end())
        return m.done(std::vector<event>{});
      self->send(e->audit, timeline_query{self->state.company, it->second, std::move(m.done)});
    },
  };
}

} // namespace crm::actors
