// Black-box tests of CONTRACT section 10 (API keys) against the real binary.
#include "blackbox/fixture.hpp"

namespace crm::blackbox {
namespace {

class admin : public server_suite {};

TEST_F(admin, a_key_is_shown_once_and_stored_as_a_hash) {
  auto c = company();
  auto rep_id = rep(key(c, "admin"), "asha@x.in");
  auto r = platform("POST", "/api/v1/admin/api-keys",
                    R"({"companyId":")" + c + R"(","role":"agent","name":"Asha's laptop","repId":")" + rep_id + R"("})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.str("repId"), rep_id);
  EXPECT_EQ(r.str("companyId"), c);
  EXPECT_EQ(r.str("role"), "agent");
  EXPECT_EQ(r.str("name"), "Asha's laptop");
  auto id = r.str("id"), secret = r.str("key");
  EXPECT_EQ(id.substr(0, 4), "KEY-");
  EXPECT_GE(secret.size(), 32u);
  auto list = platform("GET", "/api/v1/admin/api-keys?companyId=" + c);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(secret), std::string::npos);
  EXPECT_EQ(list.body.find("keyHash"), std::string::npos);
  simdjson::dom::array keys;
  ASSERT_FALSE(list.json()["apiKeys"].get(keys));
  ASSERT_EQ(keys.size(), 2u);
  // The data dir never holds the key itself.
  EXPECT_EQ(as(secret, "GET", "/api/v1/support/tickets").status, 200);
  restart([&](const std::string& data) {
    std::string hits;
    testing::run_command({"/bin/grep", "-rl", secret, data}, hits);
    EXPECT_TRUE(hits.empty()) << hits;
  });
  http_client fresh(server_->port());
  EXPECT_EQ(fresh.request("GET", "/api/v1/support/tickets", {}, {{"Authorization", "Bearer " + secret}}).status,
            200); // keys survive restarts
}

TEST_F(admin, revoking_takes_effect_at_once) {
  auto c = company();
  auto r = platform("POST", "/api/v1/admin/api-keys", R"({"companyId":")" + c + R"(","role":"admin","name":"k"})");
  auto id = r.str("id"), secret = r.str("key");
  EXPECT_EQ(as(secret, "GET", "/api/v1/support/tickets").status, 200);
  auto d = platform("DELETE", "/api/v1/admin/api-keys/" + id);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(as(secret, "GET", "/api/v1/support/tickets").status, 401);
  // Revoking again changes nothing and says so, as the list does.
  auto again = platform("DELETE", "/api/v1/admin/api-keys/" + id);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body, d.body);
  EXPECT_EQ(platform("DELETE", "/api/v1/admin/api-keys/KEY-999999").status, 404);
}

TEST_F(admin, a_key_names_a_valid_company_and_a_rep_of_it) {
  auto c = company();
  for (const std::string& bad : std::vector<std::string>{"ac me", "a|b", "caf\u00e9", std::string(65, 'x'), "a/b", ""}) {
    auto r = platform("POST", "/api/v1/admin/api-keys", R"({"companyId":")" + bad + R"(","role":"admin","name":"k"})");
    EXPECT_EQ(r.status, 422) << bad << " " << r.body;
    EXPECT_EQ(detail_fields(r), (std::set<std::string>{"companyId"})) << bad;
  }
  auto nul = platform("POST", "/api/v1/admin/api-keys", R"({"companyId":"a\u0000b","role":"admin","name":"k"})");
  EXPECT_EQ(nul.status, 422) << nul.body;
  // A rep that does not exist, or is another company's: 422 naming repId.
  auto other_rep = rep(key(company("other"), "admin"), "o@x.in");
  for (auto& r_id : {std::string("REP-999999"), other_rep}) {
    auto r = platform("POST", "/api/v1/admin/api-keys",
                      R"({"companyId":")" + c + R"(","role":"agent","name":"k","repId":")" + r_id + R"("})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(detail_fields(r), (std::set<std::string>{"repId"}));
  }
}

TEST_F(admin, a_replayed_key_creation_never_shows_the_key_again) {
  auto c = company();
  auto body = R"({"companyId":")" + c + R"(","role":"viewer","name":"k"})";
  auto first = platform("POST", "/api/v1/admin/api-keys", body, {{"Idempotency-Key", "make-key-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto secret = first.str("key");
  ASSERT_FALSE(secret.empty());
  auto again = platform("POST", "/api/v1/admin/api-keys", body, {{"Idempotency-Key", "make-key-1"}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.str("id"), first.str("id"));
  EXPECT_EQ(again.body.find(secret), std::string::npos) << again.body;
  EXPECT_EQ(again.str("key"), "");
  // Nor is it anywhere in the data dir (idempotency records, WAL, tables).
  restart([&](const std::string& data) {
    std::string hits;
    testing::run_command({"/bin/grep", "-rl", secret, data}, hits);
    EXPECT_TRUE(hits.empty()) << hits;
  });
}

TEST_F(admin, validation_and_access) {
  EXPECT_EQ(platform("POST", "/api/v1/admin/api-keys", R"({"companyId":"c","role":"boss","name":"k"})").status, 422);
  auto r = platform("POST", "/api/v1/admin/api-keys", R"({"role":"admin"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(detail_fields(r), (std::set<std::string>{"companyId", "name"}));
  EXPECT_EQ(platform("POST", "/api/v1/admin/api-keys", R"({"companyId":"c","role":"admin","name":"k","x":1})").status, 422);
  EXPECT_EQ(platform("GET", "/api/v1/admin/api-keys").status, 400);
  EXPECT_EQ(client_.request("GET", "/api/v1/admin/api-keys?companyId=c").status, 401);
}

} // namespace
} // namespace crm::blackbox
