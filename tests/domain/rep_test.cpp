#include <set>

#include <gtest/gtest.h>

#include "domain/rep.hpp"
#include "domain/time_format.hpp"

namespace crm::reps {
namespace {

const millis t0 = 1'795'000'000'000;

/// A stand-in sealer that is visibly not plain text (the real one is tested in storage).
std::optional<std::string> fake_seal(std::string_view p) {
  std::string out = "00000000:";
  for (char c : p)
    out.push_back(static_cast<char>(c ^ 0x5a));
  return out;
}
std::optional<std::string> fake_open(std::string_view s) {
  if (s.substr(0, 9) != "00000000:")
    return std::nullopt;
  std::string out;
  for (char c : s.substr(9))
    out.push_back(static_cast<char>(c ^ 0x5a));
  return out;
}

struct world {
  roster all;
  std::uint64_t seq = 0;
  tickets::origin who{"acme", "KEY-1", t0};

  result<rep> add(const std::string& id, create_cmd c) {
    auto d = decide_create(c, id, who, all, 15000, fake_seal);
    if (!d)
      return d.take_error();
    rep r;
    for (auto& x : d.value())
      EXPECT_TRUE(apply(r, event{++seq, x.at, x.company_id, x.entity, x.type, x.actor, x.data, {}, {}}));
    all.put(r);
    return r;
  }
  result<rep> change(const std::string& id, const update_cmd& c) {
    auto d = decide_update(*all.find(id), c, who, all, fake_seal);
    if (!d)
      return d.take_error();
    rep r = *all.find(id);
    for (auto& x : d.value())
      EXPECT_TRUE(apply(r, event{++seq, x.at, x.company_id, x.entity, x.type, x.actor, x.data, {}, {}}));
    all.put(r);
    return r;
  }
};

create_cmd basic(std::string email, std::string manager = {}) {
  create_cmd c;
  c.name = "Asha";
  c.email = std::move(email);
  c.phone = "+919876543210";
  c.reporting_to = std::move(manager);
  return c;
}

std::vector<std::string> fields(const error& e) {
  std::vector<std::string> out;
  for (auto& d : e.details)
    out.push_back(d.field);
  return out;
}

TEST(reps, phone_ifsc_and_account_rules) {
  EXPECT_TRUE(valid_phone("+919876543210"));
  EXPECT_TRUE(valid_phone("6000000000"));
  EXPECT_FALSE(valid_phone("5876543210"));   // must start 6-9
  EXPECT_FALSE(valid_phone("+91987654321")); // 9 digits
  EXPECT_FALSE(valid_phone("+449876543210"));
  EXPECT_FALSE(valid_phone("98765 43210"));
  EXPECT_TRUE(valid_ifsc("HDFC0001234"));
  EXPECT_TRUE(valid_ifsc("SBIN0ABC12Z"));
  EXPECT_FALSE(valid_ifsc("HDFC1001234")); // fifth must be 0
  EXPECT_FALSE(valid_ifsc("hdfc0001234"));
  EXPECT_FALSE(valid_ifsc("HDF00001234"));
  EXPECT_FALSE(valid_ifsc("HDFC000123"));
  EXPECT_TRUE(valid_account_number("123456789"));
  EXPECT_TRUE(valid_account_number("123456789012345678"));
  EXPECT_FALSE(valid_account_number("12345678"));
  EXPECT_FALSE(valid_account_number("1234567890123456789"));
  EXPECT_FALSE(valid_account_number("12345678a"));
  EXPECT_EQ(mask_account("1234"), "XXXXXX1234");
}

TEST(reps, create_names_every_bad_field) {
  world w;
  create_cmd c;
  c.email = "not-an-email";
  c.phone = "12345";
  c.availability = "sleeping";
  c.skills = {"billing", "cooking"};
  c.max_open_items = 0;
  c.bank = bank_input{"12", "XXXX", ""};
  auto r = w.add("REP-000001", c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, errc::invalid);
  EXPECT_EQ(fields(r.err()),
            (std::vector<std::string>{"name", "email", "phone", "availabilityStatus", "skills", "maxOpenItems",
                                      "bankDetails.accountNumber", "bankDetails.ifscCode",
                                      "bankDetails.accountHolderName"}));
}

TEST(reps, email_is_unique_in_the_company_whatever_its_case) {
  world w;
  ASSERT_TRUE(w.add("REP-000001", basic("asha@x.in")).ok());
  auto dup = w.add("REP-000002", basic("ASHA@x.in"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.err().code, errc::conflict);
  ASSERT_TRUE(w.add("REP-000002", basic("ravi@x.in")).ok());
  update_cmd u;
  u.email = "Asha@X.in";
  EXPECT_EQ(w.change("REP-000002", u).err().code, errc::conflict);
  u.email = "ravi.k@x.in";
  ASSERT_TRUE(w.change("REP-000002", u).ok());
  // The old address is free again.
  EXPECT_TRUE(w.add("REP-000003", basic("ravi@x.in")).ok());
}

TEST(reps, reporting_to_must_exist_and_never_loop) {
  world w;
  ASSERT_TRUE(w.add("REP-000001", basic("a@x.in")).ok());
  ASSERT_TRUE(w.add("REP-000002", basic("b@x.in", "REP-000001")).ok());
  ASSERT_TRUE(w.add("REP-000003", basic("c@x.in", "REP-000002")).ok());
  auto unknown = w.add("REP-000004", basic("d@x.in", "REP-000099"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(fields(unknown.err()), std::vector<std::string>{"reportingTo"});
  EXPECT_TRUE(w.all.would_cycle("REP-000001", "REP-000003"));
  EXPECT_FALSE(w.all.would_cycle("REP-000003", "REP-000001"));
  update_cmd u;
  u.reporting_to = "REP-000003"; // 1 -> 3 -> 2 -> 1
  auto loop = w.change("REP-000001", u);
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.err().code, errc::invalid);
  EXPECT_EQ(fields(loop.err()), std::vector<std::string>{"reportingTo"});
  u.reporting_to = "REP-000001"; // to itself
  EXPECT_FALSE(w.change("REP-000001", u).ok());
  u.reporting_to = ""; // detaching is always fine
  ASSERT_TRUE(w.change("REP-000002", u).ok());
  u.reporting_to = "REP-000003"; // 1 -> 3 -> 2 (2 reports to no one now)
  EXPECT_TRUE(w.change("REP-000001", u).ok());
}

TEST(reps, bank_details_are_sealed_and_masked) {
  world w;
  auto c = basic("a@x.in");
  c.bank = bank_input{"123456789012", "HDFC0001234", "Asha Rao"};
  auto d = decide_create(c, "REP-000001", w.who, w.all, 0, fake_seal);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->at(0).data.find("123456789012"), std::string::npos) << d->at(0).data;
  EXPECT_EQ(d->at(0).data.find("Asha Rao"), std::string::npos);
  auto r = w.add("REP-000001", c);
  ASSERT_TRUE(r.ok());
  auto masked = to_json(*r);
  EXPECT_EQ(masked.find("123456789012"), std::string::npos);
  EXPECT_NE(masked.find(R"("bankDetails":{"accountNumberMasked":"XXXXXX9012","ifscCode":"HDFC0001234"})"),
            std::string::npos)
    << masked;
  auto plain = fake_open(r->bank->sealed);
  ASSERT_TRUE(plain);
  auto shown = to_json(*r, &*plain);
  EXPECT_NE(shown.find(R"("accountNumber":"123456789012")"), std::string::npos) << shown;
  EXPECT_NE(shown.find(R"("accountHolderName":"Asha Rao")"), std::string::npos);
  // Sealing that fails stores nothing: 503, no event, never the plain number.
  auto broken = [](std::string_view) { return std::optional<std::string>{}; };
  auto none = decide_create(basic("b@x.in"), "REP-000002", w.who, w.all, 0, broken);
  EXPECT_TRUE(none.ok()); // no bank details: nothing to seal
  auto c2 = basic("c@x.in");
  c2.bank = bank_input{"123456789012", "HDFC0001234", "Asha Rao"};
  auto failed = decide_create(c2, "REP-000003", w.who, w.all, 0, broken);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.err().code, errc::unavailable);
}

TEST(reps, rekey_reseals_only_what_another_key_sealed) {
  world w;
  auto c = basic("a@x.in");
  c.bank = bank_input{"123456789012", "HDFC0001234", "Asha"};
  auto r = w.add("REP-000001", c).value();
  // Sealed under "00000000": nothing to do when that is the current version.
  EXPECT_TRUE(decide_rekey(r, w.who, fake_open, fake_seal, "00000000").empty());
  auto reseal = [](std::string_view p) { return "11111111:" + std::string(p); };
  auto d = decide_rekey(r, w.who, fake_open, reseal, "11111111");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, "rep.bank_details_rekeyed");
  ASSERT_TRUE(apply(r, event{99, t0, "acme", r.id, d[0].type, "crm-admin", d[0].data, {}, {}}));
  EXPECT_EQ(r.bank->sealed.substr(0, 9), "11111111:");
  EXPECT_EQ(r.bank->last4, "9012");
}

TEST(reps, availability_stamps_last_activity_and_deactivate_is_once) {
  world w;
  ASSERT_TRUE(w.add("REP-000001", basic("a@x.in")).ok());
  w.who.now = t0 + 5000;
  update_cmd u;
  u.availability = "offline";
  auto r = w.change("REP-000001", u);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->avail, availability::offline);
  EXPECT_EQ(r->last_activity_at, t0 + 5000);
  update_cmd same;
  same.name = "Asha"; // no change: no event
  EXPECT_TRUE(decide_update(*w.all.find("REP-000001"), same, w.who, w.all, fake_seal)->empty());
  auto d = decide_deactivate(*w.all.find("REP-000001"), w.who);
  ASSERT_TRUE(d.ok());
  rep x = *w.all.find("REP-000001");
  apply(x, event{50, t0, "acme", x.id, d->at(0).type, "k", d->at(0).data, {}, {}});
  EXPECT_EQ(x.st, status::inactive);
  EXPECT_EQ(decide_deactivate(x, w.who).err().code, errc::conflict);
}

