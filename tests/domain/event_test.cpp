// The stored form of an event: the decoder of recovery, replay and the audit API takes only what
// the journal writes (fuzz_event found it taking more; its reproducers are seeds now: fuzz/corpus/fuzz_event/regress-decoder-*).
#include <gtest/gtest.h>

#include "domain/event.hpp"

namespace crm {
namespace {

std::string stored(std::uint64_t seq, const event_draft& d) {
  auto canonical = canonical_json(seq, d);
  auto prev = std::string(64, '0');
  return encode_stored(canonical, prev, chain_hash(prev, canonical));
}

event_draft draft(std::string data = R"({"from":"open","to":"resolved"})") {
  return event_draft{"acme", "TKT-000001", "ticket.status_changed", "KEY-1", 1'700'000'000'000, std::move(data)};
}

TEST(stored_event, what_the_journal_writes_decodes_exactly) {
  auto s = stored(7, draft());
  auto e = decode_stored(s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq, 7u);
  EXPECT_EQ(e->company_id, "acme");
  EXPECT_EQ(e->type, "ticket.status_changed");
  EXPECT_EQ(e->data, R"({"from":"open","to":"resolved"})");
  EXPECT_EQ(e->prev_hash, std::string(64, '0'));
  EXPECT_EQ(e->hash.size(), 64u);
}

TEST(stored_event, hashes_that_are_not_lowercase_hex_are_refused) {
  auto s = stored(1, draft());
  auto bad = s;
  bad[bad.size() - 100] = static_cast<char>(0xC8); // inside prevHash
  EXPECT_FALSE(decode_stored(bad));
  EXPECT_FALSE(split_stored(bad));
  bad = s;
  bad.back() = 'G';
  EXPECT_FALSE(decode_stored(bad));
}

TEST(stored_event, bytes_after_the_closing_brace_are_refused) {
  auto canonical = canonical_json(1, draft()) + " ";
  auto prev = std::string(64, '0');
  EXPECT_FALSE(decode_stored(encode_stored(canonical, prev, chain_hash(prev, canonical))));
}

TEST(stored_event, fields_other_than_the_journals_are_refused) {
  std::string canonical =
    R"({"seq":1,"at":"2023-11-14T22:13:20.000Z","companyId":"acme","entity":"TKT-000001",)"
    R"("type":"ticket.status_changed","actor":"KEY-1","x":{"y":1,"data":2},"data":{"to":"closed"}})";
  auto prev = std::string(64, '0');
  EXPECT_FALSE(decode_stored(encode_stored(canonical, prev, chain_hash(prev, canonical))));
  // The same fields in another order are not what the journal writes either.
  canonical = R"({"at":"2023-11-14T22:13:20.000Z","seq":1,"companyId":"acme","entity":"TKT-000001",)"
              R"("type":"ticket.status_changed","actor":"KEY-1","data":{"to":"closed"}})";
  EXPECT_FALSE(decode_stored(encode_stored(canonical, prev, chain_hash(prev, canonical))));
}

} // namespace
} // namespace crm
