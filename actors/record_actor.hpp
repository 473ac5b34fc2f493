#pragma once
// One actor per lead and per dispute: holds the record's live state and writes its changes, one
// at a time (write_tracker.hpp). A command carries its own decision, a function from the state
// as written to the events it causes (or the error), made by the HTTP layer from the domain's
// decide_* functions; the actor journals the events, applies them once written, publishes the
// new state to the read model, and only then answers.
//
// Records are created by their registry (company_leads.cpp, company_disputes.cpp), which
// publishes them once written; their actor is spawned from the read model on the first command
// (no read of the store) and passivated when idle. Leads and disputes have no timers of their
// own: a stalled dispute is a question about time asked when listing.
#include <caf/all.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/company_view.hpp"
#include "actors/env.hpp"
#include "actors/messages.hpp"
#include "actors/write_tracker.hpp"
#include "domain/idempotency.hpp"

namespace crm::actors {

/// How a record kind is folded and published; specialised for leads::lead and
/// disputes::dispute below.
template <class T>
struct record_traits;

template <>
struct record_traits<leads::lead> {
  static constexpr const char* noun = "lead";
  static bool apply(leads::lead& l, const event& e) { return leads::apply(l, e); }
  static void publish(company_data& d, const leads::lead& l) { d.leads.put(l); }
  static std::shared_ptr<const leads::lead> find(const company_data& d, const std::string& id) {
    return d.leads.find(id);
  }
};

template <>
struct record_traits<disputes::dispute> {
  static constexpr const char* noun = "dispute";
  static bool apply(disputes::dispute& x, const event& e) { return disputes::apply(x, e); }
  static void publish(company_data& d, const disputes::dispute& x) {
    if (!d.disputes.contains(x.id)) // a new one: its shipment's timeline shows it
      d.shipments.add(x.shipment_id, x.id);
    d.disputes.put(x);
  }
  static std::shared_ptr<const disputes::dispute> find(const company_data& d, const std::string& id) {
    return d.disputes.find(id);
  }
};

/// HTTP -> registry -> the record's actor: decide against the state as written, write, answer
/// with the new state. An empty decision answers the state as it is, writing nothing.
template <class T>
struct record_command {
  std::string id;
  std::function<result<std::vector<event_draft>>(const T&)> decide;
  idempotency_claim_ptr idem;
  reply<T> done;
};

template <class T>
struct record_state {
  std::string id;
  T x; // x.id is empty for a record that was never written
  write_tracker writes;
  bool passivating = false;
  static inline const char* name = "record";
};

/// A record's state made from events (drafts read as events, before they have a seq).
template <class T>
T fold_drafts(const std::vector<event_draft>& drafts, const std::string& id, T x = T{}) {
  for (auto& d : drafts)
    if (d.entity == id)
      record_traits<T>::apply(x, event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
  return x;
}

template <class T>
caf::behavior record_actor(caf::stateful_actor<record_state<T>>* self, env* e, company_handles h,
                           std::string id, std::shared_ptr<const T> known) {
  using traits = record_traits<T>;
  self->state.id = std::move(id);
  if (known)
    self->state.x = *known;
  auto registry = h.registry;
  auto settle = [self, registry] {
    auto& st = self->state;
    if (st.passivating && st.writes.idle()) {
      self->send(registry, entity_stopped{st.id});
      self->quit();
    }
  };
  return {
    [=](record_command<T>& m) {
      self->state.writes.run([=, m = std::move(m)]() mutable {
        auto& st = self->state;
        if (st.x.id.empty()) // spawned for a record that was never written
          return m.done(error{errc::not_found, std::string("no ") + traits::noun + " " + m.id});
        auto drafts = m.decide(st.x);
        if (!drafts)
          return m.done(drafts.take_error());
        if (drafts->empty())
          return m.done(st.x);
        auto next = std::make_shared<T>(fold_drafts(drafts.value(), st.x.id, st.x));
        st.writes.begin([self, next] { self->state.x = std::move(*next); },
                        [self, done = std::move(m.done)](const error* err) {
                          if (err)
                            done(*err);
                          else
                            done(self->state.x);
                        });
        auto me = caf::actor_cast<caf::actor>(self);
        storage::submission sub{std::move(drafts.value()), {}, {}};
        sub.idem = std::move(m.idem);
        sub.done = [me](result<std::vector<event>> r) {
          caf::anon_send(me, persisted{0, std::make_shared<result<std::vector<event>>>(std::move(r))});
        };
        e->journal->submit(std::move(sub));
      });
    },
    [=](persisted& p) {
      auto& st = self->state;
      const error* err = p.outcome->ok() ? nullptr : &p.outcome->err();
      auto done = st.writes.finish(err);
      if (!err) {
        if (!p.outcome->value().empty())
          st.x.last_seq = p.outcome->value().back().seq;
        h.view->write([&](company_data& d) { traits::publish(d, st.x); }); // before the answer
      }
      done.after(err);
      st.writes.drain();
      settle();
    },
    [=](passivate_atom) {
      self->state.passivating = true;
      settle();
    },
  };
}

} // namespace crm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::record_command<crm::leads::lead>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(crm::actors::record_command<crm::disputes::dispute>)
