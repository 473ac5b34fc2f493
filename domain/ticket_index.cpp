#include "domain/ticket_index.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace crm::tickets {

namespace {

template <class T>
bool one_of(const std::vector<T>& set, const T& v) {
  return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
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

namespace {

template <class T>
void sorted_insert(std::vector<T>& v, const T& x) {
  if (v.empty() || v.back() < x)
    v.push_back(x); // the common case: the newest ticket
  else
    v.insert(std::lower_bound(v.begin(), v.end(), x), x);
}

template <class T>
void sorted_erase(std::vector<T>& v, const T& x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x)
    v.erase(it);
}

} // namespace

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::string w;
  for (char ch : std::string(text) + " ") {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      w.push_back(static_cast<char>(std::tolower(c)));
    } else if (!w.empty()) {
      if (std::find(out.begin(), out.end(), w) == out.end())
        out.push_back(w);
      w.clear();
    }
  }
  return out;
}

void ticket_index::insert_into(int b, const ticket& t, std::uint64_t n) {
  auto& bk = buckets_[b];
  sorted_insert(bk.by_created, {t.created_at, n});
  sorted_insert(bk.by_number, n);
  sorted_insert(bk.by_due, {t.sla_due_at, n});
}

void ticket_index::erase_from(int b, const ticket& t, std::uint64_t n) {
  auto& bk = buckets_[b];
  sorted_erase(bk.by_created, {t.created_at, n});
  sorted_erase(bk.by_number, n);
  sorted_erase(bk.by_due, {t.sla_due_at, n});
}

void ticket_index::put(ticket&& moved) {
  auto n = id_number(moved.id);
  moved.notes.clear();
  moved.notes.shrink_to_fit();
  auto copy = std::make_shared<ticket>(std::move(moved));
  const ticket& t = *copy;
  auto it = tickets_.find(n);
  if (it != tickets_.end()) {
    auto& old = *it->second.t;
    if (bucket_of(old) != bucket_of(t) || old.created_at != t.created_at
        || old.sla_due_at != t.sla_due_at) {
      erase_from(bucket_of(old), old, n);
      insert_into(bucket_of(t), t, n);
    }
    it->second = entry_of(std::move(copy));
    return;
  }
  insert_into(bucket_of(t), t, n);
  for (auto& w : words_of(t.subject)) // subjects never change after creation
    sorted_insert(postings_[w], n);
  tickets_.emplace(n, entry_of(std::move(copy)));
}

void ticket_index::put_new(std::vector<ticket>&& ts) {
  std::vector<bool> touched_buckets(bucket_count, false);
  std::unordered_set<std::string> touched_words;
  std::vector<ticket> known; // not new after all: put one at a time once the orders are sorted
  for (auto& moved : ts) {
    auto n = id_number(moved.id);
    if (tickets_.count(n)) {
      known.push_back(std::move(moved));
      continue;
    }
    moved.notes.clear();
    moved.notes.shrink_to_fit();
    auto copy = std::make_shared<ticket>(std::move(moved));
    const ticket& t = *copy;
    int b = bucket_of(t);
    auto& bk = buckets_[b];
    bk.by_created.push_back({t.created_at, n});
    bk.by_number.push_back(n);
    bk.by_due.push_back({t.sla_due_at, n});
    touched_buckets[b] = true;
    for (auto& w : words_of(t.subject)) {
      postings_[w].push_back(n);
      touched_words.insert(w);
    }
    tickets_.emplace(n, entry_of(std::move(copy)));
  }
  for (int b = 0; b < bucket_count; ++b)
    if (touched_buckets[b]) {
      auto& bk = buckets_[b];
      std::sort(bk.by_created.begin(), bk.by_created.end());
      std::sort(bk.by_number.begin(), bk.by_number.end());
      std::sort(bk.by_due.begin(), bk.by_due.end());
    }
  for (auto& w : touched_words) {
    auto& v = postings_[w];
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  for (auto& t : known)
    put(std::move(t));
}

std::shared_ptr<const ticket> ticket_index::find(const std::string& id) const {
  auto it = tickets_.find(id_number(id));
  if (it == tickets_.end() || it->second.t->id != id)
    return nullptr;
  return it->second.t;
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

ticket_index::entry ticket_index::entry_of(std::shared_ptr<const ticket> t) {
  entry e;
  e.created_at = t->created_at;
  e.updated_at = t->updated_at;
  e.sla_due_at = t->sla_due_at;
  e.bucket = static_cast<std::uint8_t>(bucket_of(*t));
  e.prio = static_cast<std::uint8_t>(t->prio);
  e.t = std::move(t);
  return e;
}

millis ticket_index::sort_key(const list_query& q, const entry& e) {
  if (q.sort_by == "updatedAt")
    return e.updated_at;
  if (q.sort_by == "slaDueAt")
    return e.sla_due_at;
  if (q.sort_by == "priority")
    return 3 - static_cast<millis>(e.prio); // critical ranks highest
  return e.created_at;
}

list_page ticket_index::collect_and_sort(const list_query& q, std::vector<std::pair<millis, std::uint64_t>> rows) const {
  using row = std::pair<millis, std::uint64_t>;
  auto less = [&](const row& a, const row& b) { return q.descending ? b < a : a < b; };
  list_page out;
  out.total = rows.size();
  const std::size_t skip = static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.limit);
  auto end = std::min(rows.size(), skip + static_cast<std::size_t>(q.limit));
  if (skip < end) {
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(end), rows.end(), less);
    for (auto i = skip; i < end; ++i)
      out.items.push_back(tickets_.at(rows[i].second).t);
  }
  return out;
}

