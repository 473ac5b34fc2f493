#include "domain/dispute_index.hpp"

#include <algorithm>

#include "domain/ticket_index.hpp"

namespace crm::disputes {

namespace {

template <class T>
bool one_of(const std::vector<T>& set, const T& v) {
  return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
}

bool refunded(const dispute& d) {
  return d.res == resolution::refund && d.refund_paise && d.resolved_at;
}

} // namespace

bool parse_sort(std::string_view s, list_query& q) {
  bool desc = !s.empty() && s.front() == '-';
  if (desc)
    s.remove_prefix(1);
  if (s != "createdAt" && s != "updatedAt" && s != "claimAmount")
    return false;
  q.sort_by = std::string(s);
  q.descending = desc;
  return true;
}

std::string to_json(const metrics& m) {
  return json::object([&](json::writer& w) {
    w.Key("byType");
    w.StartObject();
    for (int i = 0; i < type_count; ++i) {
      w.Key(to_string(static_cast<type>(i)));
      w.Uint64(m.by_type[i]);
    }
    w.EndObject();
    w.Key("byStatus");
    w.StartObject();
    for (int i = 0; i < status_count; ++i) {
      w.Key(to_string(static_cast<status>(i)));
      w.Uint64(m.by_status[i]);
    }
    w.EndObject();
    w.Key("avgResolutionMs");
    if (m.avg_resolution_ms)
      w.Int64(static_cast<std::int64_t>(*m.avg_resolution_ms + 0.5));
    else
      w.Null();
    json::kv_money(w, "refundTotal", m.refund_total_paise);
  });
}

void dispute_index::insert(const std::shared_ptr<const dispute>& p) {
  const dispute& d = *p;
  auto n = tickets::id_number(d.id);
  disputes_[n] = p;
  by_created_.emplace(key{d.created_at, n}, &d);
  by_updated_.emplace(key{d.updated_at, n}, &d);
  by_claim_.emplace(key{d.claim_paise, n}, &d);
  ++running_.by_type[static_cast<int>(d.t)];
  ++running_.by_status[static_cast<int>(d.st)];
  if (d.resolved_at) {
    resolution_ms_ += *d.resolved_at - d.created_at;
    ++resolved_;
  }
  if (refunded(d))
    running_.refund_total_paise += *d.refund_paise;
}

void dispute_index::erase(const dispute& d) {
  auto n = tickets::id_number(d.id);
  by_created_.erase(key{d.created_at, n});
  by_updated_.erase(key{d.updated_at, n});
  by_claim_.erase(key{d.claim_paise, n});
  --running_.by_type[static_cast<int>(d.t)];
  --running_.by_status[static_cast<int>(d.st)];
  if (d.resolved_at) {
    resolution_ms_ -= *d.resolved_at - d.created_at;
    --resolved_;
  }
  if (refunded(d))
    running_.refund_total_paise -= *d.refund_paise;
}

void dispute_index::put(dispute d) {
  auto fresh = std::make_shared<const dispute>(std::move(d));
  auto it = disputes_.find(tickets::id_number(fresh->id));
  if (it != disputes_.end()) {
    auto old = it->second; // keeps the old copy alive while its keys are erased
    erase(*old);
  }
  insert(fresh);
}

std::shared_ptr<const dispute> dispute_index::find(const std::string& id) const {
  auto it = disputes_.find(tickets::id_number(id));
  if (it == disputes_.end() || it->second->id != id)
    return nullptr;
  return it->second;
}

list_page dispute_index::list(const list_query& q) const {
  const auto& order = q.sort_by == "updatedAt"     ? by_updated_
                      : q.sort_by == "claimAmount" ? by_claim_
                                                   : by_created_;
  const bool filtered = !q.statuses.empty() || !q.types.empty() || q.stalled.has_value();
  auto keep = [&](const dispute& d) {
    return one_of(q.statuses, d.st) && one_of(q.types, d.t)
           && (!q.stalled || stalled(d, q.now, q.stall_after) == *q.stalled);
  };
  list_page out;
  const std::size_t skip = static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.limit);
  const std::size_t want = static_cast<std::size_t>(q.limit);
  std::size_t matched = 0;
  // Visits disputes in page order; false once the page is full and nothing is left to count.
  auto take = [&](const dispute* d) {
    if (!keep(*d))
      return true;
    if (matched >= skip && out.items.size() < want)
      out.items.push_back(disputes_.at(tickets::id_number(d->id)));
    ++matched;
    return filtered || out.items.size() < want;
  };
  if (q.descending) {
    for (auto it = order.rbegin(); it != order.rend() && take(it->second); ++it) {
    }
  } else {
    for (auto it = order.begin(); it != order.end() && take(it->second); ++it) {
    }
  }
  out.total = filtered ? matched : disputes_.size();
  return out;
}

metrics dispute_index::compute(std::optional<millis> from, std::optional<millis> to) const {
  if (!from && !to) {
    metrics m = running_;
    if (resolved_ > 0)
      m.avg_resolution_ms = static_cast<double>(resolution_ms_) / static_cast<double>(resolved_);
    return m;
  }
  metrics m;
  std::int64_t resolution_ms = 0;
  std::uint64_t resolved = 0;
  for (auto& [n, p] : disputes_) {
    const dispute& d = *p;
    if ((from && d.created_at < *from) || (to && d.created_at > *to))
      continue;
    ++m.by_type[static_cast<int>(d.t)];
    ++m.by_status[static_cast<int>(d.st)];
    if (d.resolved_at) {
      resolution_ms += *d.resolved_at - d.created_at;
      ++resolved;
    }
    if (refunded(d))
      m.refund_total_paise += *d.refund_paise;
  }
  if (resolved > 0)
    m.avg_resolution_ms = static_cast<double>(resolution_ms) / static_cast<double>(resolved);
  return m;
}

} // namespace crm::disputes
