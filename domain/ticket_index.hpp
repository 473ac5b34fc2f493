#pragma once
// A company's in-memory index of its tickets: what lists, filters, sorts, pagination, search and
// metrics are served from, without asking any ticket actor. Holds one immutable copy of each
// ticket without its notes. Not thread safe: one owner (the company registry actor).
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/ticket.hpp"

namespace crm::tickets {

struct list_query {
  int page = 1;
  int limit = 20;
  std::vector<status> statuses;
  std::vector<priority> priorities;
  std::vector<category> categories;
  std::vector<std::string> assigned_to; // "null" matches unassigned
  std::string sort_by = "createdAt";    // createdAt updatedAt priority slaDueAt
  bool descending = true;
  std::vector<std::string> words; // lower-case; every one must occur in the subject
};

/// Parses "createdAt" or "-createdAt". False if the field is not sortable.
bool parse_sort(std::string_view s, list_query& q);

struct list_page {
  std::vector<std::shared_ptr<const ticket>> items;
  std::size_t total = 0;
};

struct metrics_query {
  std::optional<millis> from, to;
};

struct metrics {
  std::size_t created = 0, resolved = 0, resolved_within_sla = 0, breached = 0;
  std::optional<double> sla_compliance;
  std::optional<double> avg_resolution_ms;
  std::array<std::size_t, 4> by_priority{};
  std::array<std::size_t, 4> by_category{};
};
std::string to_json(const metrics& m);

class ticket_index {
public:
  /// Inserts or replaces the ticket (its notes are dropped).
  void put(const ticket& t);
  std::shared_ptr<const ticket> find(const std::string& id) const;
  bool contains(const std::string& id) const { return by_id_.count(id) != 0; }
  std::size_t size() const { return by_id_.size(); }

  list_page list(const list_query& q) const;
  metrics compute(const metrics_query& q) const;

  /// Visits every ticket (recovery, timers).
  template <class F>
  void for_each(F&& f) const {
    for (auto& p : ordered_)
      f(*p);
  }

private:
  std::unordered_map<std::string, std::shared_ptr<const ticket>> by_id_;
  std::vector<std::shared_ptr<const ticket>> ordered_; // by (createdAt, id) ascending
};

} // namespace crm::tickets
