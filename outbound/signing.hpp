#pragma once
// Signatures for outbound webhooks (X-CRM-Signature: sha256=<hex>).
#include <string>
#include <string_view>

namespace crm::outbound {

/// HMAC-SHA256 of `data` under `key` (any length, empty included), as 64 lowercase hex digits.
/// Returns an empty string when OpenSSL fails or an input is longer than INT_MAX bytes; callers
/// must treat "" as "could not sign" and not send the message unsigned.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

} // namespace crm::outbound
