#pragma once
// Canonical error codes shared by every layer, and the error value that carries them.
// Errors are values: nothing below the HTTP layer throws across a layer boundary.
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace crm {

enum class errc : unsigned char {
  invalid = 1,       // well-formed input that breaks a rule (HTTP 422)
  malformed,         // unparseable body or query (HTTP 400)
  unauthorized,      // missing or unknown credentials (HTTP 401)
  forbidden,         // the role may not do this (HTTP 403)
  not_found,         // unknown id, or an id of another company (HTTP 404)
  conflict,          // forbidden state change or duplicate (HTTP 409)
  too_large,         // body over the limit (HTTP 413)
  unsupported_media, // wrong content type (HTTP 415)
  rate_limited,      // HTTP 429
  unavailable,       // not ready, shutting down, storage failed (HTTP 503)
  internal,          // a bug (HTTP 500)
};

const char* to_code_string(errc code);

struct field_problem {
  std::string field;
  std::string problem;
};

struct error {
  errc code = errc::internal;
  std::string message;
  std::vector<field_problem> details;

  error() = default;
  error(errc c, std::string msg, std::vector<field_problem> d = {})
    : code(c), message(std::move(msg)), details(std::move(d)) {}
};

/// Either a value or an error. A small stand-in for std::expected (C++23).
template <class T>
class result {
public:
  result(T value) : v_(std::move(value)) {}
  result(error err) : v_(std::move(err)) {}
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() { return value(); }
  const error& err() const { return std::get<1>(v_); }
  error&& take_error() { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, error> v_;
};

/// Collects field problems while validating a command; yields one 422 error naming each field.
class validation {
public:
  void add(std::string field, std::string problem) {
    details_.push_back({std::move(field), std::move(problem)});
  }
  bool ok() const noexcept { return details_.empty(); }
  error to_error(std::string message = "validation failed") && {
    return error{errc::invalid, std::move(message), std::move(details_)};
  }

private:
  std::vector<field_problem> details_;
};

} // namespace crm
