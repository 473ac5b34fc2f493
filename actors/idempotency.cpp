#include "actors/idempotency.hpp"

#include "storage/store.hpp"

#include "domain/json.hpp"

namespace crm::actors {

namespace {
thread_local simdjson::dom::parser tl_parser;
}

idempotency_store::verdict idempotency_store::begin(const std::string& company,
                                                    const std::string& key,
                                                    const std::string& fingerprint, answer& out) {
  auto k = storage::idempotency_key(company, key);
  auto now = clk_.wall_now();
  bool prune_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    prune_now = ++claims_ % prune_every == 0;
  }
  if (prune_now)
    prune();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(k);
  if (it == map_.end()) {
    auto& n = per_company_[company];
    if (n >= max_per_company)
      return verdict::full;
    ++n;
    map_.emplace(k, record{company, fingerprint, 0, {}, now, false});
    return verdict::proceed;
  }
  if (it->second.done && now - it->second.at > ttl) {
    it->second = record{company, fingerprint, 0, {}, now, false};
    return verdict::proceed;
  }
  if (it->second.fingerprint != fingerprint)
    return verdict::mismatch;
  if (!it->second.done)
    return verdict::in_progress;
  out = answer{it->second.status, it->second.body};
  return verdict::replay;
}

void idempotency_store::complete(const std::string& company, const std::string& key, int status,
                                 const std::string& body, std::function<void()> after) {
  auto k = storage::idempotency_key(company, key);
  record rec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(k);
    if (it == map_.end())
      return after(); // pruned meanwhile: nothing to keep
    auto& r = it->second;
    r.status = status;
    r.body = body.size() <= max_body ? body : std::string();
    r.done = true;
    rec = r;
  }
  auto value = encode_idempotency_record(rec.fingerprint, rec.status, rec.body, rec.at);
  storage::submission s;
  s.ops.push_back({storage::cf::indexes, false, k, std::move(value), false});
  s.done = [after = std::move(after)](result<std::vector<event>>) { after(); };
  journal_.submit(std::move(s));
}

void idempotency_store::abandon(const std::string& company, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_.find(storage::idempotency_key(company, key));
  if (it != map_.end() && !it->second.done) {
    forget(it->second.company);
    map_.erase(it);
  }
}

std::size_t idempotency_store::prune() {
  auto now = clk_.wall_now();
  storage::submission s;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = map_.begin(); it != map_.end();) {
    if (it->second.done && now - it->second.at > ttl) {
      s.ops.push_back({storage::cf::indexes, true, it->first, {}, false});
      forget(it->second.company);
      it = map_.erase(it);
    } else {
      ++it;
    }
  }
  auto n = s.ops.size();
  // Queued under the lock: a claim of the same key made after this prune writes its record in
  // a later batch, which this delete cannot overtake.
  if (n)
    journal_.submit(std::move(s));
  return n;
}

void idempotency_store::forget(const std::string& company) {
  auto it = per_company_.find(company);
  if (it != per_company_.end() && --it->second == 0)
    per_company_.erase(it);
}

std::size_t idempotency_store::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return map_.size();
}

result<bool> idempotency_store::recover(const storage::store& db) {
  auto now = clk_.wall_now();
  std::lock_guard<std::mutex> lock(mu_);
  storage::submission expired; // records that expired while the server was down
  auto scanned = db.scan(storage::cf::indexes, storage::idempotency_rows, [&](std::string_view k, std::string_view v) {
    simdjson::dom::element d;
    if (tl_parser.parse(v.data(), v.size()).get(d))
      return true;
    record r;
    std::string_view s;
    std::int64_t n = 0;
    if (d["fingerprint"].get(s))
      return true;
    r.fingerprint = s;
    if (!d["status"].get(n))
      r.status = static_cast<int>(n);
    if (!d["body"].get(s))
      r.body = s;
    if (!d["at"].get(n))
      r.at = n;
    r.done = true;
    auto rest = k.substr(storage::idempotency_rows.size());
    if (!storage::get_lp(rest, r.company))
      return true;
    if (now - r.at > ttl)
      expired.ops.push_back({storage::cf::indexes, true, std::string(k), {}, false});
    else if (map_.emplace(std::string(k), r).second)
      ++per_company_[r.company];
    return true;
  });
  if (scanned && !expired.ops.empty())
    journal_.submit(std::move(expired));
  return scanned;
}

} // namespace crm::actors
