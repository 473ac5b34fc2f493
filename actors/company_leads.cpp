// The registry's lead seam: creation (what spans leads: duplicates among the company's open
// leads, the rep chosen by the dispatcher, the link on a support ticket) and routing the
// commands of existing leads to their actors.
#include "actors/company_parts.hpp"
#include "actors/record_protocol.hpp"

namespace crm::actors::company {

namespace {

/// The duplicate keys of a new lead ("p:" phone, "e:" email).
std::vector<std::string> keys_of(const leads::create_cmd& c) {
  std::vector<std::string> out;
  if (auto k = leads::phone_key(c.phone); !k.empty())
    out.push_back("p:" + k);
  if (auto k = leads::email_key(c.email); !k.empty())
    out.push_back("e:" + k);
  return out;
}

/// The open lead a new one duplicates: one written (the read model) or one being written.
std::optional<error> duplicate_of(self_ptr self, const leads::create_cmd& c) {
  auto& st = self->state;
  auto clash = [](const std::string& field, const std::string& id) {
    return error{errc::conflict, "a lead with this " + field + " is open already: " + id
                                   + " (send allowDuplicate: true to create it anyway)",
                 {{field, "matches open lead " + id}}};
  };
  auto phone = leads::phone_key(c.phone), email = leads::email_key(c.email);
  auto found = st.view->read([&](const company_data& d) -> std::optional<error> {
    if (!phone.empty())
      if (auto l = d.leads.open_with_phone(phone))
        return clash("phone", l->id);
    if (!email.empty())
      if (auto l = d.leads.open_with_email(email))
        return clash("email", l->id);
    return std::nullopt;
  });
  if (found)
    return found;
  for (auto& k : keys_of(c))
    if (auto it = st.lead_keys.find(k); it != st.lead_keys.end())
      return clash(k[0] == 'p' ? "phone" : "email", it->second);
  return std::nullopt;
}

/// The lead is written (or failed): its keys are the read model's now (or nobody's). A key that
/// an allowed duplicate shares stays with the lead that took it first.
void release_keys(company_state& st, const std::vector<std::string>& keys, const std::string& id) {
  for (auto& k : keys)
    if (auto it = st.lead_keys.find(k); it != st.lead_keys.end() && it->second == id)
      st.lead_keys.erase(it);
}

void write_lead(self_ptr self, env* e, company_state::lead_creation c) {
  auto drafts = leads::decide_create(c.cmd, c.id, c.rep, c.who);
  auto& st = self->state;
  // The dispatcher counts the leads it placed until they are written; a rep named in the body
  // was not placed by it.
  const bool placed = !c.rep.empty() && c.cmd.assigned_to.empty();
  if (!drafts) { // cannot happen: validated before
    if (placed)
      self->send(st.dispatcher, lead_settled{c.id});
    release_keys(st, c.keys, c.id);
    return c.done(drafts.take_error());
  }
  auto l = std::make_shared<leads::lead>(fold_drafts<leads::lead>(drafts.value(), c.id));
  auto id = c.id;
  auto ticket = c.cmd.related_support_ticket_id;
  write_record(self, e, id, std::move(drafts.value()), ticket, "relatedLeadId", c.who.idem,
               [self, l, keys = std::move(c.keys), placed,
                done = std::move(c.done)](const error* err) {
                 auto& st = self->state;
                 release_keys(st, keys, l->id);
                 if (!err)
                   st.view->write([&](company_data& d) { d.leads.put(l); }); // before the answer
                 if (placed)
                   self->send(st.dispatcher, lead_settled{l->id});
                 if (err)
                   return done(*err);
                 done(*l);
               });
}

void create(self_ptr self, env* e, create_lead& m) {
  if (auto err = leads::validate(m.cmd))
    return m.done(std::move(*err));
  auto& st = self->state;
  auto& cmd = m.cmd;
  validation v;
  if (!cmd.related_support_ticket_id.empty() && !known_ticket(self, cmd.related_support_ticket_id))
    v.add("relatedSupportTicketId", "names no support ticket of the company");
  if (!cmd.assigned_to.empty()) {
    bool active = st.view->read([&](const company_data& d) {
      auto* r = d.roster.find(cmd.assigned_to);
      return r && r->st == reps::status::active;
    });
    if (!active)
      v.add("assignedTo", "names no active sales rep of the company");
  }
  if (!v.ok())
    return m.done(std::move(v).to_error("the lead is not valid"));
  if (!cmd.allow_duplicate)
    if (auto dup = duplicate_of(self, cmd))
      return m.done(std::move(*dup));
  company_state::lead_creation c{std::move(m.cmd), std::move(m.who), e->new_lead_id(), {}, {}, std::move(m.done)};
  c.keys = keys_of(c.cmd);
  for (auto& k : c.keys)
    st.lead_keys.emplace(k, c.id); // the first keeps it: later duplicates name it
  if (!c.cmd.assigned_to.empty() || c.cmd.territory.empty()) {
    c.rep = c.cmd.assigned_to;
    return write_lead(self, e, std::move(c));
  }
  // The dispatcher picks the rep of the territory with the fewest open leads.
  auto id = c.id;
  auto territory = c.cmd.territory;
  st.lead_placings.emplace(id, std::move(c));
  self->send(st.dispatcher, place_lead{id, std::move(territory)});
}

} // namespace

caf::actor spawn_lead(self_ptr self, env* e, const std::string& id) {
  // From the read model (null: never written, and its commands are answered 404).
  auto known = self->state.view->read([&](const company_data& d) { return d.leads.find(id); });
  return self->system().spawn(record_actor<leads::lead>, e, handles(self), id, std::move(known));
}

caf::message_handler lead_handlers(self_ptr self, env* e) {
  return {
    [=](create_lead& m) { create(self, e, m); },
    [=](lead_placed& p) {
      auto node = self->state.lead_placings.extract(p.id);
      if (node.empty())
        return;
      auto c = std::move(node.mapped());
      c.rep = std::move(p.rep);
      write_lead(self, e, std::move(c));
    },
    [=](lead_command& m) {
      bool known = self->state.host->live(m.id)
                   || self->state.view->read([&](const company_data& d) { return d.leads.contains(m.id); });
      if (!known || m.id.compare(0, 5, "LEAD-") != 0)
        return m.done(error{errc::not_found, "no lead " + m.id});
      auto id = m.id;
      self->state.host->send(id, std::move(m));
    },
  };
}

} // namespace crm::actors::company
