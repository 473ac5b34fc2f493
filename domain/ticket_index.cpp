#include "domain/ticket_index.hpp"

#include <algorithm>
#include <cctype>

namespace crm::tickets {

namespace {

bool older(const std::shared_ptr<const ticket>& a, const std::shared_ptr<const ticket>& b) {
  if (a->created_at != b->created_at)
    return a->created_at < b->created_at;
  return a->id < b->id;
}

template <class T>
bool one_of(const std::vector<T>& set, const T& v) {
  return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
}

bool contains_words(const std::string& subject, const std::vector<std::string>& words) {
  if (words.empty())
    return true;
  std::string lower(subject.size(), ' ');
  std::transform(subject.begin(), subject.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (auto& w : words)
    if (lower.find(w) == std::string::npos)
      return false;
  return true;
}

bool in(std::optional<millis> t, const metrics_query& q) {
  if (!t)
    return false;
  return (!q.from || *t >= *q.from) && (!q.to || *t <= *q.to);
}

} // namespace

bool parse_sort(std::string_view s, list_query& q) {
  bool desc = !s.empty() && s.front() == '-';
  if (desc)
    s.remove_prefix(1);
  if (s != "createdAt" && s != "updatedAt" && s != "priority" && s != "slaDueAt")
    return false;
  q.sort_by = std::string(s);
  q.descending = desc;
  return true;
}

void ticket_index::put(const ticket& t) {
  auto copy = std::make_shared<ticket>(t);
  copy->notes.clear();
  copy->notes.shrink_to_fit();
  std::shared_ptr<const ticket> p = std::move(copy);
  auto it = by_id_.find(t.id);
  if (it != by_id_.end()) {
    auto pos = std::lower_bound(ordered_.begin(), ordered_.end(), it->second, older);
    if (pos != ordered_.end() && (*pos)->id == t.id)
      *pos = p;
    it->second = std::move(p);
    return;
  }
  auto pos = std::upper_bound(ordered_.begin(), ordered_.end(), p, older);
  ordered_.insert(pos, p);
  by_id_.emplace(t.id, std::move(p));
}

std::shared_ptr<const ticket> ticket_index::find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

list_page ticket_index::list(const list_query& q) const {
  auto match = [&](const ticket& t) {
    if (!one_of(q.statuses, t.st) || !one_of(q.priorities, t.prio)
        || !one_of(q.categories, t.cat))
      return false;
    if (!q.assigned_to.empty()) {
      static const std::string null_s = "null";
      const std::string& a = t.assigned_to.empty() ? null_s : t.assigned_to;
      if (std::find(q.assigned_to.begin(), q.assigned_to.end(), a) == q.assigned_to.end())
        return false;
    }
    return contains_words(t.subject, q.words);
  };
  list_page out;
  const std::size_t skip = static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.limit);
  const std::size_t want = static_cast<std::size_t>(q.limit);
  if (q.sort_by == "createdAt") {
    auto visit = [&](const std::shared_ptr<const ticket>& p) {
      if (!match(*p))
        return;
      if (out.total >= skip && out.items.size() < want)
        out.items.push_back(p);
      ++out.total;
    };
    if (q.descending)
      std::for_each(ordered_.rbegin(), ordered_.rend(), visit);
    else
      std::for_each(ordered_.begin(), ordered_.end(), visit);
    return out;
  }
  std::vector<const std::shared_ptr<const ticket>*> hits;
  for (auto& p : ordered_)
    if (match(*p))
      hits.push_back(&p);
  out.total = hits.size();
  if (skip >= hits.size())
    return out;
  auto key = [&](const ticket& t) -> millis {
    if (q.sort_by == "updatedAt")
      return t.updated_at;
    if (q.sort_by == "slaDueAt")
      return t.sla_due_at;
    return 3 - static_cast<millis>(t.prio); // critical ranks highest
  };
  auto less = [&](const std::shared_ptr<const ticket>* a, const std::shared_ptr<const ticket>* b) {
    auto ka = key(**a), kb = key(**b);
    if (ka != kb)
      return q.descending ? ka > kb : ka < kb;
    return q.descending ? (*a)->id > (*b)->id : (*a)->id < (*b)->id;
  };
  auto end = std::min(hits.size(), skip + want);
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(), less);
  for (auto i = skip; i < end; ++i)
    out.items.push_back(*hits[i]);
  return out;
}

metrics ticket_index::compute(const metrics_query& q) const {
  metrics m;
  double resolution_sum = 0;
  for (auto& p : ordered_) {
    const ticket& t = *p;
    if (in(t.created_at, q)) {
      ++m.created;
      ++m.by_priority[static_cast<int>(t.prio)];
      ++m.by_category[static_cast<int>(t.cat)];
    }
    if (in(t.last_resolution_at, q)) {
      ++m.resolved;
      resolution_sum += static_cast<double>(*t.last_resolution_at - t.created_at);
      if (*t.last_resolution_at <= t.sla_due_at)
        ++m.resolved_within_sla;
    }
    if (t.sla_breached && in(t.sla_due_at, q))
      ++m.breached;
  }
  if (m.resolved > 0) {
    m.sla_compliance = static_cast<double>(m.resolved_within_sla) / static_cast<double>(m.resolved);
    m.avg_resolution_ms = resolution_sum / static_cast<double>(m.resolved);
  }
  return m;
}

std::string to_json(const metrics& m) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  w.StartObject();
  w.Key("created");
  w.Uint64(m.created);
  w.Key("resolved");
  w.Uint64(m.resolved);
  w.Key("resolvedWithinSla");
  w.Uint64(m.resolved_within_sla);
  w.Key("breached");
  w.Uint64(m.breached);
  w.Key("slaCompliance");
  if (m.sla_compliance)
    w.Double(*m.sla_compliance);
  else
    w.Null();
  w.Key("avgResolutionMs");
  if (m.avg_resolution_ms)
    w.Int64(static_cast<std::int64_t>(*m.avg_resolution_ms + 0.5));
  else
    w.Null();
  w.Key("byPriority");
  w.StartObject();
  for (int i = 0; i < 4; ++i) {
    w.Key(to_string(static_cast<priority>(i)));
    w.Uint64(m.by_priority[i]);
  }
  w.EndObject();
  w.Key("byCategory");
  w.StartObject();
  for (int i = 0; i < 4; ++i) {
    w.Key(to_string(static_cast<category>(i)));
    w.Uint64(m.by_category[i]);
  }
  w.EndObject();
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

} // namespace crm::tickets
