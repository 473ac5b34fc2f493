#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "domain/ticket_index.hpp"

namespace crm::tickets {
namespace {

ticket make(int n, priority p, status s, category c, millis created, std::string subject = "x") {
  ticket t;
  char id[16];
  std::snprintf(id, sizeof id, "TKT-%06d", n);
  t.id = id;
  t.prio = p;
  t.st = s;
  t.cat = c;
  t.created_at = created;
  t.updated_at = created;
  t.sla_due_at = created + 1000;
  t.subject = std::move(subject);
  return t;
}

std::vector<std::string> ids(const list_page& p) {
  std::vector<std::string> out;
  for (auto& t : p.items)
    out.push_back(t->id);
  return out;
}

TEST(ticket_index, pages_never_overlap_and_ties_break_by_id) {
  ticket_index ix;
  for (int i = 1; i <= 45; ++i)
    ix.put(make(i, priority::medium, status::open, category::other, 1000 + i / 3)); // ties
  list_query q;
  q.limit = 20;
  std::set<std::string> seen;
  std::vector<std::string> order;
  for (int page = 1; page <= 3; ++page) {
    q.page = page;
    auto p = ix.list(q);
    EXPECT_EQ(p.total, 45u);
    for (auto& id : ids(p)) {
      EXPECT_TRUE(seen.insert(id).second) << id << " twice";
      order.push_back(id);
    }
  }
  EXPECT_EQ(seen.size(), 45u);
  EXPECT_EQ(order.front(), "TKT-000045"); // -createdAt, then -id
  EXPECT_EQ(order[1], "TKT-000044");
}

TEST(ticket_index, every_list_path_agrees_with_filtering_and_sorting_every_ticket) {
  // Random tickets changed at random (status, updatedAt, assignee), then random queries through
  // each path (bucket orders, search, updatedAt, assignee scans) against a plain filter and sort.
  std::mt19937 rng(3);
  const char* words[] = {"refund", "late", "parcel", "damaged", "cod"};
  std::map<int, ticket> all;
  ticket_index ix;
  auto subject = [&] {
    std::string s;
    for (int w = 0; w < 3; ++w)
      s += std::string(words[rng() % 5]) + " ";
    return s;
  };
  for (int n = 1; n <= 600; ++n) {
    auto t = make(n, static_cast<priority>(rng() % 4), static_cast<status>(rng() % 4), static_cast<category>(rng() % 4),
                  static_cast<millis>(rng() % 400), subject());
    t.assigned_to = rng() % 3 ? "REP-" + std::to_string(rng() % 4) : "";
    all[n] = t;
    ix.put(ticket(t));
  }
  for (int round = 0; round < 3; ++round) {
    for (auto& [n, t] : all)
      if (rng() % 4 == 0) {
        t.st = static_cast<status>(rng() % 4);
        t.updated_at = static_cast<millis>(400 + rng() % 1000);
        t.assigned_to = rng() % 2 ? "REP-" + std::to_string(rng() % 4) : "";
        ix.put(ticket(t));
      }
    for (int i = 0; i < 200; ++i) {
      list_query q;
      const char* sorts[] = {"createdAt", "-createdAt", "updatedAt", "-updatedAt", "priority", "-priority", "slaDueAt", "-slaDueAt"};
      ASSERT_TRUE(parse_sort(sorts[rng() % 8], q));
      if (rng() % 2)
        q.statuses = {static_cast<status>(rng() % 4)};
      if (rng() % 3 == 0)
        q.priorities = {static_cast<priority>(rng() % 4), static_cast<priority>(rng() % 4)};
      if (rng() % 3 == 0)
        q.categories = {static_cast<category>(rng() % 4)};
      if (rng() % 3 == 0)
        q.assigned_to = {rng() % 2 ? "null" : "REP-" + std::to_string(rng() % 4)};
      if (rng() % 2)
        q.words = {words[rng() % 5]};
      if (rng() % 4 == 0)
        q.words.push_back(words[rng() % 5]);
      q.limit = 1 + static_cast<int>(rng() % 30);
      q.page = 1 + static_cast<int>(rng() % 4);
      auto one_of = [](const auto& v, auto x) { return v.empty() || std::find(v.begin(), v.end(), x) != v.end(); };
      std::vector<std::pair<millis, int>> want;
      for (auto& [n, t] : all) {
        auto ws = words_of(t.subject);
        bool words_ok = std::all_of(q.words.begin(), q.words.end(),
                                    [&](auto& w) { return std::find(ws.begin(), ws.end(), w) != ws.end(); });
        if (!one_of(q.statuses, t.st) || !one_of(q.priorities, t.prio) || !one_of(q.categories, t.cat) || !words_ok
            || !one_of(q.assigned_to, t.assigned_to.empty() ? std::string("null") : t.assigned_to))
          continue;
        millis k = q.sort_by == "updatedAt" ? t.updated_at
                   : q.sort_by == "slaDueAt" ? t.sla_due_at
                   : q.sort_by == "priority" ? 3 - static_cast<millis>(t.prio)
                                             : t.created_at;
        want.emplace_back(k, n);
      }
      std::sort(want.begin(), want.end());
      if (q.descending)
        std::reverse(want.begin(), want.end());
      std::vector<std::string> page;
      for (std::size_t at = static_cast<std::size_t>((q.page - 1) * q.limit);
           at < want.size() && page.size() < static_cast<std::size_t>(q.limit); ++at)
        page.push_back(all[want[at].second].id);
      auto got = ix.list(q);
      ASSERT_EQ(ids(got), page) << "round " << round << " query " << i << " sort " << q.sort_by << (q.descending ? " desc" : "");
      ASSERT_EQ(got.total, want.size()) << "round " << round << " query " << i;
    }
  }
}

TEST(ticket_index, tickets_put_all_at_once_list_as_those_put_one_at_a_time) {
  // Recovery puts every ticket at once, in no particular order; a later put still works.
  std::vector<ticket> all;
  for (int i = 1; i <= 300; ++i)
    all.push_back(make(i, static_cast<priority>(i % 4), static_cast<status>(i % 3), static_cast<category>(i % 4),
                       10000 - (i * 37) % 500, i % 5 ? "late parcel refund" : "refund refund please"));
  std::vector<ticket> shuffled = all;
  std::reverse(shuffled.begin(), shuffled.end());
  std::rotate(shuffled.begin(), shuffled.begin() + 101, shuffled.end());
  ticket_index one, bulk;
  for (auto& t : all)
    one.put(ticket(t));
  bulk.put(ticket(all[7])); // one already there, changed by the bulk put below
  shuffled.push_back(all[7]);
  shuffled.back().st = status::closed;
  one.put(ticket(shuffled.back()));
  bulk.put_new(std::move(shuffled));
  ASSERT_EQ(bulk.size(), one.size());
  std::vector<list_query> queries(6);
  queries[1].statuses = {status::open};
  ASSERT_TRUE(parse_sort("slaDueAt", queries[2]));
  ASSERT_TRUE(parse_sort("-priority", queries[3]));
  queries[3].categories = {category::billing, category::other};
  queries[4].words = {"refund"};
  queries[5].words = {"please"};
  queries[5].statuses = {status::closed, status::open};
  for (auto& q : queries)
    for (int page = 1; page <= 4; ++page) {
      q.page = page;
      q.limit = 40;
      auto a = one.list(q), b = bulk.list(q);
      EXPECT_EQ(ids(a), ids(b)) << page;
      EXPECT_EQ(a.total, b.total);
    }
  auto t = bulk.find("TKT-000008");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->st, status::closed);
}

TEST(ticket_index, filters_take_several_values_and_sort_by_priority) {
  ticket_index ix;
  ix.put(make(1, priority::low, status::open, category::billing, 1));
  ix.put(make(2, priority::critical, status::in_progress, category::billing, 2));
  ix.put(make(3, priority::high, status::closed, category::technical, 3));
  ix.put(make(4, priority::critical, status::open, category::technical, 4));
  list_query q;
  q.statuses = {status::open, status::in_progress};
  ASSERT_TRUE(parse_sort("-priority", q));
  auto p = ix.list(q);
  EXPECT_EQ(ids(p), (std::vector<std::string>{"TKT-000004", "TKT-000002", "TKT-000001"}));
  q = {};
  q.categories = {category::technical};
  ASSERT_TRUE(parse_sort("createdAt", q));
  EXPECT_EQ(ids(ix.list(q)), (std::vector<std::string>{"TKT-000003", "TKT-000004"}));
  EXPECT_FALSE(parse_sort("subject", q));
}

TEST(ticket_index, search_and_assignee) {
  ticket_index ix;
  auto a = make(1, priority::low, status::open, category::billing, 1, "Refund not received");
  a.assigned_to = "REP-000001";
  ix.put(a);
  ix.put(make(2, priority::low, status::open, category::billing, 2, "Parcel damaged, refund"));
  ix.put(make(3, priority::low, status::open, category::billing, 3, "Address change"));
  list_query q;
  q.words = words_of("REFUND");
  EXPECT_EQ(ix.list(q).total, 2u);
  q.words = words_of("refund, Parcel");
  EXPECT_EQ(ids(ix.list(q)), (std::vector<std::string>{"TKT-000002"}));
  q = {};
  q.assigned_to = {"REP-000001"};
  EXPECT_EQ(ids(ix.list(q)), (std::vector<std::string>{"TKT-000001"}));
  q.assigned_to = {"null"};
  EXPECT_EQ(ix.list(q).total, 2u);
}

TEST(ticket_index, words_are_lowercase_alphanumeric_runs) {
  EXPECT_EQ(words_of("Refund not received (ORD-1), refund!"),
            (std::vector<std::string>{"refund", "not", "received", "ord", "1"}));
}

TEST(ticket_index, sla_due_sort_and_status_moves) {
  ticket_index ix;
  auto a = make(1, priority::low, status::open, category::billing, 100);
  a.sla_due_at = 900;
  auto b = make(2, priority::low, status::open, category::billing, 200);
  b.sla_due_at = 300;
  ix.put(a);
  ix.put(b);
  list_query q;
  ASSERT_TRUE(parse_sort("slaDueAt", q));
  EXPECT_EQ(ids(ix.list(q)), (std::vector<std::string>{"TKT-000002", "TKT-000001"}));
  b.st = status::closed;
  ix.put(b);
  q.statuses = {status::open};
  EXPECT_EQ(ids(ix.list(q)), (std::vector<std::string>{"TKT-000001"}));
  q.statuses = {status::closed};
  EXPECT_EQ(ids(ix.list(q)), (std::vector<std::string>{"TKT-000002"}));
}

TEST(ticket_index, replacing_a_ticket_keeps_one_copy_without_notes) {
  ticket_index ix;
  auto t = make(1, priority::low, status::open, category::billing, 1);
  t.notes.push_back({"n", "text", "internal", "k", 1});
  ix.put(t);
  t.st = status::resolved;
  ix.put(t);
  EXPECT_EQ(ix.size(), 1u);
  EXPECT_EQ(ix.list({}).total, 1u);
  EXPECT_EQ(ix.find("TKT-000001")->st, status::resolved);
  EXPECT_TRUE(ix.find("TKT-000001")->notes.empty());
}

TEST(ticket_index, metrics_count_the_period) {
  ticket_index ix;
  auto a = make(1, priority::high, status::resolved, category::billing, 100);
  a.last_resolution_at = 600; // within SLA (due 1100)
  auto b = make(2, priority::low, status::closed, category::other, 200);
  b.last_resolution_at = 2000; // late
  auto c = make(3, priority::low, status::open, category::other, 5000);
  c.sla_breached = true;
  ix.put(a);
  ix.put(b);
  ix.put(c);
  auto m = ix.compute({});
  EXPECT_EQ(m.created, 3u);
  EXPECT_EQ(m.resolved, 2u);
  EXPECT_EQ(m.resolved_within_sla, 1u);
  EXPECT_EQ(m.breached, 1u);
  EXPECT_DOUBLE_EQ(*m.sla_compliance, 0.5);
  EXPECT_DOUBLE_EQ(*m.avg_resolution_ms, (500.0 + 1800.0) / 2);
  EXPECT_EQ(m.by_priority[static_cast<int>(priority::low)], 2u);
  metrics_query q;
  q.from = 150; // b created; a resolved (in time); b's late resolution falls after `to`
  q.to = 1500;
  m = ix.compute(q);
  EXPECT_EQ(m.created, 1u);
  EXPECT_EQ(m.resolved, 1u);
  EXPECT_EQ(m.resolved_within_sla, 1u);
  EXPECT_EQ(m.breached, 0u);
}

} // namespace
} // namespace crm::tickets
