#pragma once
// Reads a JSON request body into typed fields, collecting a problem for each field of the
// wrong type and each field nobody asked for (unknown fields are 422: they catch typos).
#include <simdjson.h>

#include <functional>
#include <optional>
#include <vector>
#include <string>

#include "domain/errc.hpp"

namespace crm::http {

/// The decimal places of a JSON number's text, trailing zeros not counted: "1.50" has 1,
/// "150e-2" 1, "1.5e1" none, "1.000000000000000001" 18.
long decimal_places(std::string_view number_text);

class body_reader {
public:
  /// Parses `body` with this thread's parser; a body that is not a JSON object is
  /// errc::malformed. The reader is valid until the next parse on the same thread: read it
  /// to the end before doing anything else.
  static result<body_reader> parse(const std::string& body);
  body_reader(simdjson::dom::object obj, std::string prefix, validation* problems);

  bool has(std::string_view key) const;
  /// A string field; nullopt when absent. A null is absent unless `null_as_empty`, which
  /// reads null as "" (clear the field) and refuses an empty string.
  std::optional<std::string> str(std::string_view key, bool null_as_empty = false);
  std::optional<std::int64_t> integer(std::string_view key);
  std::optional<double> number(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  /// Money in rupees (at most two decimals) as paise.
  std::optional<std::int64_t> money(std::string_view key);
  std::optional<body_reader> object(std::string_view key);
  /// Readers of the objects of an array field (their problems name "key[i].field").
  std::optional<std::vector<body_reader>> objects(std::string_view key);
  /// Strings of an array field.
  std::optional<std::vector<std::string>> strings(std::string_view key);

  /// A problem "is required" when the field is absent or null.
  void require(std::string_view key);
  /// Adds a problem for every key not read and every key given twice (once: a second call adds
  /// nothing). What a nested reader calls: its problems go to the root's finish(), which builds
  /// the error once (building it for each of 100k array elements would be quadratic).
  void check();
  /// check(), then the problems collected so far, by this reader and the ones nested in it, as
  /// one 422, if any.
  std::optional<error> finish(std::string message = "the request body is not valid");
  validation& problems() { return *problems_; }
  /// finish(), with the problems the command's own checks find (`rules`: the domain's
  /// validate) added, so that one 422 names every bad field, not only the body's.
  std::optional<error> finish_with(const std::function<std::optional<error>()>& rules, std::string message);

private:
  std::optional<simdjson::dom::element> take(std::string_view key);
  void problem(std::string_view key, std::string what);

  std::shared_ptr<validation> own_;
  simdjson::dom::object obj_;
  /// The body's text (the root reader only): the DOM keeps a number as a double, and money
  /// checks the decimals the client wrote (1.000000000000000001 is the double 1.0).
  std::string_view raw_;
  std::string prefix_;
  validation* problems_;
  /// The names read (a handler reads a few dozen at most: a list, searched in order).
  std::vector<std::string> seen_;
  bool finished_ = false; // keys checked once: a second finish() only collects the problems
};

} // namespace crm::http
