#include <gtest/gtest.h>

#include <map>
#include <random>

#include "domain/dispatch.hpp"

namespace crm::dispatch {
namespace {

TEST(dispatch, territory_first_then_fewest_open_then_round_robin) {
  board b;
  b.put_rep("R1", "north", true, std::nullopt);
  b.put_rep("R2", "north", true, std::nullopt);
  b.put_rep("R3", "south", true, std::nullopt);
  b.enqueue("C1", "north");
  b.enqueue("C2", "north");
  b.enqueue("C3", "north");
  b.enqueue("C4", "east"); // no rep there: anyone, fewest open
  auto a = b.drain();
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].rep, "R1"); // tie: lower id first
  EXPECT_EQ(a[1].rep, "R2"); // fewest open
  EXPECT_EQ(a[2].rep, "R1"); // tie again: R1 was assigned longer ago
  EXPECT_EQ(a[3].rep, "R3"); // the only rep with nothing open
  EXPECT_EQ(b.open("R1"), 2);
  b.release("R1");
  b.release("R1");
  b.enqueue("C5", "north"); // R1 0 open, R2 1 open
  a = b.drain();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rep, "R1");
}

TEST(dispatch, work_waits_for_capacity_and_availability) {
  board b;
  b.put_rep("R1", "north", true, 1);
  b.enqueue("C1", "north");
  b.enqueue("C2", "north");
  auto a = b.drain();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(b.queued(), 1u);
  EXPECT_FALSE(b.can_take("R1"));
  b.put_rep("R2", "south", false, std::nullopt); // offline
  EXPECT_TRUE(b.drain().empty());
  b.put_rep("R2", "south", true, std::nullopt); // comes online: takes the waiting call at once
  a = b.drain();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].work, "C2");
  EXPECT_EQ(a[0].rep, "R2");
  EXPECT_EQ(b.queued(), 0u);
}

TEST(dispatch, dropped_work_is_skipped_and_requeued_work_keeps_its_place) {
  board b;
  b.enqueue("C1", "");
  b.enqueue("C2", "");
  b.enqueue("C3", "");
  EXPECT_TRUE(b.drop("C2"));
  EXPECT_FALSE(b.drop("C2"));
  EXPECT_EQ(b.queued(), 2u);
  b.enqueue("C2", ""); // back in, in its old place
  EXPECT_EQ(b.queued(), 3u);
  b.drop("C1");
  b.put_rep("R1", "", true, std::nullopt);
  auto a = b.drain();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].work, "C2");
  EXPECT_EQ(a[1].work, "C3");
  EXPECT_EQ(b.queued(), 0u);
}

TEST(dispatch, skilled_work_goes_to_reps_with_the_skill_and_never_blocks_other_work) {
  board b;
  b.put_rep("R1", "north", true, 2, 0b0010); // billing
  b.put_rep("R2", "south", true, 2, 0b0110); // billing, logistics
  b.put_rep("R3", "north", true, 2, 0);      // calls only
  b.enqueue_skilled("T-tech", 0);             // nobody has technical: waits
  b.enqueue_skilled("T-bill", 1);
  b.enqueue_skilled("T-log", 2);
  b.enqueue("C1", "north");
  auto a = b.drain();
  std::map<std::string, std::string> got;
  for (auto& x : a)
    got[x.work] = x.rep;
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(got["C1"], "R1");     // territory north, fewest open, lower id
  EXPECT_EQ(got["T-bill"], "R2"); // R1 has one open now
  EXPECT_EQ(got["T-log"], "R2");  // the only one with logistics
  EXPECT_EQ(b.queued(), 1u);      // the technical ticket waits
  EXPECT_FALSE(b.can_take("R2")); // at capacity 2
  b.take("R1");                   // assigned by hand elsewhere
  EXPECT_EQ(b.open("R1"), 2);
  b.put_rep("R3", "north", true, 2, 0b0001); // learns technical
  a = b.drain();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].work, "T-tech");
  EXPECT_EQ(a[0].rep, "R3");
  EXPECT_EQ(b.queued(), 0u);
}

