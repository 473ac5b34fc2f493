// Support tickets (CONTRACT section 3) and NDR events (section 4).
#include "domain/json.hpp"
#include "domain/time_format.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

std::optional<tickets::customer> read_customer(body_reader& b) {
  auto c = b.object("customer");
  if (!c)
    return std::nullopt;
  tickets::customer out;
  out.name = c->str("name").value_or("");
  out.email = c->str("email").value_or("");
  out.phone = c->str("phone").value_or("");
  c->check();
  return out;
}

result<tickets::list_query> read_list_query(context& ctx) {
  auto& q = ctx.query;
  tickets::list_query lq;
  if (auto err = parse_paging(q, lq.page, lq.limit))
    return *err;
  validation v;
  take_enums(q, "status", tickets::parse_status, lq.statuses, v);
  take_enums(q, "priority", tickets::parse_priority, lq.priorities, v);
  take_enums(q, "category", tickets::parse_category, lq.categories, v);
  for (auto& s : q.take_list("assignedTo"))
    lq.assigned_to.push_back(s == "me" ? (ctx.who.rep_id.empty() ? "\x01none" : ctx.who.rep_id) : s);
  if (auto s = q.take("sortBy"); s && !tickets::parse_sort(*s, lq))
    v.add("sortBy", "must be one of createdAt, updatedAt, priority, slaDueAt, optionally with -");
  if (auto s = q.take("q"))
    lq.words = tickets::words_of(*s);
  if (auto err = q.finish())
    return *err;
  if (!v.ok())
    return std::move(v).to_error("the query is not valid");
  return lq;
}

std::string note_answer(const tickets::note& n) {
  return json::object([&](json::writer& w) {
    json::kv(w, "noteId", n.id);
    json::kv_time(w, "createdAt", n.created_at);
  });
}

std::string ndr_answer(const std::string& ndr_event_id, const std::string& ticket_id, const std::string& call_id) {
  return json::object([&](json::writer& w) {
    json::kv(w, "ndrEventId", ndr_event_id);
    json::kv(w, "ticketId", ticket_id);
    json::kv_or_null(w, "callLogId", call_id);
  });
}

/// The ticket the events of `id` among `evs` make from nothing.
tickets::ticket fold_ticket(const std::vector<event>& evs, std::string_view id) {
  tickets::ticket t;
  for (auto& e : evs)
    if (e.entity == id)
      tickets::apply(t, e);
  return t;
}

} // namespace

