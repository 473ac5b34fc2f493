#include "domain/ticket_index.hpp"

#include <algorithm>
#include <cctype>

namespace crm::tickets {

namespace {

template <class T>
bool one_of(const std::vector<T>& set, const T& v) {
  return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
}

bool contains_words(const std::string& subject, const std::vector<std::string>& words) {
  for (auto& w : words) {
    auto it = std::search(subject.begin(), subject.end(), w.begin(), w.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
    if (it == subject.end())
      return false;
  }
  return true;
}

bool in(std::optional<millis> t, const metrics_query& q) {
  if (!t)
    return false;
  return (!q.from || *t >= *q.from) && (!q.to || *t <= *q.to);
}

/// Merges sorted ranges (ascending, or descending when `desc`) and hands each element to
/// `visit` until it returns false.
template <class T, class Visit>
void merge(const std::vector<const std::vector<T>*>& ranges, bool desc, Visit&& visit) {
  struct cursor {
    const std::vector<T>* v;
    std::size_t i; // next position from the front (asc) or from the back (desc)
  };
  std::vector<cursor> heap;
  for (auto* r : ranges)
    if (!r->empty())
      heap.push_back({r, 0});
  auto at = [&](const cursor& c) -> const T& { return desc ? (*c.v)[c.v->size() - 1 - c.i] : (*c.v)[c.i]; };
  auto later = [&](const cursor& a, const cursor& b) { return desc ? at(a) < at(b) : at(b) < at(a); };
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    auto& c = heap.back();
    if (!visit(at(c)))
      return;
    if (++c.i == c.v->size())
      heap.pop_back();
    else
      std::push_heap(heap.begin(), heap.end(), later);
  }
}

} // namespace

std::uint64_t id_number(std::string_view id) {
  auto dash = id.rfind('-');
  if (dash == std::string_view::npos || dash + 1 >= id.size())
    return 0;
  std::uint64_t n = 0;
  for (auto c : id.substr(dash + 1)) {
    if (c < '0' || c > '9')
      return 0;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

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

void ticket_index::insert_into(int b, const ticket& t, std::uint64_t n) {
  auto& bk = buckets_[b];
  std::pair<millis, std::uint64_t> key{t.created_at, n};
  if (bk.by_created.empty() || bk.by_created.back() < key)
    bk.by_created.push_back(key);
  else
    bk.by_created.insert(std::lower_bound(bk.by_created.begin(), bk.by_created.end(), key), key);
  if (bk.by_number.empty() || bk.by_number.back() < n)
    bk.by_number.push_back(n);
  else
    bk.by_number.insert(std::lower_bound(bk.by_number.begin(), bk.by_number.end(), n), n);
}

void ticket_index::erase_from(int b, const ticket& t, std::uint64_t n) {
  auto& bk = buckets_[b];
  std::pair<millis, std::uint64_t> key{t.created_at, n};
  auto c = std::lower_bound(bk.by_created.begin(), bk.by_created.end(), key);
  if (c != bk.by_created.end() && *c == key)
    bk.by_created.erase(c);
  auto k = std::lower_bound(bk.by_number.begin(), bk.by_number.end(), n);
  if (k != bk.by_number.end() && *k == n)
    bk.by_number.erase(k);
}

void ticket_index::put(ticket&& moved) {
  auto n = id_number(moved.id);
  moved.notes.clear();
  moved.notes.shrink_to_fit();
  auto copy = std::make_shared<ticket>(std::move(moved));
  const ticket& t = *copy;
  auto it = tickets_.find(n);
  if (it != tickets_.end()) {
    auto& old = *it->second;
    if (bucket_of(old) != bucket_of(t) || old.created_at != t.created_at) {
      erase_from(bucket_of(old), old, n);
      insert_into(bucket_of(t), t, n);
    }
    it->second = std::move(copy);
    return;
  }
  insert_into(bucket_of(t), t, n);
  tickets_.emplace(n, std::move(copy));
}

std::shared_ptr<const ticket> ticket_index::find(const std::string& id) const {
  auto it = tickets_.find(id_number(id));
  if (it == tickets_.end() || it->second->id != id)
    return nullptr;
  return it->second;
}

std::vector<int> ticket_index::buckets_for(const list_query& q) const {
  std::vector<int> out;
  for (int s = 0; s < 4; ++s)
    for (int p = 0; p < 4; ++p)
      for (int c = 0; c < 4; ++c)
        if (one_of(q.statuses, static_cast<status>(s)) && one_of(q.priorities, static_cast<priority>(p))
            && one_of(q.categories, static_cast<category>(c)))
          out.push_back(s * 16 + p * 4 + c);
  return out;
}

list_page ticket_index::list(const list_query& q) const {
  static const std::string null_s = "null";
  const bool scan_filters = !q.assigned_to.empty() || !q.words.empty();
  auto match = [&](const ticket& t) {
    if (!q.assigned_to.empty()) {
      const std::string& a = t.assigned_to.empty() ? null_s : t.assigned_to;
      if (std::find(q.assigned_to.begin(), q.assigned_to.end(), a) == q.assigned_to.end())
        return false;
    }
    return contains_words(t.subject, q.words);
  };
  auto bs = buckets_for(q);
  list_page out;
  const std::size_t skip = static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.limit);
  const std::size_t want = static_cast<std::size_t>(q.limit);
  std::size_t matched = 0;
  // Visits tickets in page order; false once the page is full and nothing is left to count.
  auto take = [&](std::uint64_t n) {
    auto& t = tickets_.at(n);
    if (scan_filters && !match(*t))
      return true;
    if (matched >= skip && out.items.size() < want)
      out.items.push_back(t);
    ++matched;
    return scan_filters || out.items.size() < want;
  };
  if (q.sort_by == "createdAt") {
    std::vector<const std::vector<std::pair<millis, std::uint64_t>>*> ranges;
    for (int b : bs)
      ranges.push_back(&buckets_[b].by_created);
    merge(ranges, q.descending, [&](const std::pair<millis, std::uint64_t>& k) { return take(k.second); });
  } else if (q.sort_by == "priority") {
    // Descending puts critical first; ties by id in the same direction.
    bool more = true;
    for (int step = 0; step < 4 && more; ++step) {
      int p = q.descending ? step : 3 - step;
      std::vector<const std::vector<std::uint64_t>*> ranges;
      for (int b : bs)
        if ((b / 4) % 4 == p)
          ranges.push_back(&buckets_[b].by_number);
      merge(ranges, q.descending, [&](std::uint64_t n) { return more = take(n); });
    }
  } else {
    std::vector<const ticket*> hits;
    for (int b : bs)
      for (auto n : buckets_[b].by_number) {
        auto& t = tickets_.at(n);
        if (!scan_filters || match(*t))
          hits.push_back(t.get());
      }
    auto key = [&](const ticket& t) { return q.sort_by == "updatedAt" ? t.updated_at : t.sla_due_at; };
    auto less = [&](const ticket* a, const ticket* b) {
      auto ka = key(*a), kb = key(*b);
      if (ka != kb)
        return q.descending ? ka > kb : ka < kb;
      auto na = id_number(a->id), nb = id_number(b->id);
      return q.descending ? na > nb : na < nb;
    };
    out.total = hits.size();
    auto end = std::min(hits.size(), skip + want);
    if (skip < end) {
      std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(), less);
      for (auto i = skip; i < end; ++i)
        out.items.push_back(tickets_.at(id_number(hits[i]->id)));
    }
    return out;
  }
  if (scan_filters) {
    out.total = matched;
  } else {
    for (int b : bs)
      out.total += buckets_[b].by_number.size();
  }
  return out;
}

metrics ticket_index::compute(const metrics_query& q) const {
  metrics m;
  double resolution_sum = 0;
  for (auto& [n, p] : tickets_) {
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
