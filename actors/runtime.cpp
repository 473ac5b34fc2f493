#include "actors/runtime.hpp"

#include <malloc.h>

#include <algorithm>
#include <future>
#include <unordered_map>

#include "actors/company_actor.hpp"
#include "actors/notifier.hpp"
#include "outbound/courier.hpp"
#include "actors/ticket_actor.hpp"
#include "actors/timer_service.hpp"
#include "storage/store.hpp"
#include "domain/replay.hpp"

namespace crm::actors {

namespace {

caf::behavior audit_reader(caf::event_based_actor*, storage::store* db) {
  return {
    [db](audit_query& q) {
      auto keep = [&](const event& e) {
        return (q.entity.empty() || e.entity == q.entity) && (q.type.empty() || e.type == q.type)
               && (!q.from || e.at >= *q.from) && (!q.to || e.at <= *q.to);
      };
      auto events = db->company_events(q.company, q.after, q.limit, keep);
      if (!events)
        return q.done(events.take_error());
      std::uint64_t next = events->size() == q.limit && !events->empty() ? events->back().seq : 0;
      q.done(std::make_pair(std::move(events.value()), next));
    },
    [db](timeline_query& q) {
      std::vector<std::uint64_t> seqs;
      for (auto& id : q.entities) {
        auto some = db->entity_seqs(id);
        if (!some)
          return q.done(some.take_error());
        seqs.insert(seqs.end(), some->begin(), some->end());
      }
      std::sort(seqs.begin(), seqs.end());
      seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
      std::vector<event> out;
      for (auto seq : seqs) {
        auto e = db->event_at(seq);
        if (!e)
          return q.done(e.take_error());
        if (e->company_id == q.company)
          out.push_back(std::move(e.value()));
      }
      q.done(std::move(out));
    },
  };
}

/// Reps' performance: one ledger per company, kept between queries; each query folds only the
/// events written since the last one (the first folds the company's whole log once), then
/// looks at that rep's facts. Its own thread: it reads the store, and never holds up the audit
/// reader or an actor.
caf::behavior performance_keeper(caf::event_based_actor*, storage::store* db) {
  auto ledgers = std::make_shared<std::unordered_map<std::string, reps::performance_ledger>>();
  return {
    [db, ledgers](performance_query& q) {
      auto& ledger = (*ledgers)[q.company];
      auto read = db->company_events(q.company, ledger.last_seq(), SIZE_MAX, [&](const event& e) {
        ledger.add(e);
        return false;
      });
      if (!read)
        return q.done(read.take_error());
      q.done(ledger.query(q.rep_id, q.from, q.to));
    },
  };
}

} // namespace

result<std::unique_ptr<runtime>> runtime::start(runtime_options opts, const crm::clock& clk,
                                                std::shared_ptr<spdlog::logger> log) {
  std::unique_ptr<runtime> rt(new runtime(clk));
  rt->log_ = log ? log : spdlog::default_logger();
  rt->opts_ = opts;
  auto db = storage::store::open(opts.data_dir, storage::open_mode::read_write);
  if (!db)
    return db.take_error();
  rt->store_ = std::move(db.value());
  auto* hist = &rt->batches_;
  rt->journal_ = std::make_unique<storage::journal>(
    *rt->store_,
    storage::journal_options{opts.sync, opts.journal_max_batch, opts.journal_delay},
    [hist](std::size_t n) { hist->observe(static_cast<double>(n)); });

  rt->caf_cfg_ = std::make_unique<caf::actor_system_config>();
  rt->caf_cfg_->set("scheduler.policy", caf::atom("sharing"));
  rt->caf_cfg_->set("scheduler.max-threads", opts.actor_threads);
  rt->system_ = std::make_unique<caf::actor_system>(*rt->caf_cfg_);

  auto cipher = storage::field_cipher::make(opts.master_key, opts.master_key_previous);
  if (!cipher)
    return cipher.take_error();
  rt->cipher_ = std::make_unique<storage::field_cipher>(std::move(cipher.value()));
  auto& e = rt->env_;
  e.cipher = rt->cipher_.get();
  e.notify = opts.notify;
  rt->courier_ = std::make_unique<outbound::courier>();
  e.courier = rt->courier_.get();
  e.db = rt->store_.get();
  e.journal = rt->journal_.get();
  e.clk = &clk;
  e.cfg = opts.cfg;
  auto* envp = &rt->env_;
  auto* sys = rt->system_.get();
  rt->dir_ = std::make_unique<directory>([envp, sys](const std::string& company) {
    auto view = std::make_shared<company_view>();
    return directory::entry{sys->spawn(company_actor, envp, company, view, std::shared_ptr<ndr::link_index>{}), view};
  });
  e.dir = rt->dir_.get();
  rt->keys_ = std::make_unique<key_registry>(*rt->journal_, clk);
  rt->idem_ = std::make_unique<idempotency_store>(*rt->journal_, clk);
  e.timers = sys->spawn(timer_service, envp);
  rt->audit_ = sys->spawn<caf::detached>(audit_reader, rt->store_.get()); // reads block: own thread
  e.audit = rt->audit_;
  rt->performance_ = sys->spawn<caf::detached>(performance_keeper, rt->store_.get());
  e.performance = rt->performance_;
  rt->loader_ = sys->spawn<caf::detached>(ticket_loader, rt->store_.get());
  e.loader = rt->loader_;
  if (auto r = rt->recover(); !r)
    return r.take_error();
  // The notifier (tapping the journal since recovery) reads the log after its cursor first
  // (notifier.hpp).
  caf::anon_send(e.notifier, catch_up_atom::value);
  return rt;
}

result<bool> runtime::recover() {
  auto t0 = clk_.steady_now();
  replay_state rs;
  bool broken = false;
  auto scanned = store_->scan_events(1, UINT64_MAX, [&](std::uint64_t seq, std::string_view bytes) {
    auto e = decode_stored(bytes);
    if (!e) {
      log_->error("event {} cannot be read; recovery stops there", seq);
      broken = true;
      return false;
    }
    e->seq = seq;
    rs.apply(*e);
    if (e->type.compare(0, 7, "apikey.") == 0)
      keys_->recover(*e);
    return true;
  });
  if (!scanned)
    return error{errc::unavailable, scanned.err().message + "; run crm-audit verify"};
  if (broken)
    return error{errc::unavailable, "the event log cannot be read; run crm-audit verify"};
  stats_.events = rs.events;
  auto& tix = rs.tickets;
  auto& ndrs = rs.ndr;
  auto max_ticket = rs.max_ticket_number;
  env_.next_ticket = max_ticket + 1;
  env_.next_rep = rs.max_rep_number + 1;
  env_.next_call = rs.max_call_number + 1;
  env_.next_lead = rs.max_lead_number + 1;
  env_.next_dispute = rs.max_dispute_number + 1;
  env_.next_notification = rs.max_notification_number + 1;
  if (auto r = idem_->recover(*store_); !r)
    return r.take_error();
  // The notifier's cursor: without one (a data dir older than the notifier) the log so far is
  // history and makes no messages; what recovery writes from here on does.
  std::uint64_t notify_cursor = journal_->last_seq();
  {
    auto row = store_->get(storage::cf::meta, notify_cursor_key);
    if (!row)
      return row.take_error();
    if (row.value())
      notify_cursor = storage::get_be64(*row.value());
  }
  std::optional<millis> last_summary; // the slot of the last daily summary (notifier.hpp)
  {
    auto row = store_->get(storage::cf::meta, summary_slot_key);
    if (!row)
      return row.take_error();
    if (row.value())
      last_summary = static_cast<millis>(storage::get_be64(*row.value()));
  }

  // Timers: fire what came due while down, once; keep the rest.
  auto now = clk_.wall_now();
  std::vector<std::future<result<std::vector<event>>>> pending;
  std::vector<storage::timer_key> arm;
  auto submit_now = [&](storage::submission sub) {
    auto p = std::make_shared<std::promise<result<std::vector<event>>>>();
    pending.push_back(p->get_future());
    sub.done = [p](result<std::vector<event>> r) { p->set_value(std::move(r)); };
    journal_->submit(std::move(sub));
  };
  auto timers = store_->scan(storage::cf::timers, "", [&](std::string_view k, std::string_view) {
    storage::timer_key key;
    if (!storage::decode_timer(k, key))
      return true;
    storage::submission sub;
    if (key.kind == "callback") {
      auto c = rs.calls.find(key.entity);
      if (c == rs.calls.end() || !c->second.awaiting_callback || c->second.scheduled_for != key.due) {
        sub.ops.push_back({storage::cf::timers, true, std::string(k), {}, false}); // stale row
      } else if (key.due <= now) {
        sub.events = calls::decide_callback_due(c->second, {key.company, "system", now});
        sub.ops.push_back({storage::cf::timers, true, std::string(k), {}, false});
      } else {
        arm.push_back(std::move(key));
        return true;
      }
      submit_now(std::move(sub));
      return true;
    }
    auto it = tix.find(key.entity);
    if (key.kind == "dispute" || key.kind == "escalate") { // once: the row goes with what it does
      if (it != tix.end() && key.due > now) {
        arm.push_back(std::move(key));
        return true;
      }
      if (it == tix.end()) {
        sub.ops.push_back({storage::cf::timers, true, std::string(k), {}, false}); // stale row
      } else {
        auto& t = it->second;
        auto rep = [&](const std::string& id) -> const reps::rep* {
          auto r = id.empty() ? rs.reps.end() : rs.reps.find(id);
          return r != rs.reps.end() && r->second.company_id == t.company_id ? &r->second : nullptr;
        };
        auto* assignee = rep(t.assigned_to);
        auto* boss = assignee ? rep(assignee->reporting_to) : nullptr;
        auto supervisor = boss && boss->st == reps::status::active ? boss->id : std::string(); // an inactive one is none
        auto f = fire_age(t, key, now, env_.cfg, supervisor, [this] { return env_.new_dispute_id(); });
        sub.events = std::move(f.events);
        sub.ops = std::move(f.ops);
        if (f.arm)
          arm.push_back(std::move(*f.arm));
      }
      submit_now(std::move(sub));
      return true;
    }
    if (key.kind != "sla" || it == tix.end() || !sla_timer_live(it->second)
        || it->second.sla_due_at != key.due) {
      sub.ops.push_back({storage::cf::timers, true, std::string(k), {}, false}); // stale row
    } else if (key.due <= now) {
      auto before = it->second;
      auto drafts = tickets::decide_sla_check(it->second, {key.company, "system", now});
      auto after = before;
      for (auto& d : drafts)
        tickets::apply(after, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
      std::optional<storage::timer_key> unused;
      // No snapshot here: another row of the same ticket fired at start (its escalation) is
      // written in its own batch from the same state, and a snapshot would miss it.
      sub.ops = ticket_rows(&before, after, drafts.size(), 0, unused);
      sub.events = std::move(drafts);
    } else {
      arm.push_back(std::move(key));
      return true;
    }
    submit_now(std::move(sub));
    return true;
  });
  if (!timers)
    return timers.take_error();
  for (std::size_t i = 0; i < pending.size(); ++i) {
    auto r = pending[i].get();
    if (!r)
      return r.take_error();
    for (auto& ev : r.value())
      rs.apply(ev);
    stats_.timers_fired += r.value().empty() ? 0 : 1; // a timer that wrote something
  }

  struct seed {
    company_data data;
    std::shared_ptr<ndr::link_index> ndr = std::make_shared<ndr::link_index>();
  };
  std::unordered_map<std::string, seed> seeds;
  {
    std::unordered_map<std::string, std::vector<tickets::ticket>> by_company;
    for (auto& [id, t] : tix) {
      if (t.id.empty())
        continue;
      seeds[t.company_id].data.shipments.add(t.shipment_id, t.id);
      by_company[t.company_id].push_back(std::move(t));
    }
    for (auto& [company, ts] : by_company)
      seeds[company].data.tickets.put_new(std::move(ts));
  }
  for (auto& [id, c] : rs.calls) {
    if (c.id.empty())
      continue;
    auto& s = seeds[c.company_id];
    s.data.shipments.add(c.shipment_id, c.id);
    s.data.calls.put(std::move(c));
  }
  stats_.calls = rs.calls.size();
  rs.calls.clear();
  for (auto& [id, r] : rs.reps) {
    if (r.id.empty())
      continue;
    seeds[r.company_id].data.roster.put(std::move(r));
  }
  for (auto& [id, l] : rs.leads)
    if (!l.id.empty())
      seeds[l.company_id].data.leads.put(std::move(l));
  stats_.leads = rs.leads.size();
  rs.leads.clear();
  for (auto& [id, x] : rs.disputes) {
    if (x.id.empty())
      continue;
    auto& s = seeds[x.company_id];
    s.data.shipments.add(x.shipment_id, x.id);
    s.data.disputes.put(std::move(x));
  }
  stats_.disputes = rs.disputes.size();
  rs.disputes.clear();
  {
    auto start = std::make_shared<notifier_start>();
    for (auto& [id, n] : rs.notifications)
      if (!n.id.empty())
        start->outbox.push_back(std::move(n));
    stats_.notifications = start->outbox.size();
    rs.notifications.clear();
    start->templates = std::move(rs.templates);
    start->cursor = notify_cursor;
    start->last_summary = last_summary;
    env_.notifier = system_->spawn<caf::detached>(notifier_actor, &env_, std::move(start));
    // It takes what the journal writes from now on (stashed until its catch-up), before any
    // company actor can write: nothing is written between the catch-up's end and the tap.
    auto notifier = env_.notifier;
    journal_->set_tap([](const event_draft& d) { return may_notify(d.type); },
                      [notifier](std::vector<event> evs) { caf::anon_send(notifier, notify_events{std::move(evs)}); });
  }
  for (auto& [company, on] : rs.assign_tickets)
    seeds[company].data.assign_tickets = on;
  stats_.reps = rs.reps.size();
  rs.reps.clear();
  stats_.tickets = tix.size();
  tix.clear();
  for (auto& [company, m] : ndrs) {
    auto& s = seeds[company];
    for (auto& [ndr_id, ids] : m) {
      s.data.shipments.add(ids.shipment, ndr_id);
      s.ndr->put(ndr_id, ndr::link{std::move(ids.ticket), std::move(ids.call)});
    }
  }
  for (auto& [company, s] : seeds) {
    auto view = std::make_shared<company_view>(std::move(s.data));
    dir_->adopt(company, directory::entry{system_->spawn(company_actor, &env_, company, view, s.ndr), view});
  }
  stats_.companies = seeds.size();
  for (auto& k : arm)
    caf::anon_send(env_.timers, arm_timer{std::move(k)});
  stats_.timers_armed = arm.size();
  ::malloc_trim(0); // recovery's scratch state is gone: give the pages back
  stats_.took_ms = clk_.steady_now() - t0;
  return true;
}

void runtime::shutdown() {
  if (stopped_)
    return;
  stopped_ = true;
  // Any part may be missing when start() failed half way.
  if (journal_) {
    journal_->stop();
    journal_->set_tap(nullptr, nullptr); // it holds the notifier
    // Every write is in: the next start opens tables instead of replaying the whole log.
    if (store_)
      if (auto r = store_->flush(); !r)
        log_->warn("{} (nothing is lost; the next start replays the write-ahead log)", r.err().message);
  }
  if (!system_)
    return;
  if (dir_)
    for (auto& a : dir_->all())
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  if (env_.timers)
    caf::anon_send_exit(env_.timers, caf::exit_reason::user_shutdown);
  if (audit_)
    caf::anon_send_exit(audit_, caf::exit_reason::user_shutdown);
  if (loader_)
    caf::anon_send_exit(loader_, caf::exit_reason::user_shutdown);
  if (performance_)
    caf::anon_send_exit(performance_, caf::exit_reason::user_shutdown);
  if (env_.notifier)
    caf::anon_send_exit(env_.notifier, caf::exit_reason::user_shutdown);
  system_->await_all_actors_done();
  // Unfinished transfers end with "shut down"; their callbacks hold the notifier, which the
  // actor system waits for when it is destroyed.
  env_.courier = nullptr;
  courier_.reset();
  if (dir_)
    dir_->clear();
  env_.timers = nullptr;
  env_.audit = nullptr;
  audit_ = nullptr;
  loader_ = nullptr;
  env_.loader = nullptr;
  performance_ = nullptr;
  env_.performance = nullptr;
  env_.notifier = nullptr;
}

runtime::runtime(const crm::clock& clk) : clk_(clk) {}

runtime::~runtime() {
  shutdown();
}

} // namespace crm::actors