list_page ticket_index::list(const list_query& q) const {
  static const std::string null_s = "null";
  auto assignee_ok = [&](const ticket& t) {
    if (q.assigned_to.empty())
      return true;
    const std::string& a = t.assigned_to.empty() ? null_s : t.assigned_to;
    return std::find(q.assigned_to.begin(), q.assigned_to.end(), a) != q.assigned_to.end();
  };
  auto bs = buckets_for(q);

  if (!q.words.empty()) {
    const std::vector<std::uint64_t>* cand = nullptr; // the first word's postings, read in place
    std::vector<std::uint64_t> both;
    for (std::size_t i = 0; i < q.words.size(); ++i) {
      auto it = postings_.find(q.words[i]);
      if (it == postings_.end())
        return {};
      if (i == 0) {
        cand = &it->second;
      } else {
        std::vector<std::uint64_t> next;
        std::set_intersection(cand->begin(), cand->end(), it->second.begin(), it->second.end(),
                              std::back_inserter(next));
        both = std::move(next);
        cand = &both;
      }
    }
    std::array<bool, bucket_count> wanted{};
    for (int b : bs)
      wanted[b] = true;
    std::vector<std::pair<millis, std::uint64_t>> hits;
    hits.reserve(cand->size());
    for (auto n : *cand) {
      auto& e = tickets_.at(n);
      if (wanted[e.bucket] && (q.assigned_to.empty() || assignee_ok(*e.t)))
        hits.emplace_back(sort_key(q, e), n);
    }
    return collect_and_sort(q, std::move(hits));
  }
  if (q.sort_by == "updatedAt") {
    std::vector<std::pair<millis, std::uint64_t>> hits;
    for (int b : bs)
      for (auto n : buckets_[b].by_number) {
        auto& e = tickets_.at(n);
        if (q.assigned_to.empty() || assignee_ok(*e.t))
          hits.emplace_back(e.updated_at, n);
      }
    return collect_and_sort(q, std::move(hits));
  }

  list_page out;
  const bool scan = !q.assigned_to.empty(); // the total needs every match counted
  const std::size_t skip = static_cast<std::size_t>(q.page - 1) * static_cast<std::size_t>(q.limit);
  const std::size_t want = static_cast<std::size_t>(q.limit);
  std::size_t matched = 0;
  // Visits tickets in page order; false once the page is full and nothing is left to count.
  auto take = [&](std::uint64_t n) {
    if (!scan && matched < skip) { // an earlier page's ticket: counted, never looked up
      ++matched;
      return true;
    }
    auto& t = tickets_.at(n).t;
    if (scan && !assignee_ok(*t))
      return true;
    if (matched >= skip && out.items.size() < want)
      out.items.push_back(t);
    ++matched;
    return scan || out.items.size() < want;
  };
  using keyed = std::pair<millis, std::uint64_t>;
  if (q.sort_by == "priority") {
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
    std::vector<const std::vector<keyed>*> ranges;
    for (int b : bs)
      ranges.push_back(q.sort_by == "slaDueAt" ? &buckets_[b].by_due : &buckets_[b].by_created);
    merge(ranges, q.descending, [&](const keyed& k) { return take(k.second); });
  }
  if (scan) {
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
  for (auto& [n, e] : tickets_) {
    const ticket& t = *e.t;
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
