#include "domain/lead_index.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "domain/ticket_index.hpp"

namespace crm::leads {

namespace {

template <class T, class U>
bool has(const std::vector<T>& set, const U& v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

constexpr std::uint32_t no_name = std::numeric_limits<std::uint32_t>::max();

/// What leads::count adds for one lead (times `by`: 1 or -1): every stage up to the furthest
/// of prospect..won it reached, and lost when it is lost now.
template <class Row>
void add_reached(std::array<std::uint64_t, status_count>& c, const Row& r, int by) {
  auto reached = std::min(static_cast<int>(r.furthest), static_cast<int>(status::won));
  for (int s = 0; s <= reached; ++s)
    c[s] += static_cast<std::uint64_t>(by);
  if (r.st == status::lost)
    c[static_cast<int>(status::lost)] += static_cast<std::uint64_t>(by);
}

} // namespace

bool parse_sort(std::string_view s, list_query& q) {
  bool desc = !s.empty() && s.front() == '-';
  if (desc)
    s.remove_prefix(1);
  if (s != "createdAt" && s != "updatedAt" && s != "score" && s != "estimatedValue")
    return false;
  q.sort_by = std::string(s);
  q.descending = desc;
  return true;
}

lead_index::row lead_index::row_of(const lead& l) {
  auto id = [&](const std::string& name) -> std::uint32_t {
    if (name.empty())
      return 0;
    return names_.try_emplace(name, static_cast<std::uint32_t>(names_.size() + 1)).first->second;
  };
  row r;
  r.created_at = l.created_at;
  r.updated_at = l.updated_at;
  r.value = l.estimated_value_paise;
  r.score = l.score;
  r.number = tickets::id_number(l.id);
  r.territory = id(l.territory);
  r.assignee = id(l.assigned_to);
  r.st = l.st;
  r.src = l.src;
  r.furthest = l.furthest;
  if (by_territory_.size() <= names_.size()) {
    by_territory_.resize(names_.size() + 1);
    by_assignee_.resize(names_.size() + 1);
    in_territory_.resize(names_.size() + 1);
    of_assignee_.resize(names_.size() + 1);
  }
  return r;
}

namespace {

void add_slot(std::vector<std::uint32_t>& v, std::uint32_t slot) {
  if (v.empty() || v.back() < slot) // a new lead: the highest slot yet
    return v.push_back(slot);
  auto it = std::lower_bound(v.begin(), v.end(), slot);
  if (it == v.end() || *it != slot)
    v.insert(it, slot);
}

void remove_slot(std::vector<std::uint32_t>& v, std::uint32_t slot) {
  auto it = std::lower_bound(v.begin(), v.end(), slot);
  if (it != v.end() && *it == slot)
    v.erase(it);
}

} // namespace

void lead_index::post(std::uint32_t slot, const row* before, const row& after) {
  if (!before || before->territory != after.territory) {
    if (before)
      remove_slot(in_territory_[before->territory], slot);
    add_slot(in_territory_[after.territory], slot);
  }
  if (!before || before->assignee != after.assignee) {
    if (before)
      remove_slot(of_assignee_[before->assignee], slot);
    add_slot(of_assignee_[after.assignee], slot);
  }
  if (!before || before->src != after.src) {
    if (before)
      remove_slot(of_source_[static_cast<std::size_t>(before->src)], slot);
    add_slot(of_source_[static_cast<std::size_t>(after.src)], slot);
  }
}

void lead_index::tally(const lead& l, const row& r, std::uint64_t n, bool add) {
  const auto st = static_cast<std::size_t>(r.st);
  auto bump = [&](counts& c) {
    if (add)
      c[st] += 1;
    else if (c[st] > 0)
      c[st] -= 1;
  };
  bump(all_);
  add_reached(reached_, r, add ? 1 : -1);
  bump(by_source_[static_cast<std::size_t>(r.src)]);
  bump(by_territory_[r.territory]);
  bump(by_assignee_[r.assignee]);
  if (!is_open(r.st))
    return;
  mark(open_phone_, phone_key(l.phone), n, add);
  mark(open_email_, email_key(l.email), n, add);
  if (!l.assigned_to.empty()) {
    if (add) {
      open_of_[l.assigned_to] += 1;
    } else if (auto it = open_of_.find(l.assigned_to); it != open_of_.end() && --it->second == 0) {
      open_of_.erase(it);
    }
  }
}

void lead_index::insert(std::uint32_t slot) {
  const row& r = rows_[slot];
  by_created_.insert(key{r.created_at, r.number}, slot);
  by_updated_.insert(key{r.updated_at, r.number}, slot);
  by_score_.insert(key{r.score, r.number}, slot);
  by_value_.insert(key{r.value, r.number}, slot);
  tally(*leads_[slot], r, r.number, true);
}

void lead_index::erase(std::uint32_t slot) {
  const row& r = rows_[slot];
  by_created_.erase(key{r.created_at, r.number});
  by_updated_.erase(key{r.updated_at, r.number});
  by_score_.erase(key{r.score, r.number});
  by_value_.erase(key{r.value, r.number});
  tally(*leads_[slot], r, r.number, false);
}

void lead_index::put(std::shared_ptr<const lead> p) {
  auto r = row_of(*p);
  auto [it, fresh] = slots_.try_emplace(r.number, static_cast<std::uint32_t>(leads_.size()));
  const auto slot = it->second;
  if (fresh) {
    leads_.push_back(std::move(p));
    rows_.push_back(r);
    post(slot, nullptr, r);
  } else {
    const row before = rows_[slot];
    erase(slot);
    leads_[slot] = std::move(p);
    rows_[slot] = r;
    post(slot, &before, r);
  }
  insert(slot);
}

std::shared_ptr<const lead> lead_index::find(const std::string& id) const {
  auto it = slots_.find(tickets::id_number(id));
  if (it == slots_.end() || leads_[it->second]->id != id)
    return nullptr;
  return leads_[it->second];
}

void lead_index::mark(open_keys& m, const std::string& k, std::uint64_t n, bool add) {
  if (k.empty() || n == 0)
    return;
  auto h = std::hash<std::string>{}(k);
  if (add) {
    auto& v = m[h];
    if (v.one == 0 && !v.many) {
      v.one = n;
    } else {
      if (!v.many)
        v.many = std::make_unique<std::set<std::uint64_t>>();
      if (v.one != 0)
        v.many->insert(std::exchange(v.one, 0));
      v.many->insert(n);
    }
    return;
  }
  auto it = m.find(h);
  if (it == m.end())
    return;
  auto& v = it->second;
  if (v.one == n) {
    m.erase(it);
  } else if (v.many && v.many->erase(n) != 0) {
    if (v.many->size() == 1) { // back to the compact form
      v.one = *v.many->begin();
      v.many.reset();
    } else if (v.many->empty()) {
      m.erase(it);
    }
  }
}

std::shared_ptr<const lead> lead_index::oldest_open(const open_keys& m, const std::string& k,
                                                    std::string (*key_of)(std::string_view),
                                                    std::string lead::*field) const {
  if (k.empty())
    return nullptr;
  auto it = m.find(std::hash<std::string>{}(k));
  if (it == m.end())
    return nullptr;
  auto matches = [&](std::uint64_t n) -> const std::shared_ptr<const lead>* {
    auto& l = leads_[slots_.at(n)];
    return key_of((*l).*field) == k ? &l : nullptr;
  };
  if (it->second.one != 0) {
    auto* l = matches(it->second.one);
    return l ? *l : nullptr;
  }
  if (!it->second.many)
    return nullptr;
  // The oldest first: the first whose key is this one (another key of the same hash is rare).
  for (auto n : *it->second.many)
    if (auto* l = matches(n))
      return *l;
  return nullptr;
}

std::shared_ptr<const lead> lead_index::open_with_phone(const std::string& phone_key) const {
  return oldest_open(open_phone_, phone_key, &leads::phone_key, &lead::phone);
}

std::shared_ptr<const lead> lead_index::open_with_email(const std::string& email_key) const {
  return oldest_open(open_email_, email_key, &leads::email_key, &lead::email);
}

void lead_index::count_funnel(funnel& f) const {
  if (!f.from && !f.to) {
    for (int s = 0; s < status_count; ++s)
      f.stages[s] += reached_[s];
    return;
  }
  counts c{};
  const key start{f.from.value_or(std::numeric_limits<std::int64_t>::min()), 0};
  const auto to = f.to.value_or(std::numeric_limits<std::int64_t>::max());
  by_created_.each_from(start, [&](const order::entry& e) {
    if (e.key.first > to)
      return false;
    add_reached(c, rows_[e.value], 1);
    return true;
  });
  for (int s = 0; s < status_count; ++s)
    f.stages[s] += c[s];
}

std::size_t lead_index::open_of(const std::string& rep) const {
  auto it = open_of_.find(rep);
  return it == open_of_.end() ? 0 : it->second;
}

const lead_index::order& lead_index::order_for(const std::string& sort_by) const {
  if (sort_by == "updatedAt")
    return by_updated_;
  if (sort_by == "score")
    return by_score_;
  if (sort_by == "estimatedValue")
    return by_value_;
  return by_created_;
}

list_page lead_index::list(const list_query& q) const {
  std::array<bool, status_count> status_ok{};
  for (int s = 0; s < status_count; ++s)
    status_ok[s] = q.statuses.empty() || has(q.statuses, static_cast<status>(s));
  std::array<bool, 4> source_ok{};
  for (int s = 0; s < 4; ++s)
    source_ok[s] = q.sources.empty() || has(q.sources, static_cast<source>(s));
  auto ids_of = [&](const std::vector<std::string>& wanted, bool null_is_none) {
    std::vector<std::uint32_t> out;
    for (auto& name : wanted) {
      if (name.empty() || (null_is_none && name == "null")) {
        out.push_back(0);
      } else {
        auto it = names_.find(name);
        out.push_back(it == names_.end() ? no_name : it->second);
      }
    }
    return out;
  };
  const auto territories = ids_of(q.territories, false);
  const auto assignees = ids_of(q.assigned_to, true);
  auto keep = [&](const row& r) {
    return status_ok[static_cast<std::size_t>(r.st)] && source_ok[static_cast<std::size_t>(r.src)]
           && (territories.empty() || has(territories, r.territory))
           && (assignees.empty() || has(assignees, r.assignee));
  };

  // The counts of the selection, when an index holds them.
  static const counts none{};
  auto lookup = [](const std::vector<counts>& v, std::uint32_t id) {
    return id < v.size() ? &v[id] : &none;
  };
  const counts* known = nullptr;
  const int filters = !territories.empty() + !q.sources.empty() + !assignees.empty();
  if (filters == 0)
    known = &all_;
  else if (filters == 1 && territories.size() == 1)
    known = lookup(by_territory_, territories.front());
  else if (filters == 1 && q.sources.size() == 1)
    known = &by_source_[static_cast<std::size_t>(q.sources.front())];
  else if (filters == 1 && assignees.size() == 1)
    known = lookup(by_assignee_, assignees.front());

  list_page out;
  std::vector<std::uint32_t> hits;
  bool scanned = false;
  // The leads to look at: those of the most selective filter (its values' postings are
  // disjoint: a lead has one territory, one assignee, one source), else all.
  std::vector<const slots*> candidates;
  std::size_t fewest = SIZE_MAX;
  auto consider = [&](std::vector<const slots*> lists) {
    std::sort(lists.begin(), lists.end()); // a value given twice is looked at once
    lists.erase(std::unique(lists.begin(), lists.end()), lists.end());
    std::size_t n = 0;
    for (auto* l : lists)
      n += l->size();
    if (n < fewest) {
      fewest = n;
      candidates = std::move(lists);
    }
  };
  static const slots no_slots;
  auto postings = [&](const std::vector<slots>& by_id, const std::vector<std::uint32_t>& ids) {
    std::vector<const slots*> lists;
    for (auto id : ids)
      lists.push_back(id < by_id.size() ? &by_id[id] : &no_slots);
    return lists;
  };
  if (!territories.empty())
    consider(postings(in_territory_, territories));
  if (!assignees.empty())
    consider(postings(of_assignee_, assignees));
  if (!q.sources.empty()) {
    std::vector<const slots*> lists;
    for (auto s : q.sources)
      lists.push_back(&of_source_[static_cast<std::size_t>(s)]);
    consider(std::move(lists));
  }
  auto scan = [&](bool count) {
    auto visit = [&](std::uint32_t slot) {
      if (keep(rows_[slot])) {
        hits.push_back(slot);
        if (count)
          out.funnel[static_cast<std::size_t>(rows_[slot].st)] += 1;
      }
    };
    if (candidates.empty()) {
      for (std::uint32_t slot = 0; slot < rows_.size(); ++slot)
        visit(slot);
    } else {
      for (auto* l : candidates)
        for (auto slot : *l)
          visit(slot);
    }
    scanned = true;
  };
  if (known) {
    for (int s = 0; s < status_count; ++s)
      if (status_ok[s])
        out.funnel[s] = (*known)[s];
  } else {
    scan(true);
  }
  for (auto n : out.funnel)
    out.total += n;

  const auto limit = static_cast<std::size_t>(std::max(q.limit, 0));
  const auto skip = static_cast<std::size_t>(std::max(q.page, 1) - 1) * limit;
  if (skip >= out.total || limit == 0)
    return out;
  const auto need = std::min(out.total, skip + limit);

  // Walking the order meets the page's leads after about need * size() / total steps (each a
  // read in sequence); the other way reads every candidate and selects among the matches.
  const std::size_t walk = need * leads_.size() / out.total;
  const std::size_t pick = candidates.empty() ? leads_.size() : fewest;
  if (walk <= pick / 2) {
    std::size_t matched = 0;
    auto visit = [&](std::uint32_t slot) {
      if (!keep(rows_[slot]))
        return true;
      if (matched >= skip)
        out.items.push_back(leads_[slot]);
      return ++matched < need;
    };
    order_for(q.sort_by).each(q.descending, [&](const order::entry& e) { return visit(e.value); });
    return out;
  }

  // Sparse, or a deep page: select the page among the matches.
  if (!scanned)
    scan(false);
  std::int64_t row::*field = &row::created_at;
  if (q.sort_by == "updatedAt")
    field = &row::updated_at;
  else if (q.sort_by == "score")
    field = &row::score;
  else if (q.sort_by == "estimatedValue")
    field = &row::value;
  std::vector<std::pair<key, std::uint32_t>> keyed;
  keyed.reserve(hits.size());
  for (auto slot : hits)
    keyed.push_back({key{rows_[slot].*field, rows_[slot].number}, slot});
  auto before = [&](const auto& a, const auto& b) {
    return q.descending ? b.first < a.first : a.first < b.first;
  };
  if (skip >= keyed.size())
    return out;
  const auto end = keyed.begin() + static_cast<std::ptrdiff_t>(std::min(need, keyed.size()));
  auto first = keyed.begin() + static_cast<std::ptrdiff_t>(skip);
  if (skip > 0)
    std::nth_element(keyed.begin(), first, keyed.end(), before);
  std::partial_sort(first, end, keyed.end(), before);
  for (auto it = first; it != end; ++it)
    out.items.push_back(leads_[it->second]);
  return out;
}

} // namespace crm::leads
