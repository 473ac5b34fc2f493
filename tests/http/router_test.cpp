// The HTTP layer's pure parts: the request target, media types, error answers and deadlines.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/body_reader.hpp"
#include "http/router.hpp"

namespace crm::http {
namespace {

TEST(target, path_and_query_are_decoded_as_clients_encode_them) {
  auto t = parse_target("/api/v1/support/%74ickets/?q=late%20parcel&q2=late+parcel&status=open%2Cclosed&from=2026-11-24T10%3A00%3A00.000Z&flag");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"api", "v1", "support", "tickets"}));
  query_params q(std::move(t->query));
  EXPECT_EQ(q.take("q"), "late parcel");
  EXPECT_EQ(q.take("q2"), "late parcel");
  EXPECT_EQ(q.take_list("status"), (std::vector<std::string>{"open", "closed"}));
  EXPECT_EQ(q.take("from"), "2026-11-24T10:00:00.000Z");
  EXPECT_EQ(q.take("flag"), "");
  EXPECT_FALSE(q.finish());
}

TEST(target, repeats_join_and_unknown_parameters_are_named) {
  auto t = parse_target("/x?status=open&status=closed,resolved&typo=1");
  ASSERT_TRUE(t.ok());
  query_params q(std::move(t->query));
  EXPECT_EQ(q.take_list("status"), (std::vector<std::string>{"open", "closed", "resolved"}));
  auto err = q.finish();
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, errc::malformed);
  ASSERT_EQ(err->details.size(), 1u);
  EXPECT_EQ(err->details[0].field, "typo");
}

TEST(target, what_is_not_a_path_or_not_utf8_is_malformed) {
  for (std::string bad : {"http://host/x", "*", "x", "/a?b=%FF", "/a/%C3", "/a?%ZZ=1", "/a b"}) {
    auto t = parse_target(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.err().code, errc::malformed) << bad;
  }
}

TEST(media_type, only_application_json_with_any_parameters) {
  EXPECT_TRUE(json_media_type("application/json"));
  EXPECT_TRUE(json_media_type("application/json; charset=utf-8"));
  EXPECT_TRUE(json_media_type("Application/JSON"));
  EXPECT_FALSE(json_media_type("application/jsonx"));
  EXPECT_FALSE(json_media_type("application/json-seq"));
  EXPECT_FALSE(json_media_type("text/json"));
  EXPECT_FALSE(json_media_type(""));
}

/// The problems finish() finds in `body` after reading the fields `read` (as "field: problem").
std::vector<std::string> body_problems(const std::string& body, std::vector<std::string> read) {
  auto b = body_reader::parse(body);
  EXPECT_TRUE(b.ok());
  for (auto& k : read)
    b->str(k);
  std::vector<std::string> out;
  if (auto err = b->finish())
    for (auto& d : err->details)
      out.push_back(d.field + ": " + d.problem);
  return out;
}

TEST(body, unknown_and_repeated_keys_are_named_in_the_order_given) {
  EXPECT_EQ(body_problems(R"({"a":"1","b":"2"})", {"a", "b"}), std::vector<std::string>{});
  EXPECT_EQ(body_problems(R"({"a":"1","x":"2","a":"3","y":"4","x":"5"})", {"a", "a"}),
            (std::vector<std::string>{"x: unknown field", "a: appears more than once", "y: unknown field",
                                      "x: appears more than once"}));
  // Past the pairwise check (over 16 keys): the same answers from the sorted one.
  std::string big = "{";
  std::vector<std::string> want;
  for (int i = 0; i < 40; ++i) {
    big += "\"k" + std::to_string(i % 20) + "\":\"v\",";
    if (i >= 20)
      want.push_back("k" + std::to_string(i % 20) + ": appears more than once");
    else if (i % 2 == 1)
      want.push_back("k" + std::to_string(i) + ": unknown field");
  }
  big += "\"last\":\"v\"}";
  want.push_back("last: unknown field");
  std::vector<std::string> read;
  for (int i = 0; i < 20; i += 2)
    read.push_back("k" + std::to_string(i));
  EXPECT_EQ(body_problems(big, read), want);
}

TEST(body, nested_readers_name_their_fields_and_a_second_finish_adds_nothing) {
  auto b = body_reader::parse(R"({"customer":{"name":"Asha","nmae":"x"},"extra":1})");
  ASSERT_TRUE(b.ok());
  auto c = b->object("customer");
  ASSERT_TRUE(c);
  c->str("name");
  c->check();
  auto err = b->finish();
  ASSERT_TRUE(err);
  ASSERT_EQ(err->details.size(), 2u);
  EXPECT_EQ(err->details[0].field, "customer.nmae");
  EXPECT_EQ(err->details[1].field, "extra");
  auto again = b->finish();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->details.size(), 2u);
}

