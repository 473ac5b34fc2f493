#include "http/body_reader.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "domain/time_format.hpp"

namespace crm::http {

namespace {
thread_local simdjson::dom::parser tl_parser;

bool json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/// The end of the JSON value that starts at s[i] (the text is valid JSON: the parser took it).
std::size_t skip_value(std::string_view s, std::size_t i) {
  if (s[i] == '"') {
    for (++i; i < s.size(); ++i) {
      if (s[i] == '\\')
        ++i;
      else if (s[i] == '"')
        return i + 1;
    }
    return s.size();
  }
  if (s[i] == '{' || s[i] == '[') {
    std::size_t depth = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        i = skip_value(s, i);
        continue;
      }
      if (c == '{' || c == '[')
        ++depth;
      else if ((c == '}' || c == ']') && --depth == 0)
        return i + 1;
      ++i;
    }
    return s.size();
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !json_space(s[i]))
    ++i;
  return i;
}

/// The text of the value of the top-level object's member number `n` (0: the first), in the
/// order written, which is the DOM's order; empty if the text is not an object that long.
std::string_view member_text(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  auto space = [&] {
    while (i < s.size() && json_space(s[i]))
      ++i;
  };
  space();
  if (i >= s.size() || s[i] != '{')
    return {};
  ++i;
  for (std::size_t m = 0;; ++m) {
    space();
    if (i >= s.size() || s[i] != '"')
      return {};
    i = skip_value(s, i); // the key
    space();
    if (i >= s.size() || s[i] != ':')
      return {};
    ++i;
    space();
    if (i >= s.size())
      return {};
    auto end = skip_value(s, i);
    if (m == n)
      return s.substr(i, end - i);
    i = end;
    space();
    if (i >= s.size() || s[i] != ',')
      return {};
    ++i;
  }
}

} // namespace

long decimal_places(std::string_view t) {
  std::size_t i = 0;
  if (i < t.size() && t[i] == '-')
    ++i;
  long frac = 0, trailing_zeros = 0;
  bool nonzero = false, in_frac = false;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.') {
      in_frac = true;
      continue;
    }
    if (c < '0' || c > '9')
      break;
    if (in_frac)
      ++frac;
    if (c == '0') {
      ++trailing_zeros;
    } else {
      trailing_zeros = 0;
      nonzero = true;
    }
  }
  if (!nonzero)
    return 0; // zero has no decimals, however written
  long exp = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool neg = i < t.size() && t[i] == '-';
    if (i < t.size() && (t[i] == '-' || t[i] == '+'))
      ++i;
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i)
      exp = std::min(exp * 10 + (t[i] - '0'), 1000000L); // saturates: 1e-99999999999 is tiny
    if (neg)
      exp = -exp;
  }
  return std::max(0L, frac - exp - trailing_zeros);
}

result<body_reader> body_reader::parse(const std::string& body) {
  simdjson::dom::element doc;
  if (auto err = tl_parser.parse(body).get(doc); err)
    return error{errc::malformed, std::string("the body is not valid JSON: ") + simdjson::error_message(err)};
  simdjson::dom::object obj;
  if (doc.get(obj))
    return error{errc::malformed, "the body must be a JSON object"};
  auto own = std::make_shared<validation>();
  body_reader r(obj, "", own.get());
  r.own_ = std::move(own);
  r.raw_ = body;
  return r;
}

body_reader::body_reader(simdjson::dom::object obj, std::string prefix, validation* problems)
  : obj_(obj), prefix_(std::move(prefix)), problems_(problems) {}

void body_reader::problem(std::string_view key, std::string what) {
  problems_->add(prefix_ + std::string(key), std::move(what));
}

bool body_reader::has(std::string_view key) const {
  simdjson::dom::element e;
  return !obj_[key].get(e);
}

std::optional<simdjson::dom::element> body_reader::take(std::string_view key) {
  if (std::find(seen_.begin(), seen_.end(), key) == seen_.end())
    seen_.emplace_back(key);
  simdjson::dom::element e;
  if (obj_[key].get(e))
    return std::nullopt;
  return e;
}