// Thousands of interleaved operations against a model: after every step no call is assigned
// twice, no rep is past its capacity, no assignable call waits while a fitting rep is free, and
// each assignment follows the policy.
TEST(dispatch, randomized_interleaving_keeps_the_invariants) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    std::mt19937 rng(seed);
    board b;
    struct rep_model {
      std::string territory;
      bool eligible = true;
      std::optional<std::int64_t> cap;
      std::int64_t open = 0;
    };
    const std::vector<std::string> territories = {"north", "south", "east", ""};
    std::map<std::string, rep_model> reps;
    std::map<std::string, std::string> call_territory;
    std::map<std::string, std::string> assigned; // call -> rep (open)
    std::set<std::string> waiting;               // queued calls
    int next_call = 0;
    auto pick = [&](auto& container) {
      auto it = container.begin();
      std::advance(it, std::uniform_int_distribution<std::size_t>(0, container.size() - 1)(rng));
      return it;
    };
    for (int i = 0; i < 20; ++i) {
      rep_model r;
      r.territory = territories[rng() % territories.size()];
      if (rng() % 3 == 0)
        r.cap = 1 + rng() % 3;
      auto id = "R" + std::to_string(i);
      reps[id] = r;
      b.put_rep(id, r.territory, true, r.cap);
    }
    auto fits = [&](const rep_model& r) { return r.eligible && (!r.cap || r.open < *r.cap); };
    for (int step = 0; step < 4000; ++step) {
      switch (rng() % 6) {
        case 0:
        case 1: { // a call arrives
          auto id = "C" + std::to_string(next_call++);
          call_territory[id] = territories[rng() % territories.size()];
          b.enqueue(id, call_territory[id]);
          waiting.insert(id);
          break;
        }
        case 2: { // a rep changes availability
          auto it = pick(reps);
          it->second.eligible = rng() % 3 != 0;
          b.put_rep(it->first, it->second.territory, it->second.eligible, it->second.cap);
          break;
        }
        case 3:
        case 4: { // a call completes
          if (assigned.empty())
            break;
          auto it = pick(assigned);
          reps[it->second].open--;
          b.release(it->second);
          assigned.erase(it);
          break;
        }
        case 5: { // a call fails and comes back later
          if (assigned.empty())
            break;
          auto it = pick(assigned);
          reps[it->second].open--;
          b.release(it->second);
          auto call = it->first;
          assigned.erase(it);
          b.enqueue(call, call_territory[call]);
          waiting.insert(call);
          break;
        }
      }
      for (auto& a : b.drain()) {
        ASSERT_TRUE(waiting.erase(a.work)) << "assigned a call that was not waiting: " << a.work;
        ASSERT_FALSE(assigned.count(a.work)) << "assigned twice: " << a.work;
        auto& r = reps.at(a.rep);
        ASSERT_TRUE(fits(r)) << a.rep << " could not take " << a.work;
        // Policy: territory first, then fewest open items.
        bool territory_fits = false;
        std::int64_t fewest = INT64_MAX;
        for (auto& [id, m] : reps)
          if (fits(m) && !call_territory[a.work].empty() && m.territory == call_territory[a.work])
            territory_fits = true;
        for (auto& [id, m] : reps)
          if (fits(m) && (!territory_fits || m.territory == call_territory[a.work]))
            fewest = std::min(fewest, m.open);
        if (territory_fits)
          ASSERT_EQ(r.territory, call_territory[a.work]);
        ASSERT_EQ(r.open, fewest) << a.rep << " had more open items than another fitting rep";
        r.open++;
        assigned[a.work] = a.rep;
      }
      for (auto& [id, m] : reps) {
        ASSERT_EQ(b.open(id), m.open);
        if (m.cap)
          ASSERT_LE(m.open, *m.cap) << id;
      }
      ASSERT_EQ(b.queued(), waiting.size());
      if (!waiting.empty())
        for (auto& [id, m] : reps)
          ASSERT_FALSE(fits(m)) << "a call waits while " << id << " could take it (step " << step << ")";
    }
  }
}

} // namespace
} // namespace crm::dispatch
