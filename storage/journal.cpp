#include "storage/journal.hpp"

#include "storage/store.hpp"

#include <pthread.h>

#include <future>

#include <rocksdb/write_batch.h>

#include "domain/text.hpp"

namespace crm::storage {

journal::journal(store& s, journal_options opts, std::function<void(std::size_t)> on_batch)
  : store_(s), opts_(opts), on_batch_(std::move(on_batch)) {
  auto last = store_.last_event();
  if (last) {
    last_seq_ = last->first;
    last_hash_ = last->second;
  } else {
    broken_ = last.err().message; // every submission fails: the chain cannot go on unseen
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "crm-journal"); // per-thread CPU in bench/thread_cpu.sh
    run();
  });
}

journal::~journal() {
  stop();
}

void journal::submit(submission s) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      queued_events_ += s.events.size();
      queue_.push_back(std::move(s));
      cv_.notify_one();
      return;
    }
  }
  if (s.done)
    s.done(error{errc::unavailable, "the server is shutting down"});
}

void journal::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable())
    thread_.join();
}

void journal::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return (queue_.empty() && !writing_) || !thread_.joinable(); });
}

std::uint64_t journal::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_;
}

std::string journal::last_hash() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_hash_;
}

void journal::run() {
  std::vector<submission> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_)
        break;
      if (opts_.max_delay.count() > 0 && !stopping_ && queued_events_ < opts_.max_batch_events)
        cv_.wait_for(lock, opts_.max_delay,
                     [&] { return stopping_ || queued_events_ >= opts_.max_batch_events; });
      std::size_t events = 0;
      while (!queue_.empty() && (batch.empty() || events < opts_.max_batch_events)) {
        events += queue_.front().events.size();
        queued_events_ -= queue_.front().events.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      writing_ = true;
    }
    write_batch(batch);
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(mu_);
      writing_ = false;
      if (queue_.empty())
        idle_cv_.notify_all();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  idle_cv_.notify_all();
}

namespace {

/// What recovery could not read back: nullopt when every event of `s` decodes.
std::optional<std::string> unreadable(const submission& s) {
  for (auto& d : s.events) {
    for (auto* f : {&d.company_id, &d.entity, &d.type, &d.actor, &d.data})
      if (!valid_utf8(*f))
        return "an event of " + printable(d.entity) + " holds bytes that are not UTF-8";
    if (!d.data.empty() && (d.data.front() != '{' || d.data.back() != '}'))
      return "the data of an event of " + printable(d.entity) + " is not a JSON object";
  }
  return std::nullopt;
}

} // namespace

void journal::write_batch(std::vector<submission>& batch) {
  if (!broken_.empty()) {
    for (auto& sub : batch)
      if (sub.done)
        sub.done(error{errc::unavailable, "the event log cannot be written: " + broken_});
    return;
  }
  // Refused submissions leave the batch before any seq is given out.
  std::erase_if(batch, [](submission& sub) {
    auto why = unreadable(sub);
    if (!why)
      return false;
    if (sub.done)
      sub.done(error{errc::invalid, "refused to store: " + *why});
    return true;
  });
  if (!wb_ || wb_->GetDataSize() > (8u << 20)) // a huge batch's buffer is not kept
    wb_ = std::make_unique<rocksdb::WriteBatch>();
  else
    wb_->Clear();
  rocksdb::WriteBatch& wb = *wb_;
  std::uint64_t seq;
  std::string hash;
  std::shared_ptr<const tap> tap;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seq = last_seq_;
    hash = last_hash_;
    tap = tap_;
  }
  std::vector<event> tapped;
  std::vector<std::vector<event>> stored(batch.size());
  std::size_t total = 0;
  auto h = [&](cf c) { return store_.handle(c); };
  // A company's index rows: one per run of its consecutive events in the batch (a group commit
  // under one company's load is one run), keyed by the run's first seq, valued by its length.
  std::string run_company;
  std::uint64_t run_first = 0, run_count = 0;
  auto end_run = [&] {
    if (run_count > 0)
      wb.Put(h(cf::indexes), company_prefix(run_company) + be64(run_first),
             run_count == 1 ? std::string() : be64(run_count));
    run_count = 0;
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& sub = batch[i];
    for (auto& d : sub.events) {
      ++seq;
      auto canonical = canonical_json(seq, d);
      auto next = chain_hash(hash, canonical);
      auto key = be64(seq);
      wb.Put(h(cf::events), key, encode_stored(canonical, hash, next));
      wb.Put(h(cf::indexes), entity_prefix(d.entity) + key, rocksdb::Slice());
      if (run_count == 0 || d.company_id != run_company) {
        end_run();
        run_company = d.company_id;
        run_first = seq;
      }
      ++run_count;
      const bool picked = tap && tap->pick(d);
      // The draft is not needed again: its strings move into the stored event.
      event e{seq, d.at, std::move(d.company_id), std::move(d.entity), std::move(d.type),
              std::move(d.actor), std::move(d.data), std::move(hash), next};
      if (picked)
        tapped.push_back(e);
      hash = std::move(next);
      stored[i].push_back(std::move(e));
      ++total;
    }
    if (sub.idem && sub.idem->answer && !stored[i].empty()) {
      auto [status, body] = sub.idem->answer(stored[i]);
      wb.Put(h(cf::indexes), sub.idem->row_key,
             encode_idempotency_record(sub.idem->fingerprint, status, body, sub.idem->at));
    }
    for (auto& op : sub.ops) {
      if (op.erase) {
        wb.Delete(h(op.family), op.key);
      } else if (op.stamp_last_seq) {
        wb.Put(h(op.family), op.key, be64(seq) + op.value);
      } else {
        wb.Put(h(op.family), op.key, op.value);
      }
    }
  }
  end_run();
  rocksdb::WriteOptions wo;
  wo.sync = opts_.sync;
  auto st = store_.db().Write(wo, &wb);
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    last_seq_ = seq;
    last_hash_ = hash;
  }
  if (on_batch_ && st.ok())
    on_batch_(total);
  if (st.ok() && !tapped.empty())
    tap->send(std::move(tapped));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].done)
      continue;
    if (st.ok())
      batch[i].done(std::move(stored[i]));
    else
      batch[i].done(error{errc::unavailable, "event log write failed: " + st.ToString()});
  }
}

void journal::set_tap(pick_fn pick, tap_fn send) {
  std::shared_ptr<const tap> t;
  if (pick && send)
    t = std::make_shared<const tap>(tap{std::move(pick), std::move(send)});
  std::lock_guard<std::mutex> lock(mu_);
  tap_ = std::move(t);
}

result<std::vector<event>> submit_and_wait(journal& j, submission s) {
  auto p = std::make_shared<std::promise<result<std::vector<event>>>>();
  auto f = p->get_future();
  s.done = [p](result<std::vector<event>> r) { p->set_value(std::move(r)); };
  j.submit(std::move(s));
  return f.get();
}

} // namespace crm::storage
