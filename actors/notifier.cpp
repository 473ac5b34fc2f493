#include "actors/notifier.hpp"

#include "domain/time_format.hpp"
#include "outbound/courier.hpp"
#include "outbound/signing.hpp"
#include "storage/store.hpp"

namespace crm::actors {

using namespace notifications;

bool notify_config::on(channel c) const {
  switch (c) {
    case channel::email: return !smtp_url.empty() && !smtp_from.empty();
    case channel::whatsapp: return !whatsapp_url.empty();
    case channel::sms: return !sms_url.empty();
    case channel::webhook: return !webhook_url.empty();
  }
  return false;
}

namespace {

using self_ptr = caf::stateful_actor<notifier_state>*;

void submit(self_ptr self, env* e, std::vector<event_draft> drafts, std::vector<storage::write_op> ops,
            std::function<void(const result<std::vector<event>>&)> after) {
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

const template_set& defaults() {
  static const template_set none;
  return none;
}

/// Folds written notification events into the outboxes (and saved templates into the set).
void take(self_ptr self, const std::vector<event>& evs) {
  auto& st = self->state;
  for (auto& ev : evs) {
    if (ev.type == "notification.template_set") {
      apply(st.templates[ev.company_id], ev);
      continue;
    }
    if (!ev.type.starts_with("notification."))
      continue;
    auto& box = st.outboxes[ev.company_id];
    notification n;
    if (auto* known = box.find(ev.entity))
      n = *known;
    apply(n, ev);
    st.company_of[n.id] = ev.company_id;
    for (auto& id : box.put(std::move(n)))
      st.company_of.erase(id);
  }
}

/// The notification with its subject and body, which the outbox does not keep once they are
/// in the log (outbox_index.hpp): read back from its notification.queued.
result<notification> whole(env* e, const notification& kept) {
  if (kept.queued_seq == 0 || !kept.body.empty())
    return kept;
  auto ev = e->db->event_at(kept.queued_seq);
  if (!ev)
    return ev.err();
  notification queued;
  if (ev->entity != kept.id || !apply(queued, ev.value()))
    return error{errc::unavailable, "event " + std::to_string(kept.queued_seq) + " is not " + kept.id + "'s queueing"};
  notification n = kept;
  n.subject = std::move(queued.subject);
  n.body = std::move(queued.body);
  return n;
}

/// Tries in flight per channel, at most: what is due beyond waits in the outbox (it is written
/// already), so a dead receiver costs neither memory nor a scan of every pending message per
/// tick, and holds up only its own channel.
constexpr std::size_t max_in_flight = 64;

/// Hands the courier one try of a pending message (or tells itself why it cannot).
void send_one(self_ptr self, env* e, const notification& kept) {
  auto& cfg = e->notify;
  auto me = caf::actor_cast<caf::actor>(self);
  auto id = kept.id;
  auto done = [me, id](outbound::outcome o) { caf::anon_send(me, delivered{id, o.ok, std::move(o.error)}); };
  if (!cfg.on(kept.ch) || !e->courier)
    return caf::anon_send(me, delivered{id, false, std::string("the ") + to_string(kept.ch) + " channel is not configured"});
  auto text = whole(e, kept); // its subject and body, from the log
  if (!text)
    return caf::anon_send(me, delivered{id, false, "could not read the message from the log: " + text.err().message});
  const notification& n = text.value();
  switch (n.ch) {
    case channel::webhook: {
      auto signature = outbound::hmac_sha256_hex(cfg.webhook_secret, n.body);
      if (signature.empty()) // never sent unsigned: a failed try, tried again later
        return caf::anon_send(me, delivered{id, false, "could not sign the webhook"});
      outbound::http_request r;
      r.url = cfg.webhook_url;
      r.body = n.body;
      r.headers = {{"Content-Type", "application/json"},
                   {"X-CRM-Event", n.event},
                   {"X-CRM-Delivery", n.id},
                   {"X-CRM-Signature", "sha256=" + signature}};
      return e->courier->post(std::move(r), done);
    }
    case channel::whatsapp:
    case channel::sms: {
      outbound::http_request r;
      const bool wa = n.ch == channel::whatsapp;
      r.url = wa ? cfg.whatsapp_url : cfg.sms_url;
      auto& token = wa ? cfg.whatsapp_token : cfg.sms_token;
      r.body = json::object([&](json::writer& w) {
        json::kv(w, "to", n.to);
        json::kv(w, "channel", to_string(n.ch));
        json::kv(w, "template", n.event);
        json::kv(w, "body", n.body);
      });
      r.headers = {{"Content-Type", "application/json"}, {"X-CRM-Delivery", n.id}};
      if (!token.empty())
        r.headers.push_back({"Authorization", "Bearer " + token});
      return e->courier->post(std::move(r), done);
    }
    case channel::email: {
      outbound::mail m;
      m.smtp_url = cfg.smtp_url;
      m.from = cfg.smtp_from;
      m.to = n.to;
      m.user = cfg.smtp_user;
      m.password = cfg.smtp_password;
      m.subject = n.subject;
      m.body = n.body;
      m.message_id = n.id;
      return e->courier->send(std::move(m), done);
    }
  }
}

/// Hands the courier every pending message that is due, not in flight, and whose channel has a
/// free place; companies take turns in going first.
void deliver_due(self_ptr self, env* e) {
  auto& st = self->state;
  if (st.outboxes.empty())
    return;
  auto now = e->clk->wall_now();
  std::vector<outbox_index*> boxes;
  for (auto& [company, box] : st.outboxes)
    boxes.push_back(&box);
  st.turn = (st.turn + 1) % boxes.size();
  for (std::size_t k = 0; k < boxes.size(); ++k) {
    auto& box = *boxes[(st.turn + k) % boxes.size()];
    for (int c = 0; c < 4; ++c) {
      const auto ch = static_cast<channel>(c);
      if (st.in_flight.of(ch) >= max_in_flight)
        continue;
      // The in-flight ones are due too: ask for enough to see past them.
      for (auto& id : box.due(now, st.in_flight.of(ch) + max_in_flight, ch)) {
        if (st.in_flight.of(ch) >= max_in_flight)
          break;
        if (st.in_flight.add(id, ch))
          send_one(self, e, *box.find(id));
      }
    }
  }
}

/// Queues `company`'s daily summary (every company's when empty) for the slot `slot`, with the
/// meta row of the slot when `record` (the scheduled one, not one asked for); `done` gets the
/// ids queued once written.
void queue_summary(self_ptr self, env* e, const std::string& company, millis slot, bool record,
                   const origin& who, std::function<void(result<std::vector<std::string>>)> done) {
  auto& st = self->state;
  auto now = e->clk->wall_now();
  auto date = e->notify.summary ? e->notify.summary->local_date(slot) : format_time(slot).substr(0, 10);
  std::vector<event_draft> drafts;
  std::vector<std::string> ids;
  auto one = [&](const std::string& c, const company_view& view) {
    auto tpl = st.templates.find(c);
    for (auto& cmd : summary_messages(view, tpl == st.templates.end() ? defaults() : tpl->second, now, date)) {
      ids.push_back(e->new_notification_id());
      for (auto& d : decide_queue(cmd, ids.back(), {c, who.actor, now}, e->notify.policy))
        drafts.push_back(std::move(d));
    }
  };
  if (e->notify.on(channel::email)) {
    if (!company.empty()) {
      if (auto entry = e->dir->find(company))
        one(company, *entry->view);
    } else {
      for (auto& [c, view] : e->dir->views())
        one(c, *view);
    }
  }
  std::vector<storage::write_op> ops;
  if (record)
    ops.push_back({storage::cf::meta, false, summary_slot_key, storage::be64(static_cast<std::uint64_t>(slot)), false});
  if (drafts.empty() && ops.empty())
    return done(std::move(ids));
  submit(self, e, std::move(drafts), std::move(ops),
         [self, e, ids = std::move(ids), done = std::move(done)](const result<std::vector<event>>& r) mutable {
           if (!r)
             return done(r.err());
           take(self, r.value());
           deliver_due(self, e);
           done(std::move(ids));
         });
}

/// The scheduled summary, when due: once per slot (the slot is written with its messages).
void summary_if_due(self_ptr self, env* e) {
  auto& st = self->state;
  if (!e->notify.summary || st.next_summary == 0)
    return;
  auto now = e->clk->wall_now();
  if (now < st.next_summary)
    return;
  auto slot = e->notify.summary->last_at_or_before(now);
  st.next_summary = e->notify.summary->next_after(now);
  queue_summary(self, e, {}, slot, true, {"", "system", now}, [](result<std::vector<std::string>>) {
    // Not written: the slot is not recorded, and the next start sends it as a missed one.
  });
}

/// Answers the tests' flushes once nothing is pending (no write in flight, nothing deferred).
void answer_flushes(self_ptr self) {
  auto& st = self->state;
  if (!st.writes.empty() || !st.deferred.empty())
    return;
  for (auto& p : st.flushes)
    p.deliver(true);
  st.flushes.clear();
}

/// How often (every 20 ms) an event waits for the read model to have its entity before its
/// rule gives up on it (a write whose actor never published it): 2 s.
constexpr std::size_t max_waits = 100;

/// Turns events (in seq order, each once) into messages, written with the cursor. An event
/// whose entity the read model does not have yet waits, with every event after it.
void process(self_ptr self, env* e, std::vector<event> evs) {
  auto& st = self->state;
  if (!st.deferred.empty()) { // behind the waiting ones, in order
    for (auto& ev : evs)
      st.deferred.push_back(std::move(ev));
    return;
  }
  std::vector<event_draft> drafts;
  const std::uint64_t before = st.processed, cursor_before = st.cursor_written;
  std::uint64_t through = st.processed;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    auto& ev = evs[i];
    if (ev.seq <= st.processed)
      continue; // seen in the catch-up
    if (may_notify(ev.type)) {
      if (auto view = e->dir->find(ev.company_id)) {
        auto tpl = st.templates.find(ev.company_id);
        auto made = messages_for(ev, *view->view, e->notify, tpl == st.templates.end() ? defaults() : tpl->second);
        if (!made && ++st.waits <= max_waits) {
          st.deferred.assign(std::make_move_iterator(evs.begin() + static_cast<std::ptrdiff_t>(i)),
                             std::make_move_iterator(evs.end()));
          self->delayed_send(self, std::chrono::milliseconds(20), rules_again_atom::value);
          break;
        }
        st.waits = 0;
        if (made)
          for (auto& cmd : *made)
            for (auto& d : decide_queue(cmd, e->new_notification_id(), {ev.company_id, "system", e->clk->wall_now()},
                                        e->notify.policy))
              drafts.push_back(std::move(d));
      }
    }
    through = ev.seq;
  }
  if (through == st.processed)
    return answer_flushes(self);
  st.processed = through;
  // The cursor goes with the messages; without messages it is written now and then (a restart
  // reads the log from it).
  if (drafts.empty() && through - st.cursor_written < 10'000)
    return answer_flushes(self);
  std::vector<storage::write_op> ops{{storage::cf::meta, false, notify_cursor_key, storage::be64(through), false}};
  st.cursor_written = through;
  submit(self, e, std::move(drafts), std::move(ops), [self, e, before, cursor_before](const result<std::vector<event>>& r) {
    auto& st = self->state;
    if (!r) {
      // Not written: read the log again from where this batch began (what later batches made
      // meanwhile may be made twice: at-least-once, after a storage failure only).
      st.processed = std::min(st.processed, before);
      st.cursor_written = std::min(st.cursor_written, cursor_before);
      if (st.caught_up) {
        st.caught_up = false;
        self->delayed_send(self, std::chrono::milliseconds(100), catch_up_atom::value);
      }
      return;
    }
    take(self, r.value());
    deliver_due(self, e);
  });
}

} // namespace

caf::behavior notifier_actor(caf::stateful_actor<notifier_state>* self, env* e, std::shared_ptr<notifier_start> start) {
  auto& st = self->state;
  for (auto& n : start->outbox) {
    st.company_of[n.id] = n.company_id;
    for (auto& id : st.outboxes[n.company_id].put(std::move(n)))
      st.company_of.erase(id);
  }
  start->outbox.clear();
  st.templates = std::move(start->templates);
  st.processed = st.cursor_written = start->cursor;
  auto last_summary = start->last_summary;
  if (e->cfg.timer_tick > 0)
    self->delayed_send(self, std::chrono::milliseconds(e->cfg.timer_tick), tick_atom::value);
  return {
    [=](catch_up_atom) {
      auto& st = self->state;
      auto until = e->journal->last_seq();
      std::vector<event> tail;
      auto read = e->db->scan_events(st.processed + 1, until, [&](std::uint64_t seq, std::string_view bytes) {
        if (auto ev = decode_stored(bytes)) {
          ev->seq = seq;
          if (may_notify(ev->type))
            tail.push_back(std::move(*ev));
        }
        return true;
      });
      if (!read) { // the log could not be read: again in a second (what is tapped meanwhile waits)
        self->delayed_send(self, std::chrono::seconds(1), catch_up_atom::value);
        return;
      }
      process(self, e, std::move(tail));
      if (st.deferred.empty()) // events without messages before `until` are seen too
        st.processed = std::max(st.processed, until);
      st.caught_up = true;
      for (auto& batch : st.stash)
        process(self, e, std::move(batch));
      st.stash.clear();
      deliver_due(self, e);
      // The daily summary: one missed while the server was down goes now, once; a data dir
      // that never had one starts counting from the last slot (it missed nothing).
      if (e->notify.summary && st.next_summary == 0) {
        auto now = e->clk->wall_now();
        auto slot = e->notify.summary->last_at_or_before(now);
        st.next_summary = e->notify.summary->next_after(now);
        if (!last_summary)
          submit(self, e, {}, {{storage::cf::meta, false, summary_slot_key, storage::be64(static_cast<std::uint64_t>(slot)), false}},
                 [](const result<std::vector<event>>&) {});
        else if (*last_summary < slot)
          queue_summary(self, e, {}, slot, true, {"", "system", now}, [](result<std::vector<std::string>>) {});
      }
    },
    [=](notify_events& m) {
      if (!self->state.caught_up)
        return self->state.stash.push_back(std::move(m.events));
      process(self, e, std::move(m.events));
    },
    [=](delivered& d) {
      auto& st = self->state;
      auto c = st.company_of.find(d.id);
      const notification* n = c == st.company_of.end() ? nullptr : st.outboxes[c->second].find(d.id);
      auto drafts = n ? decide_attempt(*n, d.ok, d.error, {c->second, "system", e->clk->wall_now()}, e->notify.policy)
                      : std::vector<event_draft>{};
      if (drafts.empty()) {
        st.in_flight.remove(d.id);
        return;
      }
      auto id = d.id; // in flight until the outcome is written
      submit(self, e, std::move(drafts), {}, [self, e, id](const result<std::vector<event>>& r) {
        self->state.in_flight.remove(id);
        if (r)
          take(self, r.value());
        // Not written: the try is made again when due (at-least-once).
        deliver_due(self, e); // its place is free
      });
    },
    [=](tick_atom) {
      summary_if_due(self, e);
      deliver_due(self, e);
      if (e->cfg.timer_tick > 0)
        self->delayed_send(self, std::chrono::milliseconds(e->cfg.timer_tick), tick_atom::value);
    },
    [=](tick_atom, int) -> std::size_t { // tests: deliver what is due now
      summary_if_due(self, e);
      deliver_due(self, e);
      return self->state.in_flight.size();
    },
    [=](persisted& p) {
      auto w = self->state.writes.extract(p.token);
      if (!w.empty())
        w.mapped()(*p.outcome);
      answer_flushes(self);
    },
    [=](rules_again_atom) {
      auto evs = std::move(self->state.deferred);
      self->state.deferred.clear();
      process(self, e, std::move(evs));
    },
    [=](flush_atom) -> caf::result<bool> {
      auto p = self->make_response_promise();
      self->state.flushes.push_back(p);
      answer_flushes(self);
      return p;
    },
    [=](list_notifications& m) {
      auto it = self->state.outboxes.find(m.company);
      if (it == self->state.outboxes.end())
        return m.done(list_page{});
      m.done(it->second.list(m.q));
    },
    [=](get_templates& m) {
      auto it = self->state.templates.find(m.company);
      m.done(it == self->state.templates.end() ? defaults() : it->second);
    },
    [=](put_template& m) {
      auto company = m.company;
      submit(self, e, {decide_template_set(*m.row, m.text, m.who)}, {},
             [self, company, done = std::move(m.done)](const result<std::vector<event>>& r) {
               if (!r)
                 return done(r.err());
               take(self, r.value());
               done(self->state.templates[company]);
             });
    },
    [=](summary_now& m) {
      auto now = e->clk->wall_now();
      queue_summary(self, e, m.company, now, false, m.who, std::move(m.done));
    },
    [=](retry_notification& m) {
      auto& st = self->state;
      auto it = st.outboxes.find(m.company);
      const notification* n = it == st.outboxes.end() ? nullptr : it->second.find(m.id);
      if (!n)
        return m.done(error{errc::not_found, "no notification " + m.id});
      if (st.in_flight.has(m.id))
        return m.done(error{errc::conflict, "notification " + m.id + " is being sent", {{"status", "a try is in flight"}}});
      auto drafts = decide_retry(*n, m.who, e->notify.policy);
      if (!drafts)
        return m.done(drafts.take_error());
      auto company = m.company, id = m.id;
      submit(self, e, std::move(drafts.value()), {},
             [self, e, company, id, done = std::move(m.done)](const result<std::vector<event>>& r) {
               if (!r)
                 return done(r.err());
               take(self, r.value());
               done(*self->state.outboxes[company].find(id));
               deliver_due(self, e);
             });
    },
  };
}

} // namespace crm::actors