TEST(body, decimal_places_are_counted_from_the_text_as_written) {
  EXPECT_EQ(decimal_places("1499"), 0);
  EXPECT_EQ(decimal_places("1499.5"), 1);
  EXPECT_EQ(decimal_places("1.50"), 1);
  EXPECT_EQ(decimal_places("-0.29"), 2);
  EXPECT_EQ(decimal_places("150e-2"), 1);
  EXPECT_EQ(decimal_places("1.5E+1"), 0);
  EXPECT_EQ(decimal_places("100e-2"), 0);
  EXPECT_EQ(decimal_places("0.000"), 0);
  EXPECT_EQ(decimal_places("0e-7"), 0);
  EXPECT_EQ(decimal_places("1.000000000000000001"), 18);
  EXPECT_EQ(decimal_places("1e-99999999999999999999"), 1000000); // saturates, no overflow
}

TEST(body, money_refuses_places_beyond_a_doubles_precision) {
  // 1.000000000000000001 and 1.0 are the same double: only the text tells them apart.
  auto amount = [](const std::string& body) -> std::optional<std::int64_t> {
    auto b = body_reader::parse(body);
    EXPECT_TRUE(b.ok()) << body;
    auto v = b->money("claimAmount");
    b->str("note");
    b->object("nested");
    EXPECT_EQ(b->finish().has_value(), !v.has_value()) << body;
    return v;
  };
  EXPECT_FALSE(amount(R"({"claimAmount":1.000000000000000001})"));
  EXPECT_FALSE(amount(R"({"note":"a \"claimAmount\": 1, \\","nested":{"claimAmount":5,"x":[1,{"y":"}"}]},)"
                      R"( "claimAmount" : 2.00000000000000000001 })"));
  EXPECT_EQ(amount(R"({"claimAmount":1499.50})"), 149950);
  EXPECT_EQ(amount(R"({"claimAmount":150e-2})"), 150);
  EXPECT_EQ(amount(R"({"note":"x","claimAmount":2.5000000000000000000})"), 250);
  EXPECT_EQ(amount(R"({"nested":{"claimAmount":1.000000000000000001},"claimAmount":7})"), 700);
}

TEST(errors, details_are_bounded_and_utf8) {
  std::vector<field_problem> many;
  for (int i = 0; i < 1000; ++i)
    many.push_back({"field_" + std::to_string(i), "unknown field"});
  many.push_back({std::string("caf\xE9"), std::string(5000, 'p')});
  auto r = error_response(error{errc::invalid, "bad", many});
  EXPECT_EQ(r.status, 422);
  EXPECT_LT(r.body.size(), 8000u);
  EXPECT_NE(r.body.find("951 more problems not shown"), std::string::npos);
  auto u = error_response(error{errc::unauthorized, "no"});
  ASSERT_EQ(u.headers.size(), 1u);
  EXPECT_EQ(u.headers[0].first, "WWW-Authenticate");
  auto busy = error_response(error{errc::unavailable, "later"});
  ASSERT_EQ(busy.headers.size(), 1u);
  EXPECT_EQ(busy.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
}

TEST(deadlines, an_unanswered_request_gets_503_once_and_the_late_answer_is_dropped) {
  deadline_keeper keeper;
  std::atomic<int> answers{0};
  std::atomic<int> status{0};
  std::optional<responder> slow;
  slow.emplace([&](response r) {
    status = r.status; // before the count the test waits on
    ++answers;
  });
  keeper.watch(*slow, std::chrono::milliseconds(1));
  while (answers.load() == 0)
    std::this_thread::yield(); // the keeper's own thread answers
  EXPECT_EQ(status.load(), 503);
  (*slow)(response{200, "{}", "application/json", {}, {}, {}}); // the actor's answer, too late
  slow.reset();
  EXPECT_EQ(answers.load(), 1);
  // Answered in time: the keeper has nothing to do.
  std::atomic<int> quick_answers{0};
  {
    responder quick([&](response) { ++quick_answers; });
    keeper.watch(quick, std::chrono::milliseconds(1));
    quick(response{201, "{}", "application/json", {}, {}, {}});
  }
  while (keeper.watched() > 0)
    std::this_thread::yield();
  EXPECT_EQ(quick_answers.load(), 1);
}

} // namespace
} // namespace crm::http
