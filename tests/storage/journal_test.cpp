#include <gtest/gtest.h>

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

#include "storage/journal.hpp"
#include "storage/verify.hpp"
#include "testing/temp_dir.hpp"

namespace crm::storage {
namespace {

event_draft draft(const std::string& entity, int n, const std::string& company = "acme") {
  return event_draft{company, entity, "test.happened", "system", 1'795'000'000'000 + n,
                     "{\"n\":" + std::to_string(n) + "}"};
}

std::unique_ptr<store> open_rw(const testing::temp_dir& d) {
  auto s = store::open(d.str(), open_mode::read_write);
  EXPECT_TRUE(s.ok());
  return std::move(s.value());
}

TEST(journal, concurrent_submitters_get_one_gapless_chained_sequence) {
  testing::temp_dir dir;
  auto db = open_rw(dir);
  {
    journal j(*db, {});
    std::vector<std::thread> threads;
    std::atomic<int> answered{0};
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 500; ++i) {
          submission s;
          s.events = {draft("E-" + std::to_string(t), i), draft("E-" + std::to_string(t), i)};
          s.done = [&](result<std::vector<event>> r) {
            ASSERT_TRUE(r.ok());
            ASSERT_EQ(r.value().size(), 2u);
            EXPECT_EQ(r.value()[1].seq, r.value()[0].seq + 1); // a submission stays together
            EXPECT_EQ(r.value()[1].prev_hash, r.value()[0].hash);
            ++answered;
          };
          j.submit(std::move(s));
        }
      });
    for (auto& t : threads)
      t.join();
    j.flush();
    EXPECT_EQ(answered.load(), 2000);
    EXPECT_EQ(j.last_seq(), 4000u);
  }
  auto rep = verify_chain(*db);
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.events, 4000u);
  EXPECT_EQ(db->entity_seqs("E-2").value().size(), 1000u);
}

TEST(journal, rows_are_written_with_their_events_and_snapshots_get_the_seq) {
  testing::temp_dir dir;
  auto db = open_rw(dir);
  journal j(*db, {});
  submission s;
  s.events = {draft("TKT-1", 1), draft("TKT-1", 2)};
  s.ops.push_back({cf::timers, false, "timer-row", "", false});
  s.ops.push_back({cf::snapshots, false, "TKT-1", "state", true});
  auto r = submit_and_wait(j, std::move(s));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(db->get(cf::timers, "timer-row").value());
  auto snap = db->get(cf::snapshots, "TKT-1").value();
  ASSERT_TRUE(snap);
  EXPECT_EQ(get_be64(*snap), 2u);
  EXPECT_EQ(snap->substr(8), "state");
  submission del;
  del.ops.push_back({cf::timers, true, "timer-row", "", false});
  ASSERT_TRUE(submit_and_wait(j, std::move(del)).ok());
  EXPECT_FALSE(db->get(cf::timers, "timer-row").value());
}

TEST(journal, the_chain_continues_across_restarts) {
  testing::temp_dir dir;
  {
    auto db = open_rw(dir);
    journal j(*db, {});
    ASSERT_TRUE(submit_and_wait(j, {{draft("A", 1)}, {}, {}}).ok());
  }
  auto db = open_rw(dir);
  journal j(*db, {.sync = true});
  auto r = submit_and_wait(j, {{draft("A", 2)}, {}, {}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()[0].seq, 2u);
  j.stop();
  EXPECT_TRUE(verify_chain(*db).ok());
}

TEST(journal, company_events_are_that_companys_only) {
  testing::temp_dir dir;
  auto db = open_rw(dir);
  journal j(*db, {});
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(submit_and_wait(j, {{draft("X", i, i % 2 ? "acme" : "globex")}, {}, {}}).ok());
  auto evs = db->company_events("acme", 0, 100, [](const event&) { return true; }).value();
  ASSERT_EQ(evs.size(), 5u);
  for (auto& e : evs)
    EXPECT_EQ(e.company_id, "acme");
  auto page = db->company_events("acme", evs[1].seq, 2, [](const event&) { return true; }).value();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, evs[2].seq);
}

