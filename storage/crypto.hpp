#pragma once
// Field encryption for sensitive values (bank details): AES-256-GCM through OpenSSL's EVP, under
// the master key (CRM_MASTER_KEY, or DIR/master.key). A sealed value carries the version of the
// key that sealed it, so values sealed under CRM_MASTER_KEY_PREVIOUS still open after a
// rotation, and `crm-admin rotate-key` can find the ones to re-seal.
//
// Sealed form: "<version>:<base64(12-byte IV | ciphertext | 16-byte tag)>", where the version is
// the first 8 hex digits of SHA-256 of the key: it names the key without revealing it.
#include <optional>
#include <string>
#include <string_view>

#include "domain/errc.hpp"

namespace crm::storage {

class field_cipher {
public:
  /// From 64-hex-character keys; `previous` may be empty.
  static result<field_cipher> make(std::string_view current_hex, std::string_view previous_hex = {});

  /// Encrypts under the current key with a fresh random IV.
  std::optional<std::string> seal(std::string_view plain) const;
  /// Decrypts a value sealed under the current or the previous key; nullopt when it was sealed
  /// under another key or was altered (the GCM tag does not match).
  std::optional<std::string> open(std::string_view sealed) const;

  const std::string& version() const { return current_.version; }
  /// The key version a sealed value names ("" when it is not a sealed value).
  static std::string_view version_of(std::string_view sealed);

private:
  struct key {
    unsigned char bytes[32];
    std::string version;
  };
  key current_{};
  std::optional<key> previous_;
};

/// The master keys the server and crm-admin use: CRM_MASTER_KEY (else DIR/master.key, generated
/// once with mode 0600 when `create` is set and neither exists) and CRM_MASTER_KEY_PREVIOUS.
struct master_keys {
  std::string current_hex;
  std::string previous_hex;
  bool generated = false; // true when this call wrote DIR/master.key
};
result<master_keys> load_master_keys(const std::string& data_dir, bool create);

} // namespace crm::storage
