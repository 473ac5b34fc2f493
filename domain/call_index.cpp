#include "domain/call_index.hpp"

#include <algorithm>

#include "domain/paging.hpp"
#include "domain/ticket_index.hpp"

namespace crm::calls {

const call_log& call_index::put(call_log c) {
  auto [it, fresh] = calls_.try_emplace(c.id);
  if (fresh) {
    it->second = std::move(c);
    // A new call is nearly always the newest: hinted at the end, no walk down the tree.
    by_created_.emplace_hint(by_created_.end(),
                             std::make_pair(it->second.created_at, tickets::id_number(it->first)), &it->second);
    if (!it->second.shipment_id.empty())
      by_shipment_[it->second.shipment_id].push_back(it->first);
  } else {
    auto& old = it->second;
    if (old.assigned_to != c.assigned_to && !old.assigned_to.empty()) {
      auto r = by_rep_.find(old.assigned_to);
      if (r != by_rep_.end() && (r->second.erase(it->first), r->second.empty()))
        by_rep_.erase(r);
    }
    if (old.created_at != c.created_at) { // not expected (createdAt never changes), but kept exact
      by_created_.erase(std::make_pair(old.created_at, tickets::id_number(it->first)));
      by_created_.emplace(std::make_pair(c.created_at, tickets::id_number(it->first)), &it->second);
    }
    if (old.shipment_id != c.shipment_id && !c.shipment_id.empty())
      by_shipment_[c.shipment_id].push_back(it->first);
    old = std::move(c);
  }
  if (!it->second.assigned_to.empty())
    by_rep_[it->second.assigned_to].insert(it->first);
  return it->second;
}

const call_log* call_index::find(const std::string& id) const {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : &it->second;
}

const std::unordered_set<std::string>* call_index::of_rep(const std::string& rep) const {
  auto it = by_rep_.find(rep);
  return it == by_rep_.end() ? nullptr : &it->second;
}

list_page call_index::list(const list_query& q) const {
  auto match = [](const std::vector<std::string>& want, std::string_view v) {
    return want.empty() || std::find(want.begin(), want.end(), v) != want.end()
           || (v.empty() && std::find(want.begin(), want.end(), "null") != want.end());
  };
  auto keep = [&](const call_log& c) {
    return match(q.status, to_string(c.st)) && match(q.assigned_to, c.assigned_to)
           && match(q.shipment_id, c.shipment_id);
  };
  list_page out;
  out.page = q.page;
  out.limit = q.limit;
  // The sort key: the requested time, then the number (the order of by_created_).
  bool by_created = q.sort_by == "createdAt";
  auto key = [by_created](const call_log* c) {
    return std::make_pair(by_created ? c->created_at : c->updated_at, tickets::id_number(c->id));
  };
  auto sorted_page = [&](std::vector<const call_log*>& hits) {
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
    std::unordered_set<const call_log*> seen;
    std::vector<const call_log*> hits;
    auto consider = [&](const std::string& id) {
      auto* c = find(id);
      if (c && keep(*c) && seen.insert(c).second)
        hits.push_back(c);
    };
    if (named(q.shipment_id)) {
      for (auto& s : q.shipment_id)
        if (auto it = by_shipment_.find(s); it != by_shipment_.end())
          for (auto& id : it->second)
            consider(id);
    } else {
      for (auto& r : q.assigned_to)
        if (auto* ids = of_rep(r))
          for (auto& id : *ids)
            consider(id);
    }
    return sorted_page(hits);
  }
  auto from = static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.limit);
  auto to = from + static_cast<std::size_t>(q.limit);
  if (by_created) {
    // Already in order: count the matches, keep the page's.
    auto visit = [&](const call_log* c) {
      if (!keep(*c))
        return;
      if (out.total >= from && out.total < to)
        out.items.push_back(*c);
      ++out.total;
    };
    if (q.descending)
      for (auto it = by_created_.rbegin(); it != by_created_.rend(); ++it)
        visit(it->second);
    else
      for (auto& [k, c] : by_created_)
        visit(c);
    return out;
  }
  std::vector<const call_log*> hits;
  for (auto& [k, c] : by_created_)
    if (keep(*c))
      hits.push_back(c);
  return sorted_page(hits);
}

} // namespace crm::calls
