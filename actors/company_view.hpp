#pragma once
// A company's read model: what its reads are served from, on the thread that took the request
// (no message to an actor, no thread hop). Holds what spans the company's entities, each as
// last written: the ticket index (without notes), the calls, the roster, the shipments, the leads,
// the disputes and the dispatcher setting.
//
// Writers are the actors that apply written changes: an entity actor publishes its new state
// here once its write is back and before it answers, so an answered write is visible to the
// next read (read-your-writes); the registry publishes what it writes itself (new tickets and
// calls, assignments of passivated calls). Writers hold the lock only to put one change;
// readers hold it shared for one read (a page of a list, one entity).
#include <caf/all.hpp>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "domain/call_index.hpp"
#include "domain/dispute_index.hpp"
#include "domain/lead_index.hpp"
#include "domain/links.hpp"
#include "domain/rep.hpp"
#include "domain/ticket_index.hpp"

namespace crm::actors {

struct company_data {
  tickets::ticket_index tickets;
  calls::call_index calls;
  reps::roster roster;
  shipment_index shipments;
  leads::lead_index leads;
  disputes::dispute_index disputes;
  bool assign_tickets = false; // the dispatcher assigns unassigned tickets by skill
};

class company_view {
public:
  company_view() = default;
  explicit company_view(company_data d) : data_(std::move(d)) {}
  company_view(const company_view&) = delete;
  company_view& operator=(const company_view&) = delete;

  /// Runs `f(const company_data&)` under the shared lock and returns what it returns: copy out
  /// what outlives the call (tickets are shared immutable copies, so that is cheap).
  template <class F>
  decltype(auto) read(F&& f) const {
    std::shared_lock lock(mu_);
    return f(static_cast<const company_data&>(data_));
  }

  /// Runs `f(company_data&)` under the exclusive lock. Keep it to putting one change.
  template <class F>
  decltype(auto) write(F&& f) {
    std::unique_lock lock(mu_);
    return f(data_);
  }

private:
  mutable std::shared_mutex mu_;
  company_data data_;
};

/// What an entity actor of a company is spawned with: its host (the registry), the company's
/// dispatcher, and the read model it publishes its written state to.
struct company_handles {
  caf::actor registry;
  caf::actor dispatcher;
  std::shared_ptr<company_view> view;
};

} // namespace crm::actors
