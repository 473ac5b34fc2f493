// The plain indexes of a company beside the ticket index: calls (by creation, rep, shipment),
// shipments and NDR links.
#include <gtest/gtest.h>

#include "domain/call_index.hpp"
#include "domain/links.hpp"

namespace crm {
namespace {

calls::call_log call(int n, millis created, const std::string& shipment, const std::string& rep = {},
                     calls::status st = calls::status::pending) {
  calls::call_log c;
  char id[16];
  std::snprintf(id, sizeof id, "CALL-%06d", n);
  c.id = id;
  c.created_at = created;
  c.updated_at = created;
  c.shipment_id = shipment;
  c.assigned_to = rep;
  c.st = st;
  return c;
}

std::vector<std::string> ids(const calls::list_page& p) {
  std::vector<std::string> out;
  for (auto& c : p.items)
    out.push_back(c.id);
  return out;
}

TEST(call_index, lists_newest_first_by_default_and_ties_break_by_number) {
  calls::call_index idx;
  idx.put(call(1, 100, "S1"));
  idx.put(call(3, 200, "S2"));
  idx.put(call(2, 200, "S3")); // same time as 3: the number breaks the tie
  calls::list_query q;
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000003", "CALL-000002", "CALL-000001"}));
  q.descending = false;
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000001", "CALL-000002", "CALL-000003"}));
  q.limit = 2;
  q.page = 2;
  auto p = idx.list(q);
  EXPECT_EQ(ids(p), (std::vector<std::string>{"CALL-000003"}));
  EXPECT_EQ(p.total, 3u);
}

TEST(call_index, updated_at_order_follows_changes) {
  calls::call_index idx;
  idx.put(call(1, 100, "S1"));
  idx.put(call(2, 200, "S2"));
  auto c = *idx.find("CALL-000001");
  c.updated_at = 300;
  idx.put(c);
  calls::list_query q;
  q.sort_by = "updatedAt";
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000001", "CALL-000002"}));
  EXPECT_EQ(idx.size(), 2u);
}

TEST(call_index, the_calls_of_a_rep_follow_reassignment) {
  calls::call_index idx;
  idx.put(call(1, 100, "S1", "REP-1"));
  idx.put(call(2, 110, "S2", "REP-1"));
  ASSERT_NE(idx.of_rep("REP-1"), nullptr);
  EXPECT_EQ(idx.of_rep("REP-1")->size(), 2u);
  auto c = *idx.find("CALL-000001");
  c.assigned_to = "REP-2";
  idx.put(c);
  EXPECT_EQ(idx.of_rep("REP-1")->size(), 1u);
  EXPECT_EQ(idx.of_rep("REP-2")->count("CALL-000001"), 1u);
  c.assigned_to.clear();
  idx.put(c);
  EXPECT_EQ(idx.of_rep("REP-2"), nullptr); // emptied sets are dropped
  calls::list_query q;
  q.assigned_to = {"REP-1"};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000002"}));
  q.assigned_to = {"null"};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000001"}));
}

TEST(call_index, filters_by_shipment_and_status_together) {
  calls::call_index idx;
  idx.put(call(1, 100, "S1"));
  idx.put(call(2, 110, "S1", "REP-1", calls::status::completed));
  idx.put(call(3, 120, "S2"));
  calls::list_query q;
  q.shipment_id = {"S1"};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000002", "CALL-000001"}));
  q.status = {"pending"};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000001"}));
  q.shipment_id = {"S1", "S2"};
  EXPECT_EQ(ids(idx.list(q)), (std::vector<std::string>{"CALL-000003", "CALL-000001"}));
  q.shipment_id = {"nope"};
  EXPECT_TRUE(idx.list(q).items.empty());
}

TEST(shipment_index, keeps_entities_in_the_order_noted_and_ignores_no_shipment) {
  shipment_index s;
  s.add("S1", "TKT-000001");
  s.add("S1", "NDR-1");
  s.add("", "TKT-000002");
  ASSERT_NE(s.find("S1"), nullptr);
  EXPECT_EQ(*s.find("S1"), (std::vector<std::string>{"TKT-000001", "NDR-1"}));
  EXPECT_EQ(s.find("S2"), nullptr);
  EXPECT_EQ(s.size(), 1u);
}

TEST(ndr_links, a_claimed_event_is_found_until_its_ticket_is_forgotten) {
  ndr::link_index links;
  auto [l, fresh] = links.claim("N1");
  ASSERT_TRUE(fresh);
  *l = ndr::link{"TKT-000001", "CALL-000001"};
  auto again = links.claim("N1");
  EXPECT_FALSE(again.second);
  EXPECT_EQ(again.first->ticket, "TKT-000001");
  links.put("N2", {"TKT-000002", ""});
  links.forget_ticket("TKT-000001");
  EXPECT_EQ(links.find("N1"), nullptr);
  ASSERT_NE(links.find("N2"), nullptr);
  EXPECT_EQ(links.find("N2")->call, "");
  EXPECT_EQ(links.size(), 1u);
}

} // namespace
} // namespace crm
