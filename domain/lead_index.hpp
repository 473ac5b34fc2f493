#pragma once
// A company's leads as last written, with what lists, the funnel, duplicate detection and lead
// distribution need, none of it a scan of the company's leads:
// - orders by createdAt, updatedAt, score and estimatedValue (each then the id's number) for
//   pages;
// - counts by status, overall and per territory, source and assignee, for funnelMetrics;
// - open leads by phone key and email key (lead.hpp), for duplicate detection;
// - open leads per rep, for distribution.
// Plain data: one writer at a time (actors/company_view.hpp).
#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "domain/block_order.hpp"
#include "domain/lead.hpp"

namespace crm::leads {

struct list_query {
  int page = 1;
  int limit = 20;
  std::vector<status> statuses;
  std::vector<std::string> territories;
  std::vector<source> sources;
  std::vector<std::string> assigned_to; // "null" matches unassigned
  std::string sort_by = "createdAt";    // createdAt updatedAt score estimatedValue
  bool descending = true;
};

/// Parses "score" or "-score" (createdAt updatedAt score estimatedValue). False otherwise.
bool parse_sort(std::string_view s, list_query& q);

struct list_page {
  std::vector<std::shared_ptr<const lead>> items;
  std::size_t total = 0;
  std::array<std::uint64_t, status_count> funnel{}; // the selected leads (all pages) by status
};

class lead_index {
public:
  /// Inserts or replaces the lead, keeping every order and count in step.
  void put(lead l) { put(std::make_shared<const lead>(std::move(l))); }
  /// The same, keeping the caller's copy (no copy of the lead's strings).
  void put(std::shared_ptr<const lead> p);
  std::shared_ptr<const lead> find(const std::string& id) const;
  bool contains(const std::string& id) const { return find(id) != nullptr; }
  std::size_t size() const { return leads_.size(); }

  /// Filters (every given one must hold; values of one filter are alternatives), sorts (ties by
  /// the id's number in the same direction), pages, and counts the selected leads by status.
  /// Without filters, or with one filter of one value besides status, the counts are read, not
  /// computed (otherwise one pass over compact rows counts them). A page walks an order
  /// (block_order: reads in sequence) when that meets the page's leads in fewer steps than half
  /// the leads of the most selective filter; otherwise the page is picked from the matches (one
  /// pass over that filter's leads and a linear selection).
  list_page list(const list_query& q) const;

  /// The open lead (prospect..negotiation) with this phone key or email key (the oldest when
  /// several share it, which allowDuplicate permits); null when none or when the key is empty.
  std::shared_ptr<const lead> open_with_phone(const std::string& phone_key) const;
  std::shared_ptr<const lead> open_with_email(const std::string& email_key) const;

  /// leads::count over the leads created within from..to (both inclusive, either open), from
  /// the compact rows in createdAt order (all time: kept as leads change).
  void count_funnel(funnel& f) const;

  /// Open leads assigned to `rep`.
  std::size_t open_of(const std::string& rep) const;

  template <class F>
  void for_each(F&& f) const {
    for (auto& l : leads_)
      f(*l);
  }

private:
  using key = std::pair<std::int64_t, std::uint64_t>; // (sort value, id number)
  using counts = std::array<std::uint64_t, status_count>;
  using order = block_order<key, std::uint32_t>;       // -> slot
  /// What filters and sorts read, kept apart from the lead so that a scan reads 48 bytes a lead.
  struct row {
    millis created_at = 0, updated_at = 0;
    std::int64_t value = 0;
    std::int64_t score = 0;
    std::uint64_t number = 0;                  // of the id
    std::uint32_t territory = 0, assignee = 0; // ids in names_ (0: none)
    status st = status::prospect;
    source src = source::inbound_inquiry;
    status furthest = status::prospect; // of prospect..won (the funnel)
  };
  row row_of(const lead& l);
  void insert(std::uint32_t slot);
  void erase(std::uint32_t slot);
  /// Adds the lead to (or takes it from) every count and open-lead key.
  void tally(const lead& l, const row& r, std::uint64_t n, bool add);
  const order& order_for(const std::string& sort_by) const;

  std::vector<std::shared_ptr<const lead>> leads_;         // by slot (insertion order)
  std::vector<row> rows_;                                   // by slot
  boost::unordered_flat_map<std::uint64_t, std::uint32_t> slots_; // id number -> slot
  std::unordered_map<std::string, std::uint32_t> names_;   // territories and reps -> ids
  order by_created_, by_score_, by_updated_, by_value_;
  counts all_{};
  counts reached_{}; // the funnel's stages over every lead (leads::count)
  std::vector<counts> by_territory_, by_assignee_; // by name id
  std::array<counts, 4> by_source_{};
  /// The slots of each territory, assignee and source, sorted: a query with two filters or more
  /// looks only at the leads of its most selective one.
  using slots = std::vector<std::uint32_t>;
  std::vector<slots> in_territory_, of_assignee_; // by name id
  std::array<slots, 4> of_source_;
  /// Moves `slot` between the postings of `before` (null: new) and `after`, where they differ.
  void post(std::uint32_t slot, const row* before, const row& after);
  /// Open leads by duplicate key: the key's 64-bit hash -> the id numbers of the open leads with
  /// a key of that hash, no copy of the key (a lookup confirms the key on the lead, so a
  /// collision of hashes never makes a duplicate). One lead (nearly always): `one`, in the
  /// node; more (allowDuplicate, or a collision): `many`, in order, so that adding, removing and
  /// finding the oldest stay logarithmic however many leads share a key.
  /// Open addressing (one probe of a group's metadata for a key no lead has, which is nearly
  /// every new lead's): the node-based map cost three cache misses a lookup at 500k leads.
  struct open_numbers {
    std::uint64_t one = 0; // 0: none (id numbers start at 1)
    std::unique_ptr<std::set<std::uint64_t>> many; // null or at least two
  };
  using open_keys = boost::unordered_flat_map<std::uint64_t, open_numbers>;
  void mark(open_keys& m, const std::string& k, std::uint64_t n, bool add);
  std::shared_ptr<const lead> oldest_open(const open_keys& m, const std::string& k,
                                          std::string (*key_of)(std::string_view),
                                          std::string lead::*field) const;
  open_keys open_phone_, open_email_;
  std::unordered_map<std::string, std::size_t> open_of_;
};

} // namespace crm::leads
