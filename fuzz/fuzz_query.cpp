// The request target parser and the query parameter readers: the first byte picks a route that
// reads query parameters, the rest is the query string (what follows '?'). parse_target and
// query_params are checked alone, then the target goes through router::handle, whose handlers
// build the tickets, calls and reps list queries, paging, sortBy, from and to, after and limit.
// Only reads: the world does not change.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <set>

#include "domain/text.hpp"
#include "fuzz/world.hpp"

namespace {

struct route {
  const char* path;
  const char* role;
};

constexpr route routes[] = {
  {"/api/v1/support/tickets", "admin"},
  {"/api/v1/support/tickets", "agent"}, // assignedTo=me names its rep
  {"/api/v1/crm/call-logs", "admin"},
  {"/api/v1/crm/sales-reps", "admin"},
  {"/api/v1/support/metrics", "admin"},
  {"/api/v1/crm/sales-reps/REP-000001/performance", "admin"},
  {"/api/v1/crm/sales-reps/REP-000001", "admin"}, // reveal
  {"/api/v1/audit/events", "admin"},
  {"/api/v1/admin/api-keys", "platform"},
  {"/api/v1/shipments/SHP-1/timeline", "viewer"},
  {"/api/v1/crm/leads", "agent"},
  {"/api/v1/crm/leads/funnel", "viewer"},
  {"/api/v1/disputes", "viewer"},
  {"/api/v1/disputes/metrics", "viewer"},
};

/// What parse_target and query_params promise of a target they accept.
void check_target(const std::string& target) {
  auto t = crm::http::parse_target(target);
  if (!t)
    return;
  for (auto& s : t->segments)
    if (s.empty() || !crm::valid_utf8(s))
      crm::fuzz::fail("a path segment empty or not UTF-8", target);
  std::set<std::string> names;
  for (auto& [k, v] : t->query) {
    if (!crm::valid_utf8(k) || !crm::valid_utf8(v))
      crm::fuzz::fail("a query parameter not UTF-8", target);
    names.insert(k);
  }
  crm::http::query_params q(t->query);
  bool by_list = false; // take() and take_list() in turn
  for (auto& n : names) {
    if (!by_list && !q.take(n))
      crm::fuzz::fail("take() misses a parameter that was sent", target);
    if (by_list)
      for (auto& item : q.take_list(n))
        if (item.empty() || item.find(',') != std::string::npos)
          crm::fuzz::fail("take_list() gave an empty item or one with a comma", target);
    by_list = !by_list;
  }
  if (q.finish())
    crm::fuzz::fail("finish() names a parameter that was taken", target);
  if (!names.empty() && !crm::http::query_params(t->query).finish())
    crm::fuzz::fail("finish() names no parameter when none was taken", target);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  crm::fuzz::the_world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  auto& r = routes[data[0] % std::size(routes)];
  auto target = std::string(r.path) + "?" + std::string(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_target(target);
  crm::fuzz::ask(crm::fuzz::make_request("GET", target, crm::fuzz::bearer(r.role)));
  return 0;
}
