#include "domain/dispatch.hpp"

namespace crm::dispatch {

void board::unlist(const std::string& id, const rep_state& r) {
  auto k = key_of(id, r);
  ready_.erase(k);
  for (int i = 0; i < skills; ++i)
    if (r.skill_mask & (1u << i))
      ready_by_skill_[i].erase(k);
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
  for (int i = 0; i < skills; ++i)
    if (r.skill_mask & (1u << i))
      ready_by_skill_[i].insert(k);
}

void board::put_rep(const std::string& id, const std::string& territory, bool eligible,
                    std::optional<std::int64_t> capacity, unsigned skill_mask) {
  auto& r = reps_[id];
  unlist(id, r);
  r.territory = territory;
  r.eligible = eligible;
  r.capacity = capacity;
  r.skill_mask = skill_mask;
  list(id, r);
}

void board::take(const std::string& rep) {
  auto& r = reps_[rep];
  unlist(rep, r);
  ++r.open;
  list(rep, r);
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

void board::enqueue_skilled(const std::string& work, int skill) {
  if (skill < 0 || skill >= skills || queued_.count(work))
    return;
  if (dropped_.erase(work)) {
    queued_.insert(work);
    return;
  }
  queued_.insert(work);
  skilled_[skill].push_back(work);
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

void board::assign_to(const std::string& rep, std::string work, std::vector<assignment>& out) {
  auto& r = reps_[rep];
  unlist(rep, r);
  ++r.open;
  r.last = ++tick_;
  list(rep, r);
  queued_.erase(work);
  out.push_back({std::move(work), rep});
}

std::vector<assignment> board::drain() {
  std::vector<assignment> out;
  while (!queue_.empty() && !ready_.empty()) {
    auto next = std::move(queue_.front());
    queue_.pop_front();
    if (dropped_.erase(next.work))
      continue;
    auto rep = pick(next.territory);
    assign_to(*rep, std::move(next.work), out);
  }
  for (int s = 0; s < skills; ++s) {
    auto& q = skilled_[s];
    while (!q.empty() && !ready_by_skill_[s].empty()) {
      auto work = std::move(q.front());
      q.pop_front();
      if (dropped_.erase(work))
        continue;
      auto rep = std::get<2>(*ready_by_skill_[s].begin());
      assign_to(rep, std::move(work), out);
    }
    while (!q.empty() && dropped_.count(q.front())) {
      dropped_.erase(q.front());
      q.pop_front();
    }
  }
  // Drop tombstones at the front so memory stays bounded.
  while (!queue_.empty() && dropped_.count(queue_.front().work)) {
    dropped_.erase(queue_.front().work);
    queue_.pop_front();
  }
  return out;
}

} // namespace crm::dispatch