TEST(reps, the_roster_lists_a_territorys_reps_through_changes_and_copies) {
  roster all;
  auto add = [&](std::string id, std::string territory, std::string email) {
    rep r;
    r.id = std::move(id);
    r.territory = std::move(territory);
    r.email = std::move(email);
    all.put(r);
  };
  auto in = [](const roster& ro, const std::string& t) {
    std::set<std::string> ids;
    ro.each_in(t, [&](const rep& r) {
      EXPECT_EQ(r.territory, t);
      ids.insert(r.id);
    });
    return ids;
  };
  add("REP-000001", "north", "a@x.in");
  add("REP-000002", "north", "b@x.in");
  add("REP-000003", "south", "c@x.in");
  add("REP-000004", "", "d@x.in"); // no territory: in none
  EXPECT_EQ(in(all, "north"), (std::set<std::string>{"REP-000001", "REP-000002"}));
  EXPECT_EQ(in(all, "south"), (std::set<std::string>{"REP-000003"}));
  EXPECT_TRUE(in(all, "").empty());
  EXPECT_TRUE(in(all, "North").empty()); // exact, as the territory filter is
  add("REP-000002", "south", "b@x.in"); // moved
  EXPECT_EQ(in(all, "north"), (std::set<std::string>{"REP-000001"}));
  EXPECT_EQ(in(all, "south"), (std::set<std::string>{"REP-000002", "REP-000003"}));
  roster copy = all;
  all.erase("REP-000001");
  all.erase("REP-000003");
  EXPECT_TRUE(in(all, "north").empty());
  EXPECT_EQ(in(all, "south"), (std::set<std::string>{"REP-000002"}));
  EXPECT_EQ(in(copy, "north"), (std::set<std::string>{"REP-000001"})); // its own reps, not all's
  EXPECT_EQ(in(copy, "south"), (std::set<std::string>{"REP-000002", "REP-000003"}));
  roster moved = std::move(copy);
  EXPECT_EQ(in(moved, "south"), (std::set<std::string>{"REP-000002", "REP-000003"}));
  moved = all; // copy assignment: all's reps, indexed on moved's own nodes
  all.erase("REP-000002");
  EXPECT_EQ(in(moved, "south"), (std::set<std::string>{"REP-000002"}));
  EXPECT_TRUE(in(moved, "north").empty());
  moved = std::move(all);
  EXPECT_TRUE(in(moved, "south").empty());
}

