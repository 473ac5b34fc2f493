#pragma once
// A company's disputes as last written, with what lists and metrics need: orders by createdAt,
// updatedAt and claimAmount (each then the id's number), counts by type and status, and the
// running sums behind the metrics. Plain data: one writer at a time (actors/company_view.hpp).
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/dispute.hpp"

namespace crm::disputes {

struct list_query {
  int page = 1;
  int limit = 20;
  std::vector<status> statuses;
  std::vector<type> types;
  std::optional<bool> stalled; // true: only stalled; false: only not stalled
  millis now = 0;              // for stalled
  millis stall_after = 0;      // --dispute-stall-after
  std::string sort_by = "createdAt"; // createdAt updatedAt claimAmount
  bool descending = true;
};

/// Parses "claimAmount" or "-claimAmount" (createdAt updatedAt claimAmount). False otherwise.
bool parse_sort(std::string_view s, list_query& q);

struct list_page {
  std::vector<std::shared_ptr<const dispute>> items;
  std::size_t total = 0;
};

/// GET /api/v1/disputes/metrics over the disputes created within from..to (all without them):
/// counts by type and by status now, the mean time from creation to resolution of the resolved
/// ones (null when none), and the sum of the refunds of those resolved with a refund, in paise.
struct metrics {
  std::array<std::uint64_t, type_count> by_type{};
  std::array<std::uint64_t, status_count> by_status{};
  std::optional<double> avg_resolution_ms;
  std::int64_t refund_total_paise = 0;
};
/// {byType: {damaged-goods: n, ...every type}, byStatus: {...every status}, avgResolutionMs,
/// refundTotal (rupees, exact from paise)}.
std::string to_json(const metrics& m);

class dispute_index {
public:
  void put(dispute d);
  std::shared_ptr<const dispute> find(const std::string& id) const;
  bool contains(const std::string& id) const { return find(id) != nullptr; }
  std::size_t size() const { return disputes_.size(); }

  list_page list(const list_query& q) const;
  /// Without from and to: read from running sums, not computed.
  metrics compute(std::optional<millis> from, std::optional<millis> to) const;

  template <class F>
  void for_each(F&& f) const {
    for (auto& [n, d] : disputes_)
      f(*d);
  }

private:
  using key = std::pair<std::int64_t, std::uint64_t>;
  void insert(const std::shared_ptr<const dispute>& d);
  void erase(const dispute& d);
  std::unordered_map<std::uint64_t, std::shared_ptr<const dispute>> disputes_;
  std::map<key, const dispute*> by_created_, by_updated_, by_claim_;
  metrics running_; // avg_resolution_ms unused here: see resolution_ms_ / resolved_
  std::int64_t resolution_ms_ = 0;
  std::uint64_t resolved_ = 0;
};

} // namespace crm::disputes