TEST(journal, a_companys_events_are_found_whole_when_one_write_holds_runs_of_several_companies) {
  testing::temp_dir dir;
  auto db = open_rw(dir);
  std::vector<std::uint64_t> acme; // the seqs of acme's events, in order
  {
    // A long wait for company: every submission below goes into one write.
    journal j(*db, {.max_delay = std::chrono::milliseconds(300)});
    std::vector<std::pair<std::string, int>> subs = {{"acme", 3}, {"acme", 2}, {"globex", 1}, {"acme", 4},
                                                     {"globex", 2}, {"acme", 1}};
    std::mutex mu;
    int n = 0;
    for (auto& [company, events] : subs) {
      submission s;
      for (int i = 0; i < events; ++i, ++n)
        s.events.push_back(draft("E-" + std::to_string(n), n, company));
      s.done = [&, company = company](result<std::vector<event>> r) {
        ASSERT_TRUE(r.ok());
        std::lock_guard<std::mutex> lock(mu);
        if (company == "acme")
          for (auto& e : r.value())
            acme.push_back(e.seq);
      };
      j.submit(std::move(s));
    }
    j.flush();
  }
  ASSERT_EQ(acme.size(), 10u);
  std::sort(acme.begin(), acme.end());
  auto all = [](const event&) { return true; };
  auto seqs = [](const std::vector<event>& evs) {
    std::vector<std::uint64_t> out;
    for (auto& e : evs)
      out.push_back(e.seq);
    return out;
  };
  // One index row per run of a company's consecutive events: acme's 5, 4 and 1.
  int rows = 0;
  db->scan(cf::indexes, company_prefix("acme"), [&](std::string_view, std::string_view) { return ++rows, true; });
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(seqs(db->company_events("acme", 0, 100, all).value()), acme);
  EXPECT_EQ(db->company_events("globex", 0, 100, all).value().size(), 3u);
  // From the middle of a run, and pages that end in the middle of one.
  EXPECT_EQ(seqs(db->company_events("acme", acme[1], 100, all).value()), std::vector<std::uint64_t>(acme.begin() + 2, acme.end()));
  std::vector<std::uint64_t> paged;
  for (std::uint64_t after = 0;;) {
    auto page = db->company_events("acme", after, 3, all).value();
    if (page.empty())
      break;
    ASSERT_LE(page.size(), 3u);
    for (auto& e : page)
      paged.push_back(e.seq);
    after = page.back().seq;
  }
  EXPECT_EQ(paged, acme);
  EXPECT_TRUE(db->company_events("acme", acme.back(), 100, all).value().empty());
  EXPECT_TRUE(db->company_events("acme", std::numeric_limits<std::uint64_t>::max(), 100, all).value().empty());
  // Filtered: the filter sees every event of the runs.
  auto odd = db->company_events("acme", 0, 100, [](const event& e) { return e.seq % 2 == 1; }).value();
  for (auto& e : odd)
    EXPECT_EQ(e.seq % 2, 1u);
  EXPECT_EQ(odd.size(), static_cast<std::size_t>(std::count_if(acme.begin(), acme.end(), [](auto s) { return s % 2 == 1; })));
  EXPECT_TRUE(verify_chain(*db).ok());
}

TEST(journal, after_stop_submissions_fail_cleanly) {
  testing::temp_dir dir;
  auto db = open_rw(dir);
  journal j(*db, {});
  j.stop();
  auto r = submit_and_wait(j, {{draft("A", 1)}, {}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::unavailable);
}

class tampering : public ::testing::Test {
protected:
  void SetUp() override {
    db = open_rw(dir);
    journal j(*db, {});
    for (int i = 1; i <= 10; ++i)
      ASSERT_TRUE(submit_and_wait(j, {{draft("TKT-1", i)}, {}, {}}).ok());
    ASSERT_TRUE(verify_chain(*db).ok());
  }
  std::string raw(std::uint64_t seq) { return *db->get(cf::events, be64(seq)).value(); }
  void put(std::uint64_t seq, const std::string& v) {
    ASSERT_TRUE(db->db().Put({}, db->handle(cf::events), be64(seq), v).ok());
  }
  testing::temp_dir dir;
  std::unique_ptr<store> db;
};

TEST_F(tampering, an_altered_event_is_caught_at_its_seq) {
  auto v = raw(4);
  auto pos = v.find("\"n\":4");
  ASSERT_NE(pos, std::string::npos);
  v[pos + 4] = '9';
  put(4, v);
  auto rep = verify_chain(*db);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.breaks.front().seq, 4u);
  EXPECT_NE(rep.breaks.front().reason.find("altered"), std::string::npos);
}

