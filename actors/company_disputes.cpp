// The registry's dispute seam: creation by hand (with the link on its support ticket, whose
// order, shipment and customer it takes when the body leaves them out) and routing the commands
// of existing disputes to their actors. Disputes opened after --dispute-after are written by
// the ticket's own actor (ticket_actor.cpp).
#include "actors/company_parts.hpp"
#include "actors/record_protocol.hpp"

namespace crm::actors::company {

namespace {

void create(self_ptr self, env* e, create_dispute& m) {
  if (auto err = disputes::validate(m.cmd))
    return m.done(std::move(*err));
  auto& st = self->state;
  auto& cmd = m.cmd;
  if (!cmd.related_support_ticket_id.empty()) {
    if (!known_ticket(self, cmd.related_support_ticket_id))
      return m.done(error{errc::invalid, "the dispute is not valid",
                          {{"relatedSupportTicketId", "names no support ticket of the company"}}});
    if (auto t = st.view->read([&](const company_data& d) { return d.tickets.find(cmd.related_support_ticket_id); })) {
      if (cmd.related_order_id.empty())
        cmd.related_order_id = t->related_order_id;
      if (cmd.shipment_id.empty())
        cmd.shipment_id = t->shipment_id;
      if (t->cust)
        cmd.customer_email = t->cust->email;
    }
  }
  auto id = e->new_dispute_id();
  auto drafts = disputes::decide_create(cmd, id, m.who);
  if (!drafts)
    return m.done(drafts.take_error());
  auto x = std::make_shared<disputes::dispute>(fold_drafts<disputes::dispute>(drafts.value(), id));
  write_record(self, e, id, std::move(drafts.value()), cmd.related_support_ticket_id, "relatedDisputeId",
               m.who.idem, [self, x, done = std::move(m.done)](const error* err) {
                 if (err)
                   return done(*err);
                 self->state.view->write([&](company_data& d) { record_traits<disputes::dispute>::publish(d, *x); });
                 done(*x);
               });
}

} // namespace

caf::actor spawn_dispute(self_ptr self, env* e, const std::string& id) {
  // From the read model (null: never written, and its commands are answered 404).
  auto known = self->state.view->read([&](const company_data& d) { return d.disputes.find(id); });
  return self->system().spawn(record_actor<disputes::dispute>, e, handles(self), id, std::move(known));
}

caf::message_handler dispute_handlers(self_ptr self, env* e) {
  return {
    [=](create_dispute& m) { create(self, e, m); },
    [=](dispute_command& m) {
      bool known = self->state.host->live(m.id)
                   || self->state.view->read([&](const company_data& d) { return d.disputes.contains(m.id); });
      if (!known || m.id.compare(0, 4, "DSP-") != 0)
        return m.done(error{errc::not_found, "no dispute " + m.id});
      auto id = m.id;
      self->state.host->send(id, std::move(m));
    },
  };
}

} // namespace crm::actors::company
