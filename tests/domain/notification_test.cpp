#include <gtest/gtest.h>

#include <cstdio>
#include <limits>

#include "domain/notification.hpp"
#include "domain/outbox_index.hpp"
#include "domain/text.hpp"
#include "domain/time_format.hpp"

namespace crm::notifications {
namespace {

const millis t0 = 1'795'000'000'000;

struct fixture {
  notification n;
  std::vector<event> log;
  std::uint64_t seq = 0;
  policy p;
  origin who{"acme", "system", t0};

  explicit fixture(std::uint32_t max_attempts = 8, std::string id = "NTF-000001") {
    p.max_attempts = max_attempts;
    queue_cmd c;
    c.ch = channel::email;
    c.to = "asha@example.com";
    c.event = "ticket.status_changed";
    c.subject = "Ticket TKT-000001";
    c.body = "Your ticket is resolved";
    fold(decide_queue(c, id, who, p));
  }
  void fold(const std::vector<event_draft>& ds) {
    for (auto& d : ds) {
      log.push_back(event{++seq, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
      EXPECT_TRUE(apply(n, log.back()));
    }
  }
  std::vector<event_draft> attempt(bool ok, std::string_view error = {}) {
    auto ds = decide_attempt(n, ok, error, who, p);
    fold(ds);
    return ds;
  }
  notification replayed() const {
    notification r;
    for (auto& e : log)
      EXPECT_TRUE(apply(r, e));
    return r;
  }
};

std::string to_json(const notification& n) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, n);
  return {sb.GetString(), sb.GetSize()};
}

TEST(notification_policy, backoff_doubles_from_the_retry_delay_up_to_the_cap) {
  policy p;
  EXPECT_EQ(p.backoff(1), 2'000);
  EXPECT_EQ(p.backoff(2), 4'000);
  EXPECT_EQ(p.backoff(3), 8'000);
  EXPECT_EQ(p.backoff(4), 16'000);
  EXPECT_EQ(p.backoff(8), 256'000);
  EXPECT_EQ(p.backoff(9), 512'000);
  EXPECT_EQ(p.backoff(10), 600'000);
  EXPECT_EQ(p.backoff(40), 600'000);
  EXPECT_EQ(p.backoff(64), 600'000);
  EXPECT_EQ(p.backoff(0xffffffffu), 600'000);
  EXPECT_EQ(p.backoff(0), 2'000);
  policy big{millis(1) << 40, std::numeric_limits<millis>::max(), 8};
  EXPECT_EQ(big.backoff(23), millis(1) << 62);
  EXPECT_EQ(big.backoff(24), std::numeric_limits<millis>::max());
  EXPECT_EQ(big.backoff(40), std::numeric_limits<millis>::max());
}

TEST(notification, queued_is_pending_and_due_at_once) {
  fixture f;
  EXPECT_EQ(f.n.id, "NTF-000001");
  EXPECT_EQ(f.n.company_id, "acme");
  EXPECT_EQ(f.n.ch, channel::email);
  EXPECT_EQ(f.n.to, "asha@example.com");
  EXPECT_EQ(f.n.event, "ticket.status_changed");
  EXPECT_EQ(f.n.subject, "Ticket TKT-000001");
  EXPECT_EQ(f.n.body, "Your ticket is resolved");
  EXPECT_EQ(f.n.st, status::pending);
  EXPECT_EQ(f.n.attempts, 0u);
  EXPECT_EQ(f.n.max_attempts, 8u);
  EXPECT_EQ(f.n.next_attempt_at, t0);
  EXPECT_EQ(f.n.created_at, t0);
  EXPECT_EQ(f.n.version, 1u);
  EXPECT_EQ(f.n.last_seq, 1u);
  ASSERT_EQ(f.log.size(), 1u);
  EXPECT_EQ(f.log[0].type, "notification.queued");
  EXPECT_EQ(f.log[0].entity, "NTF-000001");
}

TEST(notification, a_successful_try_sends_it) {
  fixture f;
  f.attempt(false, "connection refused");
  f.who.now = t0 + 2'000;
  auto ds = f.attempt(true);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].type, "notification.attempted");
  EXPECT_EQ(f.n.st, status::sent);
  EXPECT_EQ(f.n.attempts, 2u);
  EXPECT_EQ(f.n.sent_at, t0 + 2'000);
  EXPECT_EQ(f.n.next_attempt_at, std::nullopt);
  EXPECT_TRUE(f.n.last_error.empty());
  EXPECT_EQ(to_json(f.n),
            R"({"id":"NTF-000001","channel":"email","to":"asha@example.com","event":"ticket.status_changed",)"
            R"("status":"sent","attempts":2,"lastError":null,"createdAt":")" + format_time(t0)
              + R"(","sentAt":")" + format_time(t0 + 2'000) + R"("})");
}

TEST(notification, fails_for_good_after_max_attempts_with_backoff_between) {
  fixture f(4);
  millis now = t0;
  for (std::uint32_t i = 1; i <= 4; ++i) {
    f.who.now = now;
    auto ds = f.attempt(false, "HTTP 503");
    ASSERT_EQ(ds.size(), 1u);
    EXPECT_EQ(f.n.attempts, i);
    EXPECT_EQ(f.n.last_error, "HTTP 503");
    if (i < 4) {
      EXPECT_EQ(f.n.st, status::pending);
      EXPECT_EQ(f.n.next_attempt_at, now + f.p.backoff(i));
      now = *f.n.next_attempt_at;
    }
  }
  EXPECT_EQ(f.n.st, status::failed);
  EXPECT_EQ(f.n.attempts, f.n.max_attempts);
  EXPECT_EQ(f.n.next_attempt_at, std::nullopt);
  EXPECT_EQ(f.n.sent_at, std::nullopt);
  EXPECT_EQ(now, t0 + 2'000 + 4'000 + 8'000);
  EXPECT_TRUE(f.attempt(false, "late").empty());
  EXPECT_TRUE(f.attempt(true).empty());
  EXPECT_EQ(f.n.attempts, 4u);
}

TEST(notification, a_stale_outcome_after_sent_changes_nothing) {
  fixture f;
  f.attempt(true);
  auto before = f.n;
  EXPECT_TRUE(decide_attempt(f.n, false, "timeout", f.who, f.p).empty());
  EXPECT_TRUE(decide_attempt(f.n, true, {}, f.who, f.p).empty());
  EXPECT_EQ(f.n, before);
}

TEST(notification, retry_grants_fresh_attempts_to_a_failed_one_only) {
  fixture f(2);
  auto pending = decide_retry(f.n, f.who, f.p);
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.err().code, errc::conflict);
  ASSERT_EQ(pending.err().details.size(), 1u);
  EXPECT_EQ(pending.err().details[0].field, "status");

  f.attempt(false, "down");
  f.attempt(false, "down");
  ASSERT_EQ(f.n.st, status::failed);
  f.who.now = t0 + 60'000;
  auto r = decide_retry(f.n, f.who, f.p);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->at(0).type, "notification.retried");
  f.fold(r.value());
  EXPECT_EQ(f.n.st, status::pending);
  EXPECT_EQ(f.n.max_attempts, 4u);
  EXPECT_EQ(f.n.attempts, 2u);
  EXPECT_EQ(f.n.next_attempt_at, t0 + 60'000);

  f.attempt(false, "still down");
  EXPECT_EQ(f.n.st, status::pending);
  EXPECT_EQ(f.n.next_attempt_at, t0 + 60'000 + f.p.backoff(3));
  f.attempt(false, "still down");
  EXPECT_EQ(f.n.st, status::failed);
  EXPECT_EQ(f.n.attempts, 4u);

  ASSERT_TRUE(decide_retry(f.n, f.who, f.p).ok());
  f.fold(decide_retry(f.n, f.who, f.p).value());
  f.attempt(true);
  EXPECT_EQ(f.n.st, status::sent);
  auto sent = decide_retry(f.n, f.who, f.p);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.err().code, errc::conflict);
}

TEST(notification, a_receivers_error_is_stored_valid_and_bounded) {
  fixture f;
  std::string error = "bad\xff\xfe gateway\r\n\x1b[31m\xc2\x85 \xe2\x82 caf\xc3\xa9 ";
  while (error.size() < 10 * 1024)
    error += "\xe2\x82\xac"; // euro signs: the cut must fall between characters
  error += "\xf0\x9f";
  auto ds = f.attempt(false, error);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(valid_utf8(ds[0].data));
  EXPECT_LE(ds[0].data.size(), 500u);
  EXPECT_LE(f.n.last_error.size(), 300u);
  EXPECT_GE(f.n.last_error.size(), 297u);
  EXPECT_TRUE(valid_header_text(f.n.last_error));
  EXPECT_EQ(f.n.last_error.substr(0, 24), "bad?? gateway???[31m? ??");
  EXPECT_EQ(f.n.last_error.substr(24, 7), " caf\xc3\xa9 ");
  EXPECT_EQ(f.n.last_error.size(), 31u + 89 * 3);
  EXPECT_EQ(f.n.last_error.substr(f.n.last_error.size() - 3), "\xe2\x82\xac");

  fixture g;
  g.attempt(false, "");
  EXPECT_FALSE(g.n.last_error.empty());
}

TEST(notification, replay_of_the_log_equals_the_live_state) {
  fixture f(3);
  f.who.now += 10;
  f.attempt(false, "refused");
  f.who.now += 5'000;
  f.attempt(false, "timeout \xff");
  f.who.now += 5'000;
  f.attempt(false, "HTTP 500");
  f.who.now += 1'000;
  f.fold(decide_retry(f.n, f.who, f.p).value());
  EXPECT_EQ(f.replayed(), f.n);
  f.who.now += 1'000;
  f.attempt(true);
  EXPECT_EQ(f.replayed(), f.n);
  EXPECT_EQ(f.n.version, f.log.size());
  EXPECT_EQ(f.n.last_seq, f.log.size());
}

TEST(notification, unknown_event_types_are_ignored) {
  fixture f;
  auto before = f.n;
  EXPECT_TRUE(apply(f.n, event{9, t0 + 1, "acme", "NTF-000001", "notification.opened", "system", "{}", {}, {}}));
  EXPECT_EQ(f.n, before);
  EXPECT_FALSE(apply(f.n, event{9, t0 + 1, "acme", "NTF-000001", "notification.retried", "system", "{", {}, {}}));
}

TEST(notification, names_round_trip) {
  for (auto c : {channel::email, channel::whatsapp, channel::sms, channel::webhook})
    EXPECT_EQ(parse_channel(to_string(c)), c);
  for (auto s : {status::pending, status::sent, status::failed})
    EXPECT_EQ(parse_status(to_string(s)), s);
  EXPECT_EQ(parse_channel("fax"), std::nullopt);
  EXPECT_EQ(parse_status("queued"), std::nullopt);
}

notification make(int number, millis created, channel ch, status st, std::optional<millis> next = {}) {
  notification n;
  char id[16];
  std::snprintf(id, sizeof id, "NTF-%06d", number);
  n.id = id;
  n.ch = ch;
  n.st = st;
  n.created_at = created;
  n.next_attempt_at = st == status::pending ? next : std::nullopt;
  return n;
}

std::vector<std::string> ids(const list_page& p) {
  std::vector<std::string> out;
  for (auto& n : p.items)
    out.push_back(n.id);
  return out;
}

TEST(outbox_index, lists_newest_first_with_filters_and_pages) {
  outbox_index x;
  x.put(make(1, t0, channel::email, status::sent));
  x.put(make(2, t0 + 10, channel::webhook, status::pending, t0 + 10));
  x.put(make(3, t0 + 10, channel::sms, status::failed));
  x.put(make(4, t0 + 20, channel::webhook, status::failed));
  x.put(make(5, t0 + 5, channel::email, status::pending, t0 + 5));
  EXPECT_EQ(x.size(), 5u);

  auto all = x.list({});
  EXPECT_EQ(all.total, 5u);
  EXPECT_EQ(ids(all), (std::vector<std::string>{"NTF-000004", "NTF-000003", "NTF-000002", "NTF-000005",
                                                "NTF-000001"}));
  auto p2 = x.list({2, 2, {}, {}});
  EXPECT_EQ(p2.total, 5u);
  EXPECT_EQ(ids(p2), (std::vector<std::string>{"NTF-000002", "NTF-000005"}));
  auto p4 = x.list({4, 2, {}, {}});
  EXPECT_EQ(p4.total, 5u);
  EXPECT_TRUE(p4.items.empty());

  auto failed = x.list({1, 20, {status::failed}, {}});
  EXPECT_EQ(failed.total, 2u);
  EXPECT_EQ(ids(failed), (std::vector<std::string>{"NTF-000004", "NTF-000003"}));
  auto hooks = x.list({1, 1, {status::failed, status::pending}, {channel::webhook}});
  EXPECT_EQ(hooks.total, 2u);
  EXPECT_EQ(ids(hooks), (std::vector<std::string>{"NTF-000004"}));
  auto email = x.list({1, 20, {}, {channel::email, channel::sms}});
  EXPECT_EQ(email.total, 3u);
  EXPECT_EQ(ids(email), (std::vector<std::string>{"NTF-000003", "NTF-000005", "NTF-000001"}));
  EXPECT_EQ(x.list({1, 20, {status::sent}, {channel::webhook}}).total, 0u);

  ASSERT_NE(x.find("NTF-000003"), nullptr);
  EXPECT_EQ(x.find("NTF-000003")->ch, channel::sms);
  EXPECT_EQ(x.find("NTF-000009"), nullptr);
  EXPECT_EQ(x.find("NTF-3"), nullptr);

  x.put(make(3, t0 + 10, channel::sms, status::sent));
  EXPECT_EQ(x.size(), 5u);
  EXPECT_EQ(x.list({1, 20, {status::failed}, {}}).total, 1u);
  EXPECT_EQ(x.list({1, 20, {status::sent}, {}}).total, 2u);
  std::size_t seen = 0;
  x.for_each([&](const notification&) { ++seen; });
  EXPECT_EQ(seen, 5u);
}

TEST(outbox_index, due_lists_pending_ones_whose_time_has_come_oldest_first) {
  outbox_index x;
  x.put(make(1, t0, channel::email, status::pending, t0 + 300));
  x.put(make(2, t0, channel::email, status::pending, t0 + 100));
  x.put(make(3, t0, channel::email, status::failed));
  x.put(make(4, t0, channel::email, status::sent));
  x.put(make(5, t0, channel::email, status::pending, t0 + 100));
  x.put(make(6, t0, channel::email, status::pending, t0 + 900));
  EXPECT_TRUE(x.due(t0 + 99).empty());
  EXPECT_EQ(x.due(t0 + 100), (std::vector<std::string>{"NTF-000002", "NTF-000005"}));
  EXPECT_EQ(x.due(t0 + 500), (std::vector<std::string>{"NTF-000002", "NTF-000005", "NTF-000001"}));
  EXPECT_EQ(x.due(t0 + 500, 2), (std::vector<std::string>{"NTF-000002", "NTF-000005"}));
  EXPECT_TRUE(x.due(t0 + 500, 0).empty());

  x.put(make(2, t0, channel::email, status::sent));            // sent: no longer due
  x.put(make(5, t0, channel::email, status::pending, t0 + 1000)); // tried again later
  x.put(make(3, t0, channel::email, status::pending, t0 + 50));   // retried
  EXPECT_EQ(x.due(t0 + 500), (std::vector<std::string>{"NTF-000003", "NTF-000001"}));
  EXPECT_EQ(x.due(t0 + 1000),
            (std::vector<std::string>{"NTF-000003", "NTF-000001", "NTF-000006", "NTF-000005"}));
}

TEST(outbox_index, keeps_every_pending_one_and_only_the_newest_finished_ones) {
  outbox_index x(3);
  // Pending ones are never dropped, however many.
  for (int i = 1; i <= 10; ++i)
    EXPECT_TRUE(x.put(make(i, t0 + i, channel::webhook, status::pending, t0 + i)).empty());
  EXPECT_EQ(x.size(), 10u);
  // As they finish (in any order), the oldest finished go once there are more than 3.
  EXPECT_TRUE(x.put(make(5, t0 + 5, channel::webhook, status::sent)).empty());
  EXPECT_TRUE(x.put(make(2, t0 + 2, channel::webhook, status::failed)).empty());
  EXPECT_TRUE(x.put(make(9, t0 + 9, channel::webhook, status::sent)).empty());
  EXPECT_EQ(x.put(make(7, t0 + 7, channel::webhook, status::failed)), (std::vector<std::string>{"NTF-000002"}));
  EXPECT_EQ(x.find("NTF-000002"), nullptr);
  EXPECT_EQ(x.put(make(1, t0 + 1, channel::webhook, status::sent)), (std::vector<std::string>{"NTF-000001"}));
  EXPECT_EQ(x.size(), 8u);
  EXPECT_EQ(x.list({}).total, 8u);
  EXPECT_EQ(x.list({1, 20, {status::sent, status::failed}, {}}).total, 3u);
  EXPECT_EQ(x.list({1, 20, {status::pending}, {}}).total, 5u);
  // A finished one made pending again (a retry) is no longer counted among the finished.
  x.put(make(7, t0 + 7, channel::webhook, status::pending, t0 + 100));
  EXPECT_TRUE(x.put(make(3, t0 + 3, channel::webhook, status::sent)).empty());
  EXPECT_EQ(x.list({1, 20, {status::sent, status::failed}, {}}).total, 3u);
  // A sent one is kept without its text; a failed one keeps it for its retry.
  auto sent = make(11, t0 + 11, channel::email, status::sent);
  sent.subject = "s";
  sent.body = "b";
  x.put(sent);
  EXPECT_TRUE(x.find("NTF-000011")->body.empty());
  EXPECT_TRUE(x.find("NTF-000011")->subject.empty());
  auto failed = make(12, t0 + 12, channel::email, status::failed);
  failed.body = "b";
  x.put(failed);
  EXPECT_EQ(x.find("NTF-000012")->body, "b");
  // Once its queueing is in the log, a pending one is kept without its text too (read back
  // from the log when tried).
  auto written = make(13, t0 + 13, channel::email, status::pending, t0 + 13);
  written.subject = "s";
  written.body = "b";
  written.queued_seq = 42;
  x.put(written);
  EXPECT_TRUE(x.find("NTF-000013")->body.empty());
  EXPECT_TRUE(x.find("NTF-000013")->subject.empty());
  EXPECT_EQ(x.find("NTF-000013")->queued_seq, 42u);
  EXPECT_EQ(x.due(t0 + 1000).size(), 6u); // 4, 6, 7, 8, 10, 13
}

TEST(outbox_index, follows_a_notification_through_its_life) {
  fixture f(2);
  outbox_index x;
  x.put(f.n);
  EXPECT_EQ(x.due(t0), (std::vector<std::string>{"NTF-000001"}));
  f.attempt(false, "down");
  x.put(f.n);
  EXPECT_TRUE(x.due(t0 + 1'999).empty());
  EXPECT_EQ(x.due(t0 + 2'000), (std::vector<std::string>{"NTF-000001"}));
  f.who.now = t0 + 2'000;
  f.attempt(false, "down");
  x.put(f.n);
  EXPECT_TRUE(x.due(t0 + 10'000'000).empty());
  EXPECT_EQ(x.list({1, 20, {status::failed}, {}}).total, 1u);
}

} // namespace
} // namespace crm::notifications
