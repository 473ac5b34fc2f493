#include "domain/event.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "domain/json.hpp"
#include "domain/time_format.hpp"

namespace crm {

namespace {

void write_body(json::writer& w, std::uint64_t seq, millis at, std::string_view company,
                std::string_view entity, std::string_view type, std::string_view actor,
                std::string_view data) {
  w.Key("seq");
  w.Uint64(seq);
  json::kv(w, "at", format_time(at));
  json::kv(w, "companyId", company);
  json::kv(w, "entity", entity);
  json::kv(w, "type", type);
  json::kv(w, "actor", actor);
  json::key(w, "data");
  json::raw(w, data.empty() ? std::string_view{"{}"} : data);
}

thread_local simdjson::dom::parser tl_parser;

/// SHA-256 fetched once: OpenSSL 3 looks an implicit EVP_sha256() up in its provider tables on
/// every digest. (No measurable gain on the journal bench; kept as it costs nothing.)
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

/// One digest context per thread, reset before each use.
EVP_MD_CTX* digest_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx.get();
}

} // namespace

std::string canonical_json(std::uint64_t seq, const event_draft& d) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  w.StartObject();
  write_body(w, seq, d.at, d.company_id, d.entity, d.type, d.actor, d.data);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  auto* ctx = digest_ctx();
  if (EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1 || EVP_DigestUpdate(ctx, data.data(), data.size()) != 1
      || EVP_DigestFinal_ex(ctx, md, &len) != 1)
    throw std::runtime_error("SHA-256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

std::string chain_hash(std::string_view prev_hash, std::string_view canonical) {
  std::string buf;
  buf.reserve(prev_hash.size() + canonical.size());
  buf.append(prev_hash).append(canonical);
  return sha256_hex(buf);
}

std::string encode_stored(std::string_view canonical, std::string_view prev_hash,
                          std::string_view hash) {
  std::string out;
  out.reserve(canonical.size() + 130);
  out.append(canonical).push_back('\n');
  out.append(prev_hash).append(hash);
  return out;
}

namespace {
bool lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}
} // namespace

std::optional<stored_parts> split_stored(std::string_view s) {
  if (s.size() < 129 || s[s.size() - 129] != '\n')
    return std::nullopt;
  stored_parts p{s.substr(0, s.size() - 129), s.substr(s.size() - 128, 64), s.substr(s.size() - 64)};
  if (!lower_hex(p.prev_hash) || !lower_hex(p.hash)) // what the journal writes: SHA-256 in hex
    return std::nullopt;
  return p;
}

std::optional<event> decode_stored(std::string_view s) {
  auto parts = split_stored(s);
  if (!parts)
    return std::nullopt;
  simdjson::dom::element doc;
  if (tl_parser.parse(parts->canonical.data(), parts->canonical.size()).get(doc))
    return std::nullopt;
  // The fields the journal writes, in its order and no others: then the first ,"data": is the
  // data key's (it cannot occur unescaped in the strings before it).
  static constexpr std::string_view order[] = {"seq", "at", "companyId", "entity", "type", "actor", "data"};
  simdjson::dom::object fields;
  if (doc.get(fields))
    return std::nullopt;
  std::size_t k = 0;
  for (auto field : fields)
    if (k >= std::size(order) || field.key != order[k++])
      return std::nullopt;
  if (k != std::size(order))
    return std::nullopt;
  event e;
  std::string_view at, company, entity, type, actor;
  simdjson::dom::element data;
  if (doc["seq"].get(e.seq) || doc["at"].get(at) || doc["companyId"].get(company)
      || doc["entity"].get(entity) || doc["type"].get(type) || doc["actor"].get(actor)
      || doc["data"].get(data))
    return std::nullopt;
  auto t = parse_time(at);
  if (!t)
    return std::nullopt;
  e.at = *t;
  e.company_id = company;
  e.entity = entity;
  e.type = type;
  e.actor = actor;
  // The canonical form ends with ,"data":<object>} (our writer puts it last, and ,"data": cannot
  // occur inside a JSON string): take the stored bytes as they are, no re-serialization.
  // The slice must be the data object exactly (nothing after its closing brace but the one of
  // the event): checked by parsing it alone.
  auto pos = parts->canonical.find(",\"data\":");
  if (pos == std::string_view::npos || !data.is_object() || parts->canonical.back() != '}')
    return std::nullopt;
  auto slice = parts->canonical.substr(pos + 8, parts->canonical.size() - pos - 9);
  thread_local simdjson::dom::parser tl_slice_parser;
  simdjson::dom::element check;
  if (tl_slice_parser.parse(slice.data(), slice.size()).get(check) || !check.is_object())
    return std::nullopt;
  e.data = slice;
  e.prev_hash = parts->prev_hash;
  e.hash = parts->hash;
  return e;
}

std::string event_to_json(const event& e) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  w.StartObject();
  write_body(w, e.seq, e.at, e.company_id, e.entity, e.type, e.actor, e.data);
  json::kv(w, "prevHash", e.prev_hash);
  json::kv(w, "hash", e.hash);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

} // namespace crm
