#include "domain/errc.hpp"

namespace crm {

const char* to_code_string(errc code) {
  switch (code) {
    case errc::invalid: return "validation_failed";
    case errc::malformed: return "bad_request";
    case errc::unauthorized: return "unauthorized";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::conflict: return "conflict";
    case errc::too_large: return "payload_too_large";
    case errc::unsupported_media: return "unsupported_media_type";
    case errc::rate_limited: return "rate_limited";
    case errc::unavailable: return "unavailable";
    case errc::internal: return "internal";
  }
  return "internal";
}

} // namespace crm
