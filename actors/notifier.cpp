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

/// Tries every pending message that is due and not in flight.
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

/// Tries handed to the courier and not yet answered, at most: what is due beyond waits in the
/// outbox (it is written already), so a dead receiver costs neither memory nor a scan of every
/// pending message per tick.
constexpr std::size_t max_in_flight = 256;

void deliver_due(self_ptr self, env* e) {
  auto& st = self->state;
  auto now = e->clk->wall_now();
  auto& cfg = e->notify;
  for (auto& [company, box] : st.outboxes) {
    // The in-flight ones are due too: ask for enough to find the free places after them.
    for (auto& id : box.due(now, max_in_flight)) {
      if (st.in_flight.size() >= max_in_flight)
        return;
      if (!st.in_flight.insert(id).second)
        continue;
      auto me = caf::actor_cast<caf::actor>(self);
      auto done = [me, id](outbound::outcome o) { caf::anon_send(me, delivered{id, o.ok, std::move(o.error)}); };
      if (!cfg.on(box.find(id)->ch) || !e->courier) {
        caf::anon_send(me, delivered{id, false, std::string("the ") + to_string(box.find(id)->ch) + " channel is not configured"});
        continue;
      }
      auto text = whole(e, *box.find(id)); // its subject and body, from the log
      if (!text) {
        caf::anon_send(me, delivered{id, false, "could not read the message from the log: " + text.err().message});
        continue;
      }
      const notification& n = text.value();
      switch (n.ch) {
        case channel::webhook: {
          auto signature = outbound::hmac_sha256_hex(cfg.webhook_secret, n.body);
          if (signature.empty()) { // never sent unsigned: a failed try, tried again later
            caf::anon_send(me, delivered{id, false, "could not sign the webhook"});
            break;
          }
          outbound::http_request r;
          r.url = cfg.webhook_url;
          r.body = n.body;
          r.headers = {{"Content-Type", "application/json"},
                       {"X-CRM-Event", n.event},
                       {"X-CRM-Delivery", n.id},
                       {"X-CRM-Signature", "sha256=" + signature}};
          e->courier->post(std::move(r), done);
          break;
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
          e->courier->post(std::move(r), done);
          break;
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
          e->courier->send(std::move(m), done);
          break;
        }
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

/// Turns events (in seq order, each once) into messages, written with the cursor.
void process(self_ptr self, env* e, const std::vector<event>& evs) {
  auto& st = self->state;
  std::vector<event_draft> drafts;
  std::uint64_t through = st.processed;
  for (auto& ev : evs) {
    if (ev.seq <= st.processed)
      continue; // seen in the catch-up
    through = ev.seq;
    if (!may_notify(ev.type))
      continue;
    auto view = e->dir->find(ev.company_id);
    if (!view)
      continue;
    auto tpl = st.templates.find(ev.company_id);
    for (auto& cmd : messages_for(ev, *view->view, e->notify, tpl == st.templates.end() ? defaults() : tpl->second))
      for (auto& d : decide_queue(cmd, e->new_notification_id(), {ev.company_id, "system", e->clk->wall_now()},
                                  e->notify.policy))
        drafts.push_back(std::move(d));
  }
  if (through == st.processed)
    return;
  st.processed = through;
  // The cursor goes with the messages; without messages it is written now and then (a restart
  // reads the log from it).
  if (drafts.empty() && through - st.cursor_written < 10'000)
    return;
  std::vector<storage::write_op> ops{{storage::cf::meta, false, notify_cursor_key, storage::be64(through), false}};
  st.cursor_written = through;
  submit(self, e, std::move(drafts), std::move(ops), [self, e](const result<std::vector<event>>& r) {
    if (!r)
      return; // not written: what the events would have made is made again after a restart
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
      e->db->scan_events(st.processed + 1, until, [&](std::uint64_t seq, std::string_view bytes) {
        if (auto ev = decode_stored(bytes)) {
          ev->seq = seq;
          if (may_notify(ev->type))
            tail.push_back(std::move(*ev));
        }
        return true;
      });
      // Events without messages before `until` are seen too.
      process(self, e, tail);
      st.processed = std::max(st.processed, until);
      st.caught_up = true;
      for (auto& batch : st.stash)
        process(self, e, batch);
      st.stash.clear();
      deliver_due(self, e);
      // The daily summary: one missed while the server was down goes now, once; a data dir
      // that never had one starts counting from the last slot (it missed nothing).
      if (e->notify.summary) {
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
      process(self, e, m.events);
    },
    [=](delivered& d) {
      auto& st = self->state;
      st.in_flight.erase(d.id);
      auto c = st.company_of.find(d.id);
      if (c == st.company_of.end())
        return;
      auto* n = st.outboxes[c->second].find(d.id);
      if (!n)
        return;
      auto drafts = decide_attempt(*n, d.ok, d.error, {c->second, "system", e->clk->wall_now()}, e->notify.policy);
      if (drafts.empty())
        return;
      st.in_flight.insert(d.id); // until the outcome is written
      auto id = d.id;
      submit(self, e, std::move(drafts), {}, [self, id](const result<std::vector<event>>& r) {
        self->state.in_flight.erase(id);
        if (r)
          take(self, r.value());
        // Not written: the try is made again when due (at-least-once).
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
      if (st.in_flight.count(m.id))
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
