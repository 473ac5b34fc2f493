#include "domain/outbox_index.hpp"

#include <algorithm>

#include "domain/ticket_index.hpp"

namespace crm::notifications {

namespace {

template <class T>
bool one_of(const std::vector<T>& set, const T& v) {
  return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
}

} // namespace

std::vector<std::string> outbox_index::put(notification n) {
  const auto num = tickets::id_number(n.id);
  auto [it, fresh] = notifications_.try_emplace(num);
  auto& slot = it->second;
  if (!fresh) {
    by_created_.erase(key{slot.created_at, num});
    finished_.erase(key{slot.created_at, num});
    if (waiting(slot))
      due_[static_cast<int>(slot.ch)].erase(key{*slot.next_attempt_at, num});
  }
  slot = std::move(n);
  if (slot.st == status::sent || slot.queued_seq != 0) { // in the log: read from there when tried
    slot.subject = std::string();
    slot.body = std::string();
  }
  by_created_.emplace(key{slot.created_at, num}, &slot);
  if (waiting(slot))
    due_[static_cast<int>(slot.ch)].emplace(*slot.next_attempt_at, num);
  std::vector<std::string> dropped;
  if (slot.st == status::pending)
    return dropped;
  finished_.emplace(slot.created_at, num);
  while (finished_.size() > keep_finished_) {
    auto oldest = finished_.begin();
    auto gone = notifications_.find(oldest->second);
    dropped.push_back(std::move(gone->second.id));
    by_created_.erase(*oldest);
    notifications_.erase(gone);
    finished_.erase(oldest);
  }
  return dropped;
}

const notification* outbox_index::find(const std::string& id) const {
  auto it = notifications_.find(tickets::id_number(id));
  if (it == notifications_.end() || it->second.id != id)
    return nullptr;
  return &it->second;
}

list_page outbox_index::list(const list_query& q) const {
  const bool filtered = !q.statuses.empty() || !q.channels.empty();
  const auto page = static_cast<std::size_t>(std::max(q.page, 1));
  const auto want = static_cast<std::size_t>(std::max(q.limit, 0));
  const std::size_t skip = (page - 1) * want;
  list_page out;
  std::size_t matched = 0;
  for (auto it = by_created_.rbegin(); it != by_created_.rend(); ++it) {
    const notification& n = *it->second;
    if (!one_of(q.statuses, n.st) || !one_of(q.channels, n.ch))
      continue;
    if (matched >= skip && out.items.size() < want)
      out.items.push_back(n);
    ++matched;
    if (!filtered && out.items.size() >= want && matched >= skip)
      break;
  }
  out.total = filtered ? matched : notifications_.size();
  return out;
}

std::vector<std::string> outbox_index::due(millis now, std::size_t limit) const {
  std::vector<key> keys;
  for (auto& set : due_) { // each channel's first `limit`, then the first `limit` of them all
    std::size_t taken = 0;
    for (auto it = set.begin(); it != set.end() && it->first <= now && taken < limit; ++it, ++taken)
      keys.push_back(*it);
  }
  std::sort(keys.begin(), keys.end());
  if (keys.size() > limit)
    keys.resize(limit);
  std::vector<std::string> out;
  for (auto& k : keys)
    out.push_back(notifications_.at(k.second).id);
  return out;
}

std::vector<std::string> outbox_index::due(millis now, std::size_t limit, channel ch) const {
  std::vector<std::string> out;
  auto& set = due_[static_cast<int>(ch)];
  for (auto it = set.begin(); it != set.end() && it->first <= now && out.size() < limit; ++it)
    out.push_back(notifications_.at(it->second).id);
  return out;
}

} // namespace crm::notifications
