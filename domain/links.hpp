#pragma once
// Small indexes of a company that span entities: the entities of each shipment (its timeline)
// and what each NDR event led to (NDR idempotency). Plain data, one writer at a time.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace crm {

/// shipmentId -> the ids of the entities about it (tickets, calls, NDR events), in the order
/// they were noted.
class shipment_index {
public:
  void add(const std::string& shipment, const std::string& entity) {
    if (!shipment.empty())
      map_[shipment].push_back(entity);
  }
  /// Null when the shipment is unknown.
  const std::vector<std::string>* find(const std::string& shipment) const {
    auto it = map_.find(shipment);
    return it == map_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return map_.size(); }

private:
  std::unordered_map<std::string, std::vector<std::string>> map_;
};

namespace ndr {

/// What an NDR event led to: its ticket, and its call (empty when it asked for none).
struct link {
  std::string ticket;
  std::string call;
};

/// ndrEventId -> its link. An NDR event is claimed before its ticket is written, so that a
/// second delivery of it meanwhile finds it; a failed write forgets it again.
class link_index {
public:
  /// The link of `ndr_event_id`, and whether it is new (then empty, for the caller to fill).
  std::pair<link*, bool> claim(const std::string& ndr_event_id) {
    auto [it, fresh] = map_.try_emplace(ndr_event_id);
    return {&it->second, fresh};
  }
  void put(const std::string& ndr_event_id, link l) { map_[ndr_event_id] = std::move(l); }
  const link* find(const std::string& ndr_event_id) const {
    auto it = map_.find(ndr_event_id);
    return it == map_.end() ? nullptr : &it->second;
  }
  /// Forgets the NDR events that led to `ticket` (its write failed).
  void forget_ticket(const std::string& ticket) {
    for (auto it = map_.begin(); it != map_.end();)
      it = it->second.ticket == ticket ? map_.erase(it) : std::next(it);
  }
  std::size_t size() const { return map_.size(); }

private:
  std::unordered_map<std::string, link> map_;
};

} // namespace ndr
} // namespace crm