void add_ticket_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/support/tickets";

  r.add("POST", base, writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    tickets::create_cmd cmd;
    cmd.category = b->str("category").value_or("");
    cmd.priority = b->str("priority");
    cmd.subject = b->str("subject").value_or("");
    cmd.description = b->str("description").value_or("");
    cmd.related_order_id = b->str("relatedOrderId").value_or("");
    cmd.related_ndr_event_id = b->str("relatedNDREventId").value_or("");
    cmd.shipment_id = b->str("shipmentId").value_or("");
    cmd.cust = read_customer(*b);
    if (auto err = b->finish_with([&] { return tickets::validate(cmd); }, "the ticket is not valid"))
      return reply(*err);
    caf::anon_send(rt.company(ctx.who.company),
                   create_ticket{std::move(cmd), ctx.origin(), [reply](result<tickets::ticket> t) {
                                   if (!t)
                                     return reply(t.err());
                                   reply(json_later(201, [t = std::move(t.value())] { return tickets::to_json(t, true); }));
                                 }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    return std::pair{201, tickets::to_json(fold_ticket(evs, evs.front().entity), true)};
  });

  r.add("GET", base, all_roles, [&rt](context& ctx, responder reply) {
    auto lq = read_list_query(ctx);
    if (!lq)
      return reply(lq.err());
    int page = lq->page, limit = lq->limit;
    auto p = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.tickets.list(*lq); });
    reply(json_later(200, [p = std::move(p), page, limit] {
      return json::object([&](json::writer& w) {
        w.Key("tickets");
        w.StartArray();
        for (auto& t : p.items)
          tickets::write_json(w, *t, false);
        w.EndArray();
        write_page_fields(w, p.total, page, limit);
      });
    }));
  });

  r.add("GET", base + "/:ticketId", all_roles, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto& id = ctx.params[0];
    auto t = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.tickets.find(id); });
    if (!t)
      return reply(error{errc::not_found, "no ticket " + id});
    if (t->note_count == 0) // whole in the read model
      return reply(json_later(200, [t = std::move(t)] { return tickets::to_json(*t, true); }));
    // Its notes are with its actor.
    caf::anon_send(rt.company(ctx.who.company),
                   get_ticket{id, [reply](result<tickets::ticket> t) {
                                if (!t)
                                  return reply(t.err());
                                reply(json_later(200, [t = std::move(t.value())] { return tickets::to_json(t, true); }));
                              }});
  });

  r.add("PUT", base + "/:ticketId", writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    tickets::update_cmd cmd;
    cmd.status = b->str("status");
    if (b->has("assignedTo"))
      cmd.assigned_to = b->str("assignedTo", true);
    cmd.priority = b->str("priority");
    cmd.notes = b->str("notes");
    if (auto err = b->finish("the update is not valid"))
      return reply(*err);
    auto id = ctx.params[0];
    caf::anon_send(rt.company(ctx.who.company),
                   update_ticket{id, std::move(cmd), ctx.origin(), [reply, id](result<tickets::ticket> t) {
                                   if (!t)
                                     return reply(t.err());
                                   reply(json_response(200, json::object([&](json::writer& w) {
                                     json::kv(w, "ticketId", id);
                                     w.Key("updated");
                                     w.Bool(true);
                                   })));
                                 }});
  });

  r.add("POST", base + "/:ticketId/notes", writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    tickets::note_cmd cmd;
    cmd.note = b->str("note").value_or("");
    cmd.type = b->str("type").value_or("internal");
    if (auto err = b->finish("the note is not valid"))
      return reply(*err);
    caf::anon_send(rt.company(ctx.who.company),
                   add_note{ctx.params[0], std::move(cmd), ctx.origin(), [reply](result<tickets::note> n) {
                              if (!n)
                                return reply(n.err());
                              reply(json_response(201, note_answer(n.value())));
                            }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    tickets::ticket t; // the note's event alone makes the note as the ticket has it
    for (auto& e : evs)
      if (e.type == "ticket.note_added")
        tickets::apply(t, e);
    return std::pair{201, t.notes.empty() ? std::string("{}") : note_answer(t.notes.back())};
  });

  r.add("GET", "/api/v1/support/metrics", all_roles, [&rt](context& ctx, responder reply) {
    tickets::metrics_query mq;
    if (auto err = parse_range(ctx.query, mq.from, mq.to))
      return reply(*err);
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto m = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.tickets.compute(mq); });
    reply(json_response(200, tickets::to_json(m)));
  });

  r.add("POST", "/api/v1/ndr/events", admins, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    ndr::ndr_event ev;
    ev.ndr_event_id = b->str("ndrEventId").value_or("");
    ev.shipment_id = b->str("shipmentId").value_or("");
    ev.order_id = b->str("orderId").value_or("");
    ev.awb = b->str("awb").value_or("");
    ev.courier = b->str("courier").value_or("");
    ev.reason = b->str("reason").value_or("");
    ev.attempt = b->integer("attempt").value_or(1);
    ev.payment_mode = b->str("paymentMode").value_or("");
    ev.cod_paise = b->money("codAmount").value_or(0);
    ev.cust = read_customer(*b);
    ev.action = b->str("action").value_or("");
    ev.territory = b->str("territory").value_or("");
    if (auto err = b->finish_with([&] { return ndr::validate(ev); }, "the NDR event is not valid"))
      return reply(*err);
    caf::anon_send(rt.company(ctx.who.company),
                   ingest_ndr{std::move(ev), ctx.origin(), [reply](result<ndr_outcome> o) {
                                if (!o)
                                  return reply(o.err());
                                int code = o->created ? 201 : 200;
                                reply(json_later(code, [o = std::move(o.value())] {
                                  return ndr_answer(o.ndr_event_id, o.ticket_id, o.call_log_id);
                                }));
                              }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    std::string ticket_id, call_id;
    for (auto& e : evs) {
      if (e.type == "ticket.created" && ticket_id.empty())
        ticket_id = e.entity;
      else if (e.type == "call.created")
        call_id = e.entity;
    }
    auto t = fold_ticket(evs, ticket_id);
    return std::pair{201, ndr_answer(t.related_ndr_event_id, ticket_id, call_id)};
  });
}

} // namespace crm::http
