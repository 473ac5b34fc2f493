#pragma once
// A company's in-memory index of its tickets: what lists, filters, sorts, pagination, search and
// metrics are served from, without asking any ticket actor. Holds one immutable copy of each
// ticket without its notes. Not thread safe: one owner (the company registry actor).
#include <array>
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
  std::vector<std::string> words; // from words_of(q): every one must be a word of the subject
};

/// The words of a text as search sees them: runs of letters and digits (and any non-ASCII
/// bytes), lower-cased. "Refund not received (ORD-1)" -> refund, not, received, ord, 1.
std::vector<std::string> words_of(std::string_view text);

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

/// The number in a ticket id ("TKT-000042" -> 42); ties in every sort break by it, so id order
/// is numeric order. 0 when the id has no number.
std::uint64_t id_number(std::string_view id);

class ticket_index {
public:
  /// Inserts or replaces the ticket (its notes are dropped).
  void put(const ticket& t) { put(ticket(t)); }
  void put(ticket&& t);
  /// Puts tickets none of which is in the index yet (recovery): each order is sorted once at the
  /// end, where one put at a time would insert into the middle of a sorted vector for every
  /// ticket not newer than all before it.
  void put_new(std::vector<ticket>&& ts);
  std::shared_ptr<const ticket> find(const std::string& id) const;
  bool contains(const std::string& id) const { return find(id) != nullptr; }
  std::size_t size() const { return tickets_.size(); }

  /// Filters on status, priority and category read bucket sizes and merge bucket orders
  /// (createdAt, priority, slaDueAt): a page costs about page * limit steps, not the company's
  /// ticket count. q starts from the intersection of its words' postings. An assignedTo filter
  /// is checked on each visited ticket; sorting by updatedAt sorts the matching tickets.
  list_page list(const list_query& q) const;
  metrics compute(const metrics_query& q) const;

  template <class F>
  void for_each(F&& f) const {
    for (auto& [n, e] : tickets_)
      f(*e.t);
  }

private:
  static constexpr int bucket_count = 64; // status x priority x category
  static int bucket_of(const ticket& t) {
    return static_cast<int>(t.st) * 16 + static_cast<int>(t.prio) * 4 + static_cast<int>(t.cat);
  }
  struct bucket {
    std::vector<std::pair<millis, std::uint64_t>> by_created; // (createdAt, id number), sorted
    std::vector<std::uint64_t> by_number;                     // id numbers, sorted
    std::vector<std::pair<millis, std::uint64_t>> by_due;     // (slaDueAt, id number), sorted
  };
  /// A ticket with what filters and sorts of the unindexed paths (search, updatedAt) read, in
  /// the map's node: one read per candidate, not a walk to the ticket.
  struct entry {
    std::shared_ptr<const ticket> t;
    millis created_at = 0, updated_at = 0, sla_due_at = 0;
    std::uint8_t bucket = 0;
    std::uint8_t prio = 0;
  };
  static entry entry_of(std::shared_ptr<const ticket> t);
  static millis sort_key(const list_query& q, const entry& e);
  /// Sorts the matches of a search or an updatedAt sort ((sort key, id number) each) and takes
  /// the page.
  list_page collect_and_sort(const list_query& q, std::vector<std::pair<millis, std::uint64_t>> rows) const;
  void insert_into(int b, const ticket& t, std::uint64_t n);
  void erase_from(int b, const ticket& t, std::uint64_t n);
  std::vector<int> buckets_for(const list_query& q) const;

  std::unordered_map<std::uint64_t, entry> tickets_; // by id number
  std::array<bucket, bucket_count> buckets_;
  std::unordered_map<std::string, std::vector<std::uint64_t>> postings_; // word -> id numbers, sorted
};

} // namespace crm::tickets
