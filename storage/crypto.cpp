#include "storage/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "domain/event.hpp"

namespace crm::storage {

namespace {

constexpr std::size_t iv_len = 12;
constexpr std::size_t tag_len = 16;
constexpr std::string_view aad = "crm-field-v1";

bool is_hex_key(std::string_view k) {
  return k.size() == 64 && k.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

int hex_val(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return c - 'A' + 10;
}

using ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

std::string b64_encode(const unsigned char* p, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  auto len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::optional<std::string> b64_decode(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0)
    return std::nullopt;
  std::string out(3 * s.size() / 4, '\0');
  auto len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (len < 0)
    return std::nullopt;
  std::size_t pad = (s.back() == '=') + (s.size() > 1 && s[s.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(len) - pad);
  return out;
}

} // namespace

result<field_cipher> field_cipher::make(std::string_view current_hex, std::string_view previous_hex) {
  auto parse = [](std::string_view hex, key& k) {
    for (std::size_t i = 0; i < 32; ++i)
      k.bytes[i] = static_cast<unsigned char>(hex_val(hex[2 * i]) * 16 + hex_val(hex[2 * i + 1]));
    k.version = sha256_hex(std::string_view(reinterpret_cast<const char*>(k.bytes), 32)).substr(0, 8);
  };
  if (!is_hex_key(current_hex))
    return error{errc::invalid, "the master key must be 64 hex characters"};
  field_cipher c;
  parse(current_hex, c.current_);
  if (!previous_hex.empty()) {
    if (!is_hex_key(previous_hex))
      return error{errc::invalid, "CRM_MASTER_KEY_PREVIOUS must be 64 hex characters"};
    key p{};
    parse(previous_hex, p);
    if (p.version != c.current_.version)
      c.previous_ = p;
  }
  return c;
}

std::optional<std::string> field_cipher::seal(std::string_view plain) const {
  std::string buf(iv_len + plain.size() + tag_len, '\0');
  auto* out = reinterpret_cast<unsigned char*>(buf.data());
  ctx_ptr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, final_len = 0;
  // Every step is checked: a nonce that is not random, or a tag not made, must never be stored.
  bool ok = ctx && RAND_bytes(out, iv_len) == 1
            && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, current_.bytes, out) == 1
            && EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                                 static_cast<int>(aad.size())) == 1
            && EVP_EncryptUpdate(ctx.get(), out + iv_len, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                                 static_cast<int>(plain.size())) == 1
            && EVP_EncryptFinal_ex(ctx.get(), out + iv_len + len, &final_len) == 1
            && static_cast<std::size_t>(len + final_len) == plain.size()
            && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_len, out + iv_len + plain.size()) == 1;
  std::optional<std::string> sealed;
  if (ok)
    sealed = current_.version + ":" + b64_encode(out, buf.size());
  OPENSSL_cleanse(buf.data(), buf.size());
  return sealed;
}

std::string_view field_cipher::version_of(std::string_view sealed) {
  auto colon = sealed.find(':');
  if (colon != 8)
    return {};
  return sealed.substr(0, colon);
}

std::optional<std::string> field_cipher::open(std::string_view sealed) const {
  auto ver = version_of(sealed);
  const key* k = nullptr;
  if (ver == current_.version)
    k = &current_;
  else if (previous_ && ver == previous_->version)
    k = &*previous_;
  if (!k)
    return std::nullopt;
  auto raw = b64_decode(sealed.substr(9));
  if (!raw || raw->size() < iv_len + tag_len)
    return std::nullopt;
  auto* in = reinterpret_cast<unsigned char*>(raw->data());
  auto n = raw->size() - iv_len - tag_len;
  std::string plain(n, '\0');
  ctx_ptr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, final_len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k->bytes, in) == 1
            && EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                                 static_cast<int>(aad.size())) == 1
            && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, in + iv_len,
                                 static_cast<int>(n)) == 1
            && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_len, in + iv_len + n) == 1
            && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &final_len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  return plain;
}

result<master_keys> load_master_keys(const std::string& data_dir, bool create) {
  master_keys out;
  if (const char* p = std::getenv("CRM_MASTER_KEY_PREVIOUS"); p && *p) {
    if (!is_hex_key(p))
      return error{errc::invalid, "CRM_MASTER_KEY_PREVIOUS must be 64 hex characters"};
    out.previous_hex = p;
  }
  if (const char* k = std::getenv("CRM_MASTER_KEY"); k && *k) {
    if (!is_hex_key(k))
      return error{errc::invalid, "CRM_MASTER_KEY must be 64 hex characters"};
    out.current_hex = k;
    return out;
  }
  auto path = std::filesystem::path(data_dir) / "master.key";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path);
    in >> out.current_hex;
    if (!is_hex_key(out.current_hex))
      return error{errc::invalid, path.string() + " does not hold 64 hex characters"};
    return out;
  }
  if (!create)
    return error{errc::invalid, "CRM_MASTER_KEY is not set and " + path.string() + " does not exist"};
  std::filesystem::create_directories(data_dir, ec);
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1)
    return error{errc::internal, "no randomness for a master key"};
  static const char* hex = "0123456789abcdef";
  for (auto b : raw) {
    out.current_hex.push_back(hex[b >> 4]);
    out.current_hex.push_back(hex[b & 15]);
  }
  OPENSSL_cleanse(raw, sizeof raw);
  auto old = ::umask(077);
  {
    std::ofstream f(path);
    f << out.current_hex << "\n";
  }
  ::umask(old);
  ::chmod(path.c_str(), 0600);
  out.generated = true;
  return out;
}

} // namespace crm::storage