TEST_F(tampering, a_removed_event_is_caught_at_its_seq) {
  ASSERT_TRUE(db->db().Delete({}, db->handle(cf::events), be64(6)).ok());
  auto rep = verify_chain(*db);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.breaks.front().seq, 6u);
  EXPECT_NE(rep.breaks.front().reason.find("missing"), std::string::npos);
}

TEST_F(tampering, reordered_events_are_caught) {
  auto a = raw(3), b = raw(7);
  put(3, b);
  put(7, a);
  auto rep = verify_chain(*db);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.breaks.front().seq, 3u);
  EXPECT_NE(rep.breaks.front().reason.find("reordered"), std::string::npos);
}

TEST_F(tampering, a_rehashed_forgery_still_breaks_the_link_after_it) {
  // Alter event 5 and recompute its own hash: event 6's prevHash no longer links.
  auto v = raw(5);
  auto parts = split_stored(v);
  std::string canonical(parts->canonical);
  canonical.replace(canonical.find("\"n\":5"), 5, "\"n\":8");
  put(5, encode_stored(canonical, parts->prev_hash, chain_hash(parts->prev_hash, canonical)));
  auto rep = verify_chain(*db);
  ASSERT_FALSE(rep.ok());
  EXPECT_EQ(rep.breaks.front().seq, 6u);
}

TEST(journal, refuses_events_recovery_could_not_read_and_writes_the_rest) {
  testing::temp_dir dir;
  auto db = open_rw(dir);
  {
    journal j(*db, {.max_delay = std::chrono::milliseconds(200)}); // one batch for all three
    std::vector<std::future<result<std::vector<event>>>> outs;
    auto send = [&](submission s) {
      auto p = std::make_shared<std::promise<result<std::vector<event>>>>();
      outs.push_back(p->get_future());
      s.done = [p](result<std::vector<event>> r) { p->set_value(std::move(r)); };
      j.submit(std::move(s));
    };
    send({{draft("TKT-1", 1)}, {}, {}});
    auto bad = draft("TKT-2", 2, "caf\xE9");
    send({{bad}, {{cf::timers, false, "must-not-be-written", "", false}}, {}});
    auto not_object = draft("TKT-3", 3);
    not_object.data = "[1]";
    send({{not_object}, {}, {}});
    send({{draft("TKT-4", 4)}, {}, {}});
    auto a = outs[0].get(), b = outs[1].get(), c = outs[2].get(), d = outs[3].get();
    ASSERT_TRUE(a.ok());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.err().code, errc::invalid);
    ASSERT_FALSE(c.ok());
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d.value()[0].seq, a.value()[0].seq + 1); // no gap where the refused ones were
  }
  EXPECT_FALSE(db->get(cf::timers, "must-not-be-written").value());
  auto rep = verify_chain(*db);
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.events, 2u);
}

TEST(keys, strings_are_length_prefixed_so_no_id_reaches_another_rows_range) {
  // "c" lp("a") ... and "c" lp("a|b") ...: neither is a prefix of the other's rows.
  EXPECT_NE(company_prefix("a|b").substr(0, company_prefix("a").size()), company_prefix("a"));
  EXPECT_NE(idempotency_key("A", "B|K"), idempotency_key("A|B", "K"));
  EXPECT_NE(idempotency_key("A", "BK"), idempotency_key("AB", "K"));
  timer_key t{1'800'000'000'000, "co|mp", "TKT-000001", "sla"};
  timer_key back;
  ASSERT_TRUE(decode_timer(encode_timer(t), back));
  EXPECT_EQ(back.due, t.due);
  EXPECT_EQ(back.company, "co|mp");
  EXPECT_EQ(back.entity, "TKT-000001");
  EXPECT_EQ(back.kind, "sla");
  EXPECT_FALSE(decode_timer(encode_timer(t) + "x", back));
  EXPECT_FALSE(decode_timer(encode_timer(t).substr(0, 12), back));
}

