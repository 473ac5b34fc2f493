#include "outbound/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>

namespace crm::outbound {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<std::size_t>(INT_MAX))
    return {};
  static const unsigned char empty = 0;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&empty) : key.data();
  const auto* data_ptr = data.empty() ? &empty : reinterpret_cast<const unsigned char*>(data.data());
  if (!HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data_ptr, data.size(), md, &len) || len != 32)
    return {};
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * len, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = digits[md[i] >> 4];
    out[2 * i + 1] = digits[md[i] & 15];
  }
  return out;
}

} // namespace crm::outbound
