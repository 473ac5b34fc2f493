#include "domain/dispatch.hpp"

namespace crm::dispatch {

void board::unlist(const std::string& id, const rep_state& r) {
  auto k = key_of(id, r);
  ready_.erase(k);
  if (auto it = ready_by_territory_.find(r.territory); it != ready_by_territory_.end()) {
    it->second.erase(k);
    if (it->second.empty())
      ready_by_territory_.erase(it);
  }
}

void board::list(const std::string& id, const rep_state& r) {
  if (!takes(r))
    return;
  auto k = key_of(id, r);
  ready_.insert(k);
  ready_by_territory_[r.territory].insert(k);
}

void board::put_rep(const std::string& id, const std::string& territory, bool eligible,
                    std::optional<std::int64_t> capacity) {
  auto& r = reps_[id];
  unlist(id, r);
  r.territory = territory;
  r.eligible = eligible;
  r.capacity = capacity;
  list(id, r);
}

void board::set_open(const std::string& rep, std::int64_t open) {
  auto& r = reps_[rep];
  unlist(rep, r);
  r.open = open < 0 ? 0 : open;
  list(rep, r);
}

void board::release(const std::string& rep) {
  auto it = reps_.find(rep);
  if (it == reps_.end())
    return;
  unlist(rep, it->second);
  if (it->second.open > 0)
    --it->second.open;
  list(rep, it->second);
}

std::int64_t board::open(const std::string& rep) const {
  auto it = reps_.find(rep);
  return it == reps_.end() ? 0 : it->second.open;
}

bool board::can_take(const std::string& rep) const {
  auto it = reps_.find(rep);
  return it != reps_.end() && takes(it->second);
}

void board::enqueue(const std::string& work, const std::string& territory) {
  if (queued_.count(work))
    return;
  if (dropped_.erase(work)) {
    // Still in the deque from before: it keeps its old place.
    queued_.insert(work);
    return;
  }
  queued_.insert(work);
  queue_.push_back({work, territory});
}

bool board::drop(const std::string& work) {
  if (!queued_.erase(work))
    return false;
  dropped_.insert(work);
  return true;
}

std::optional<std::string> board::pick(const std::string& territory) const {
  if (!territory.empty())
    if (auto it = ready_by_territory_.find(territory); it != ready_by_territory_.end() && !it->second.empty())
      return std::get<2>(*it->second.begin());
  if (ready_.empty())
    return std::nullopt;
  return std::get<2>(*ready_.begin());
}

std::vector<assignment> board::drain() {
  std::vector<assignment> out;
  while (!queue_.empty() && !ready_.empty()) {
    auto next = std::move(queue_.front());
    queue_.pop_front();
    if (dropped_.erase(next.work))
      continue;
    auto rep = pick(next.territory);
    auto& r = reps_[*rep];
    unlist(*rep, r);
    ++r.open;
    r.last = ++tick_;
    list(*rep, r);
    queued_.erase(next.work);
    out.push_back({std::move(next.work), std::move(*rep)});
  }
  // Drop tombstones at the front so queued() stays exact and memory bounded.
  while (!queue_.empty() && dropped_.count(queue_.front().work)) {
    dropped_.erase(queue_.front().work);
    queue_.pop_front();
  }
  return out;
}

} // namespace crm::dispatch