std::optional<std::string> body_reader::str(std::string_view key, bool null_as_empty) {
  auto e = take(key);
  if (!e)
    return std::nullopt;
  if (e->is_null()) {
    if (null_as_empty)
      return std::string();
    return std::nullopt;
  }
  std::string_view s;
  if (e->get(s)) {
    problem(key, "must be a string");
    return std::nullopt;
  }
  if (null_as_empty && s.empty()) {
    problem(key, "must not be empty (null clears it)");
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::int64_t> body_reader::integer(std::string_view key) {
  auto e = take(key);
  if (!e || e->is_null())
    return std::nullopt;
  std::int64_t v;
  if (e->get(v)) {
    double d;
    if (!e->get(d) && d >= -9.2e18 && d <= 9.2e18 && d == std::trunc(d)) // no cast out of range
      return static_cast<std::int64_t>(d);
    problem(key, "must be an integer");
    return std::nullopt;
  }
  return v;
}

std::optional<double> body_reader::number(std::string_view key) {
  auto e = take(key);
  if (!e || e->is_null())
    return std::nullopt;
  double d;
  if (e->get(d)) {
    problem(key, "must be a number");
    return std::nullopt;
  }
  return d;
}

std::optional<bool> body_reader::boolean(std::string_view key) {
  auto e = take(key);
  if (!e || e->is_null())
    return std::nullopt;
  bool b;
  if (e->get(b)) {
    problem(key, "must be true or false");
    return std::nullopt;
  }
  return b;
}

std::optional<std::int64_t> body_reader::money(std::string_view key) {
  auto d = number(key);
  if (!d)
    return std::nullopt;
  auto p = rupees_to_paise(*d);
  if (p && !raw_.empty()) {
    // The double has two places at most; the text may have had more, beyond its precision.
    std::size_t n = 0;
    for (auto field : obj_) {
      if (field.key == key) {
        if (auto t = member_text(raw_, n); !t.empty() && decimal_places(t) > 2)
          p.reset();
        break;
      }
      ++n;
    }
  }
  if (!p) {
    problem(key, "must be a non-negative amount in rupees with at most two decimals");
    return std::nullopt;
  }
  return p;
}

std::optional<body_reader> body_reader::object(std::string_view key) {
  auto e = take(key);
  if (!e || e->is_null())
    return std::nullopt;
  simdjson::dom::object o;
  if (e->get(o)) {
    problem(key, "must be an object");
    return std::nullopt;
  }
  return body_reader(o, prefix_ + std::string(key) + ".", problems_);
}

std::optional<std::vector<std::string>> body_reader::strings(std::string_view key) {
  auto e = take(key);
  if (!e || e->is_null())
    return std::nullopt;
  simdjson::dom::array a;
  if (e->get(a)) {
    problem(key, "must be an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (auto x : a) {
    std::string_view s;
    if (x.get(s)) {
      problem(key, "must be an array of strings");
      return std::nullopt;
    }
    out.emplace_back(s);
  }
  return out;
}

std::optional<std::vector<body_reader>> body_reader::objects(std::string_view key) {
  auto e = take(key);
  if (!e || e->is_null())
    return std::nullopt;
  simdjson::dom::array a;
  if (e->get(a)) {
    problem(key, "must be an array of objects");
    return std::nullopt;
  }
  std::vector<body_reader> out;
  std::size_t i = 0;
  for (auto x : a) {
    simdjson::dom::object o;
    if (x.get(o)) {
      problem(key, "must be an array of objects");
      return std::nullopt;
    }
    out.emplace_back(o, prefix_ + std::string(key) + "[" + std::to_string(i++) + "].", problems_);
  }
  return out;
}

void body_reader::require(std::string_view key) {
  simdjson::dom::element e;
  if (obj_[key].get(e) || e.is_null())
    problem(key, "is required");
}

std::optional<error> body_reader::finish(std::string message) {
  check();
  if (problems_->ok())
    return std::nullopt;
  validation copy = *problems_;
  return std::move(copy).to_error(std::move(message));
}

void body_reader::check() {
  if (!finished_) {
    finished_ = true;
    std::vector<std::string_view> keys;
    for (auto [k, v] : obj_)
      keys.push_back(k);
    // Which keys repeat an earlier one: pairwise for the usual handful, sorted for more (a body
    // may hold any number of keys).
    std::vector<bool> again(keys.size());
    if (keys.size() <= 16) {
      for (std::size_t i = 1; i < keys.size(); ++i)
        for (std::size_t j = 0; j < i && !again[i]; ++j)
          again[i] = keys[j] == keys[i];
    } else {
      std::vector<std::uint32_t> order(keys.size());
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return keys[a] < keys[b]; });
      for (std::size_t i = 1; i < order.size(); ++i)
        again[order[i]] = keys[order[i]] == keys[order[i - 1]];
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (again[i])
        problem(keys[i], "appears more than once");
      else if (std::find(seen_.begin(), seen_.end(), keys[i]) == seen_.end())
        problem(keys[i], "unknown field");
    }
  }
}

} // namespace crm::http

namespace crm::http {

std::optional<error> body_reader::finish_with(const std::function<std::optional<error>()>& check,
                                             std::string message) {
  auto err = finish(message);
  if (!err)
    return std::nullopt; // the command's checks run where the command is decided
  if (auto rules = check())
    for (auto& d : rules->details)
      if (std::none_of(err->details.begin(), err->details.end(), [&](auto& x) { return x.field == d.field; }))
        err->details.push_back(d);
  return err;
}

} // namespace crm::http