TEST(keys, rows_of_the_old_layout_are_upgraded_when_the_store_opens) {
  testing::temp_dir dir;
  {
    auto db = open_rw(dir);
    journal j(*db, {});
    ASSERT_TRUE(submit_and_wait(j, {{draft("TKT-000001", 1), draft("TKT-000001", 2)}, {}, {}}).ok());
    j.stop();
    // Turn the data dir back into layout 1: '|'-joined rows, and no layout mark.
    rocksdb::WriteBatch wb;
    auto* idx = db->handle(cf::indexes);
    auto* tim = db->handle(cf::timers);
    std::vector<std::string> rows;
    ASSERT_TRUE(db->scan(cf::indexes, "", [&](std::string_view k, std::string_view) { return rows.emplace_back(k), true; }).value());
    for (auto& k : rows)
      wb.Delete(idx, k);
    wb.Put(idx, "e|TKT-000001|" + be64(1), "");
    wb.Put(idx, "e|TKT-000001|" + be64(2), "");
    wb.Put(idx, "c|acme|" + be64(1), be64(2));
    wb.Put(idx, "i|acme|key-1", R"({"fingerprint":"f","status":201,"body":"{}","at":1})");
    wb.Put(tim, be64(1'900'000'000'000) + "acme|TKT-000001|sla", "");
    wb.Delete(db->handle(cf::meta), "key_layout");
    ASSERT_TRUE(db->db().Write({}, &wb).ok());
  }
  auto db = open_rw(dir);
  EXPECT_EQ(db->entity_seqs("TKT-000001").value(), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(db->company_events("acme", 0, 10, [](const event&) { return true; }).value().size(), 2u);
  EXPECT_TRUE(db->get(cf::indexes, idempotency_key("acme", "key-1")).value());
  int timers = 0;
  ASSERT_TRUE(db->scan(cf::timers, "", [&](std::string_view k, std::string_view) {
    timer_key t;
    EXPECT_TRUE(decode_timer(k, t));
    EXPECT_EQ(t.entity, "TKT-000001");
    return ++timers, true;
  }).value());
  EXPECT_EQ(timers, 1);
  int old = 0;
  ASSERT_TRUE(db->scan(cf::indexes, "", [&](std::string_view k, std::string_view) { return old += k.size() > 1 && k[1] == '|', true; }).value());
  EXPECT_EQ(old, 0);
  EXPECT_EQ(db->get(cf::meta, "key_layout").value(), std::optional<std::string>("2"));
}

} // namespace
} // namespace crm::storage

namespace crm::storage {
namespace {

// A clean stop flushes: the next open reads tables instead of replaying the write-ahead log
// (seconds with a large log). What was written is there either way.
TEST(store, a_flush_writes_the_memtables_out) {
  testing::temp_dir dir;
  auto count_ssts = [&] {
    int n = 0;
    for (auto& f : std::filesystem::directory_iterator(dir.str()))
      n += f.path().extension() == ".sst";
    return n;
  };
  {
    auto db = open_rw(dir);
    journal j(*db, {});
    for (int i = 0; i < 50; ++i)
      j.submit({{draft("E-1", i)}, {}, {}});
    j.flush();
    j.stop();
    EXPECT_EQ(count_ssts(), 0); // all of it in the log and the memtables so far
    auto r = db->flush();
    EXPECT_TRUE(r.ok()) << (r ? "" : r.err().message);
    EXPECT_GE(count_ssts(), 1);
  }
  auto db = open_rw(dir);
  auto rep = verify_chain(*db);
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.events, 50u);
}

} // namespace
} // namespace crm::storage
