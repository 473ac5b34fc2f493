// The registry's rep seam: the rules that span reps are checked here against the roster as
// written, one rep change at a time; the rep's actor writes and publishes it (rep_changed
// follows), and the dispatcher and the rep's work follow the change.
#include "actors/company_parts.hpp"
#include "actors/rep_actor.hpp"

namespace crm::actors::company {

namespace {

error no_rep(const std::string& id) {
  return error{errc::not_found, "no sales rep " + id};
}

/// Runs the rep commands that waited, until one of them starts a rep change.
void next_rep_commands(self_ptr self) {
  auto& st = self->state;
  while (!st.rep_writing && !st.rep_waiting.empty()) {
    auto f = std::move(st.rep_waiting.front());
    st.rep_waiting.pop_front();
    f();
  }
}

/// Runs a rep command now, or after the rep change in flight.
void rep_command(self_ptr self, std::function<void()> f) {
  auto& st = self->state;
  if (st.rep_writing || !st.rep_waiting.empty())
    st.rep_waiting.push_back(std::move(f));
  else
    f();
}

/// The rep as written, copied out of the read model (no rep change is in flight while a rep
/// command runs, so it stays so until the command hands its events over).
std::optional<reps::rep> rep_of(self_ptr self, const std::string& id) {
  return self->state.view->read([&](const company_data& d) -> std::optional<reps::rep> {
    auto* r = d.roster.find(id);
    return r ? std::optional<reps::rep>(*r) : std::nullopt;
  });
}

/// Hands a rep's events to its actor, which writes and publishes them and answers; then
/// rep_changed. The next rep command waits for it.
void commit_rep(self_ptr self, const std::string& id, std::optional<reps::rep> before,
                std::vector<event_draft> drafts, reply<reps::rep> done, idempotency_claim_ptr idem) {
  auto& st = self->state;
  st.rep_writing = company_state::rep_write{id, std::move(before)};
  st.host->send(id, write_rep{id, std::move(drafts), std::move(done), std::move(idem)});
}

template <class Decide>
void decide_and_commit(self_ptr self, const std::string& id, reply<reps::rep> done, idempotency_claim_ptr idem,
                       Decide decide) {
  auto r = rep_of(self, id);
  if (!r)
    return done(no_rep(id));
  auto drafts = self->state.view->read([&](const company_data& d) { return decide(*r, d.roster); });
  if (!drafts)
    return done(drafts.take_error());
  if (drafts->empty())
    return done(*r);
  commit_rep(self, id, std::move(r), std::move(drafts.value()), std::move(done), std::move(idem));
}

} // namespace

caf::actor spawn_rep(self_ptr self, env* e, const std::string& id) {
  // The roster holds every rep as written: a rep not in it is a new one. No read of the store.
  auto known = rep_of(self, id);
  if (!known) {
    known.emplace();
    known->id = id;
  }
  return self->system().spawn(rep_actor, e, handles(self), id, std::make_shared<const reps::rep>(std::move(*known)));
}

void rep_write_ended(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (st.rep_writing && st.rep_writing->id == id) {
    st.rep_writing.reset();
    next_rep_commands(self);
  }
}

caf::message_handler rep_handlers(self_ptr self, env* e) {
  return {
    [=](create_rep& m) {
      rep_command(self, [=, m = std::move(m)]() mutable {
        auto id = e->new_rep_id();
        auto seal = [e](std::string_view p) { return e->cipher->seal(p); };
        auto drafts = self->state.view->read([&](const company_data& d) {
          return reps::decide_create(m.cmd, id, m.who, d.roster, e->cfg.default_commission, seal);
        });
        if (!drafts)
          return m.done(drafts.take_error());
        commit_rep(self, id, std::nullopt, std::move(drafts.value()), std::move(m.done), m.who.idem);
      });
    },
    [=](update_rep& m) {
      rep_command(self, [=, m = std::move(m)]() mutable {
        auto seal = [e](std::string_view p) { return e->cipher->seal(p); };
        decide_and_commit(self, m.id, std::move(m.done), m.who.idem, [&](const reps::rep& r, const reps::roster& all) {
          return reps::decide_update(r, m.cmd, m.who, all, seal);
        });
      });
    },
    [=](delete_rep& m) {
      rep_command(self, [=, m = std::move(m)]() mutable {
        decide_and_commit(self, m.id, std::move(m.done), m.who.idem,
                          [&](const reps::rep& r, const reps::roster&) { return reps::decide_deactivate(r, m.who); });
      });
    },
    [=](get_rep& m) {
      auto r = rep_of(self, m.id);
      if (!r)
        return m.done(no_rep(m.id));
      m.done(answer_rep(std::move(*r), m.reveal, *e->cipher));
    },
    [=](rep_changed& c) {
      auto& st = self->state;
      auto w = std::move(st.rep_writing);
      st.rep_writing.reset();
      if (!c.failed) {
        auto& r = *c.r;
        bool was_on = w && w->before && w->before->st == reps::status::active
                      && w->before->avail != reps::availability::offline;
        bool is_on = r.st == reps::status::active && r.avail != reps::availability::offline;
        self->send(st.dispatcher, dispatch_rep{c.r});
        // After the rep's own events, so the log reads in the order things happened.
        if (was_on && !is_on)
          release_work(self, e, r.id);
      }
      next_rep_commands(self);
    },
  };
}

} // namespace crm::actors::company

namespace crm::actors {

result<rep_view> answer_rep(reps::rep r, bool reveal, const storage::field_cipher& cipher) {
  rep_view v{std::move(r), std::nullopt};
  if (reveal && v.r.bank) {
    v.revealed = cipher.open(v.r.bank->sealed);
    if (!v.revealed)
      return error{errc::unavailable, "the bank details of " + v.r.id + " cannot be opened with the configured master keys"};
  }
  return v;
}

} // namespace crm::actors
