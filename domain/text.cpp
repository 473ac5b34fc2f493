#include "domain/text.hpp"

#include <simdjson.h>

namespace crm {

bool valid_identifier(std::string_view s) {
  if (s.empty() || s.size() > max_identifier_length)
    return false;
  for (unsigned char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
              || c == '_' || c == ':' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::string identifier_problem(std::string_view s) {
  if (s.empty())
    return "is required";
  if (s.size() > max_identifier_length)
    return "must be at most 64 characters";
  if (!valid_identifier(s))
    return "must hold only A-Z a-z 0-9 . _ : -";
  return {};
}

void check_identifier(validation& v, std::string_view field, std::string_view s, bool required) {
  if (s.empty() && !required)
    return;
  if (auto p = identifier_problem(s); !p.empty())
    v.add(std::string(field), std::move(p));
}

bool valid_utf8(std::string_view s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

bool valid_header_text(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f)
      return false;
  return valid_utf8(s);
}

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    std::string_view ch = n && i + n <= s.size() ? s.substr(i, n) : std::string_view{};
    if (ch.empty() || !valid_utf8(ch)) {
      if (out.size() + 3 > max)
        break;
      out += "\xEF\xBF\xBD";
      i += 1;
      continue;
    }
    if (out.size() + n > max)
      break;
    out.append(ch);
    i += n;
  }
  return out;
}

} // namespace crm
