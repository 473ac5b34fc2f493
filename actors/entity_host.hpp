#pragma once
// Hosts a company's entity actors (tickets, calls, reps; leads and disputes next): every
// message for an entity goes to its one live actor, spawned on demand and passivated when idle.
// Messages for an entity that its owner is writing without an actor (a new ticket, a call's
// assignment) or whose actor is stopping wait in a buffer, so none is lost and there is never a
// second writer.
//
// The host is plain state inside the registry actor: it sends and spawns through it, and the
// registry hands it the lifecycle messages (entity_idle, entity_stopped, down).
#include <caf/all.hpp>

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/clock.hpp"

namespace crm::actors {

class entity_host {
public:
  using deliver_fn = std::function<void(const caf::actor&)>;
  /// Spawns (and monitors, through the registry) the actor of an entity, by its id.
  using spawner = std::function<caf::actor(const std::string& id)>;

  entity_host(caf::event_based_actor* self, const crm::clock* clk, spawner spawn)
      : self_(self), clk_(clk), spawn_(std::move(spawn)) {}

  /// Sends `m` to the entity's live actor (spawning it), or buffers it.
  template <class Msg>
  void send(const std::string& id, Msg m) {
    route(id, [self = self_, m = std::move(m)](const caf::actor& a) { self->send(a, m); });
  }
  void route(const std::string& id, deliver_fn deliver);

  /// The owner writes the entity itself: messages for it wait until release(id).
  void hold(const std::string& id);
  /// Ends a hold. What waited goes to the entity's actor (spawned for it), or is dropped
  /// (`drop`: the entity was never written; its callers time out with 503).
  void release(const std::string& id, bool drop = false);
  bool held(const std::string& id) const;

  /// An entity with an actor (or held).
  bool live(const std::string& id) const { return live_.count(id) != 0; }
  std::size_t size() const { return live_.size(); }

  /// Asks the entity's actor to stop once nothing is in flight (entity_idle, the sweep).
  void passivate(const std::string& id);
  /// Passivates every actor idle for `idle_for`. Returns how many.
  std::size_t sweep(millis idle_for);

  /// Its actor stopped (entity_stopped): what waited goes to a new actor, when `still_known`.
  /// False when nothing waited.
  bool stopped(const std::string& id, bool still_known);
  /// An actor ended abnormally (a down message): forgets it, so the next message spawns afresh.
  /// The entity's id, when it was one of ours.
  std::optional<std::string> down(const caf::actor_addr& who);
  /// Ends every actor with `reason` (shutdown).
  void exit_all(const caf::error& reason);

private:
  struct resident {
    caf::actor handle; // null while held
    millis touched = 0;
    bool stopping = false;
    std::vector<deliver_fn> buffer;
  };
  caf::event_based_actor* self_;
  const crm::clock* clk_;
  spawner spawn_;
  std::unordered_map<std::string, resident> live_;
};

} // namespace crm::actors