TEST(reps, list_filters_sorts_and_pages) {
  world w;
  for (int i = 1; i <= 5; ++i) {
    auto c = basic("r" + std::to_string(i) + "@x.in");
    c.territory = i % 2 ? "north" : "south";
    w.who.now = t0 + i;
    ASSERT_TRUE(w.add("REP-00000" + std::to_string(i), c).ok());
  }
  list_query q;
  q.territory = {"north"};
  auto p = list(w.all, q);
  EXPECT_EQ(p.total, 3u);
  ASSERT_EQ(p.reps.size(), 3u);
  EXPECT_EQ(p.reps[0].id, "REP-000005"); // -createdAt by default
  q.territory.clear();
  q.limit = 2;
  q.page = 3;
  q.descending = false;
  p = list(w.all, q);
  EXPECT_EQ(p.total, 5u);
  ASSERT_EQ(p.reps.size(), 1u);
  EXPECT_EQ(p.reps[0].id, "REP-000005");
}

event ev(std::uint64_t seq, millis at, std::string entity, std::string type, std::string data) {
  return event{seq, at, "acme", std::move(entity), std::move(type), "k", std::move(data), {}, {}};
}

TEST(reps, performance_credits_the_assignee_at_resolution_within_the_period) {
  performance_ledger f;
  std::uint64_t s = 0;
  f.add(ev(++s, t0 - 1000, "REP-000001", "rep.created", R"({"name":"A","commissionPerTicket":150})"));
  auto created = [&](const char* id, millis at, millis due) {
    f.add(ev(++s, at, id, "ticket.created",
             R"({"ticketId":")" + std::string(id) + R"(","slaDueAt":")" + format_time(due) + R"("})"));
  };
  auto assign = [&](const char* id, millis at, const char* to) {
    f.add(ev(++s, at, id, "ticket.assigned", std::string(R"({"from":null,"to":")") + to + R"("})"));
  };
  auto resolve = [&](const char* id, millis at) {
    f.add(ev(++s, at, id, "ticket.status_changed", R"({"from":"open","to":"resolved"})"));
  };
  created("TKT-1", t0, t0 + 50'000);
  assign("TKT-1", t0 + 500, "REP-000001"); // before the period: not counted as assigned
  resolve("TKT-1", t0 + 20'000);            // within SLA, 20 s
  created("TKT-2", t0 + 2000, t0 + 10'000);
  assign("TKT-2", t0 + 3000, "REP-000001");
  resolve("TKT-2", t0 + 42'000);            // breached, 40 s
  created("TKT-3", t0 + 2000, t0 + 90'000);
  assign("TKT-3", t0 + 3000, "REP-000001");
  assign("TKT-3", t0 + 4000, "REP-000002"); // moved away: resolution credits the other rep
  resolve("TKT-3", t0 + 5000);
  created("TKT-4", t0 + 2000, t0 + 90'000);
  assign("TKT-4", t0 + 3000, "REP-000001");
  resolve("TKT-4", t0 + 200'000); // after the period
  // The rate changes between TKT-1's and TKT-2's resolutions: each earns the rate of its day.
  created("TKT-5", t0 + 2000, t0 + 90'000);
  assign("TKT-5", t0 + 3000, "REP-000001");
  f.add(ev(++s, t0 + 30'000, "REP-000001", "rep.updated", R"({"commissionPerTicket":200.5})"));
  resolve("TKT-5", t0 + 31'000);
  auto p = f.query("REP-000001", t0 + 1000, t0 + 100'000);
  EXPECT_EQ(p.tickets_assigned, 4u);
  EXPECT_EQ(p.tickets_resolved, 3u);
  EXPECT_EQ(p.resolved_within_sla, 2u);
  EXPECT_EQ(p.resolution_ms_total, 60'000 + 29'000);
  EXPECT_EQ(p.commission_paise, 15000 + 15000 + 20050);
  EXPECT_EQ(f.last_seq(), s);
  EXPECT_EQ(f.query("REP-000002", std::nullopt, std::nullopt).tickets_resolved, 1u);
  EXPECT_EQ(f.query("REP-000009", std::nullopt, std::nullopt).tickets_resolved, 0u);
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, p);
  std::string out(sb.GetString(), sb.GetSize());
  EXPECT_NE(out.find(R"("avgResolutionTime":29666,"slaCompliance":0.6666666666666666)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("commissionEarned":500.5)"), std::string::npos) << out;
}

TEST(reps, performance_credits_won_leads_to_the_assignee_in_either_form_of_the_log) {
  performance_ledger f;
  std::uint64_t s = 0;
  // Today: the assignee in lead.created. Before 2026-12-03: a lead.assigned right after it.
  f.add(ev(++s, t0, "LEAD-1", "lead.created", R"({"leadId":"LEAD-1","assignedTo":"REP-000001"})"));
  f.add(ev(++s, t0, "LEAD-2", "lead.created", R"({"leadId":"LEAD-2"})"));
  f.add(ev(++s, t0, "LEAD-2", "lead.assigned", R"({"from":null,"to":"REP-000001"})"));
  f.add(ev(++s, t0, "LEAD-3", "lead.created", R"({"leadId":"LEAD-3","assignedTo":"REP-000001"})"));
  f.add(ev(++s, t0, "LEAD-3", "lead.assigned", R"({"from":"REP-000001","to":"REP-000002"})"));
  f.add(ev(++s, t0, "LEAD-4", "lead.created", R"({"leadId":"LEAD-4"})")); // never assigned
  f.add(ev(++s, t0 + 1000, "LEAD-1", "lead.converted", R"({"orderId":"ORD-1"})"));
  f.add(ev(++s, t0 + 1000, "LEAD-2", "lead.status_changed", R"({"from":"prospect","to":"won"})"));
  f.add(ev(++s, t0 + 1000, "LEAD-3", "lead.status_changed", R"({"from":"prospect","to":"won"})"));
  f.add(ev(++s, t0 + 1000, "LEAD-4", "lead.status_changed", R"({"from":"prospect","to":"lost"})"));
  f.add(ev(++s, t0 + 1000, "LEAD-5", "lead.created", R"({"leadId":"LEAD-5","assignedTo":"REP-000002"})"));
  f.add(ev(++s, t0 + 2000, "LEAD-5", "lead.status_changed", R"({"from":"prospect","to":"lost"})"));
  auto one = f.query("REP-000001", std::nullopt, std::nullopt);
  EXPECT_EQ(one.leads_won, 2u);
  EXPECT_EQ(one.leads_closed, 2u);
  auto two = f.query("REP-000002", std::nullopt, std::nullopt);
  EXPECT_EQ(two.leads_won, 1u);
  EXPECT_EQ(two.leads_closed, 2u);
}

} // namespace
} // namespace crm::reps
