#include "actors/entity_host.hpp"

#include "actors/messages.hpp"

namespace crm::actors {

void entity_host::route(const std::string& id, deliver_fn deliver) {
  auto it = live_.find(id);
  if (it == live_.end())
    it = live_.emplace(id, resident{spawn_(id), 0, false, {}}).first;
  auto& r = it->second;
  if (r.stopping || !r.handle) {
    r.buffer.push_back(std::move(deliver));
    return;
  }
  r.touched = clk_->steady_now();
  deliver(r.handle);
}

void entity_host::hold(const std::string& id) {
  live_.emplace(id, resident{nullptr, clk_->steady_now(), false, {}});
}

bool entity_host::held(const std::string& id) const {
  auto it = live_.find(id);
  return it != live_.end() && !it->second.handle;
}

void entity_host::release(const std::string& id, bool drop) {
  auto it = live_.find(id);
  if (it == live_.end() || it->second.handle)
    return;
  auto buffer = std::move(it->second.buffer);
  live_.erase(it);
  if (drop)
    return;
  for (auto& deliver : buffer)
    route(id, std::move(deliver));
}

void entity_host::passivate(const std::string& id) {
  auto it = live_.find(id);
  if (it == live_.end() || it->second.stopping || !it->second.handle)
    return;
  it->second.stopping = true;
  self_->send(it->second.handle, passivate_atom::value);
}

std::size_t entity_host::sweep(millis idle_for) {
  auto now = clk_->steady_now();
  std::vector<std::string> idle;
  for (auto& [id, r] : live_)
    if (r.handle && !r.stopping && now - r.touched >= idle_for)
      idle.push_back(id);
  for (auto& id : idle)
    passivate(id);
  return idle.size();
}

bool entity_host::stopped(const std::string& id, bool still_known) {
  auto it = live_.find(id);
  if (it == live_.end())
    return false;
  auto buffer = std::move(it->second.buffer);
  live_.erase(it);
  if (buffer.empty())
    return false;
  if (still_known)
    for (auto& deliver : buffer)
      route(id, std::move(deliver));
  return true;
}

std::optional<std::string> entity_host::down(const caf::actor_addr& who) {
  for (auto it = live_.begin(); it != live_.end(); ++it) {
    if (!it->second.handle || it->second.handle.address() != who)
      continue;
    auto id = it->first;
    live_.erase(it);
    return id;
  }
  return std::nullopt;
}

void entity_host::exit_all(const caf::error& reason) {
  for (auto& [id, r] : live_)
    if (r.handle)
      self_->send_exit(r.handle, reason);
}

} // namespace crm::actors
