#include "actors/key_registry.hpp"

#include "storage/store.hpp"

#include <openssl/rand.h>

#include <mutex>

#include "actors/env.hpp"
#include "domain/json.hpp"

namespace crm::actors {

namespace {

constexpr std::string_view role_names[] = {"platform", "admin", "manager", "agent", "viewer"};
thread_local simdjson::dom::parser tl_parser;

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  RAND_bytes(buf.data(), static_cast<int>(bytes));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (auto b : buf) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

} // namespace

std::optional<role> parse_role(std::string_view s) {
  for (std::size_t i = 0; i < std::size(role_names); ++i)
    if (role_names[i] == s)
      return static_cast<role>(i);
  return std::nullopt;
}

const char* to_string(role r) {
  return role_names[static_cast<int>(r)].data();
}

void key_registry::insert(api_key k) {
  if (!k.revoked)
    id_by_hash_[k.hash] = k.id;
  auto n = std::strtoull(k.id.c_str() + 4, nullptr, 10);
  if (n >= next_)
    next_ = n + 1;
  by_id_[k.id] = std::move(k);
}

void key_registry::create(const std::string& company, role r, const std::string& name,
                          const std::string& rep_id, const std::string& actor,
                          reply<std::pair<api_key, std::string>> done, idempotency_claim_ptr idem) {
  api_key k;
  {
    std::unique_lock lock(mu_);
    k.id = env::format_id("KEY", next_++);
  }
  std::string secret = "crm_" + random_hex(24);
  k.company_id = company;
  k.r = r;
  k.name = name;
  k.rep_id = rep_id;
  k.hash = sha256_hex(secret);
  k.created_at = clk_.wall_now();
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  w.StartObject();
  json::kv(w, "id", k.id);
  json::kv(w, "companyId", k.company_id);
  json::kv(w, "role", to_string(k.r));
  json::kv(w, "name", k.name);
  json::kv_or_null(w, "repId", k.rep_id);
  json::kv(w, "keyHash", k.hash);
  w.EndObject();
  storage::submission s;
  s.events.push_back(event_draft{company, k.id, "apikey.created", actor, k.created_at,
                                 std::string(sb.GetString(), sb.GetSize())});
  s.idem = std::move(idem);
  s.done = [this, k, secret, done](result<std::vector<event>> r) {
    if (!r)
      return done(r.take_error());
    {
      std::unique_lock lock(mu_);
      insert(k);
    }
    done(std::make_pair(k, secret));
  };
  journal_.submit(std::move(s));
}

void key_registry::revoke(const std::string& id, const std::string& actor, reply<api_key> done) {
  api_key k;
  {
    std::shared_lock lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end())
      return done(error{errc::not_found, "no API key " + id});
    if (it->second.revoked) // revoking again changes nothing and says so, as the list does
      return done(it->second);
    k = it->second;
  }
  storage::submission s;
  s.events.push_back(event_draft{k.company_id, k.id, "apikey.revoked", actor, clk_.wall_now(),
                                 json::object([&](json::writer& w) { json::kv(w, "id", k.id); })});
  s.done = [this, k, done](result<std::vector<event>> r) mutable {
    if (!r)
      return done(r.take_error());
    {
      std::unique_lock lock(mu_);
      auto it = by_id_.find(k.id);
      if (it != by_id_.end()) {
        it->second.revoked = true;
        id_by_hash_.erase(it->second.hash);
      }
    }
    k.revoked = true;
    done(k);
  };
  journal_.submit(std::move(s));
}

std::vector<api_key> key_registry::list(const std::string& company) const {
  std::shared_lock lock(mu_);
  std::vector<api_key> out;
  for (auto& [id, k] : by_id_)
    if (k.company_id == company)
      out.push_back(k);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

std::optional<api_key> key_registry::authenticate(std::string_view secret) const {
  auto h = sha256_hex(secret);
  std::shared_lock lock(mu_);
  auto it = id_by_hash_.find(h);
  if (it == id_by_hash_.end())
    return std::nullopt;
  return by_id_.at(it->second);
}

std::optional<api_key> key_of(const event& e) {
  simdjson::dom::element d;
  if (e.type != "apikey.created" || tl_parser.parse(e.data).get(d))
    return std::nullopt;
  api_key k;
  std::string_view s;
  k.id = e.entity;
  k.company_id = e.company_id;
  k.r = parse_role(d["role"].get(s) ? "viewer" : s).value_or(role::viewer);
  k.name = d["name"].get(s) ? "" : std::string(s);
  k.rep_id = d["repId"].get(s) ? "" : std::string(s);
  k.hash = d["keyHash"].get(s) ? "" : std::string(s);
  k.created_at = e.at;
  return k;
}

void key_registry::recover(const event& e) {
  if (auto k = key_of(e)) {
    std::unique_lock lock(mu_);
    insert(std::move(*k));
  } else if (e.type == "apikey.revoked") {
    std::unique_lock lock(mu_);
    auto it = by_id_.find(e.entity);
    if (it != by_id_.end()) {
      it->second.revoked = true;
      id_by_hash_.erase(it->second.hash);
    }
  }
}

} // namespace crm::actors
