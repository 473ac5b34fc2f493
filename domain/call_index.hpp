#pragma once
// A company's calls as last written, with the orders and groupings lists need: by creation
// (the default order, without sorting), by rep (handing work back, `assignedTo` filters) and by
// shipment (`shipmentId` filters). Plain data: one writer at a time (see actors/company_view.hpp).
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "domain/call.hpp"

namespace crm::calls {

struct list_page {
  std::vector<call_log> items;
  std::size_t total = 0;
  int page = 1;
  int limit = 20;
};

class call_index {
public:
  /// Inserts or replaces the call, keeping every order in step. Returns the stored call.
  const call_log& put(call_log c);
  const call_log* find(const std::string& id) const;
  bool contains(const std::string& id) const { return calls_.count(id) != 0; }
  std::size_t size() const { return calls_.size(); }

  /// The calls assigned to `rep` (any status); null when none.
  const std::unordered_set<std::string>* of_rep(const std::string& rep) const;

  /// Filters on status, assignedTo and shipmentId, sorted by createdAt or updatedAt (then the
  /// id's number), paged. A named shipment or rep looks only at its own calls.
  list_page list(const list_query& q) const;

  template <class F>
  void for_each(F&& f) const {
    for (auto& [id, c] : calls_)
      f(c);
  }

private:
  std::unordered_map<std::string, call_log> calls_;
  std::map<std::pair<millis, std::uint64_t>, const call_log*> by_created_;
  std::unordered_map<std::string, std::unordered_set<std::string>> by_rep_;
  std::unordered_map<std::string, std::vector<std::string>> by_shipment_;
};

} // namespace crm::calls
