// Leads and the sales funnel (CONTRACT section 7). Reads are served from the read model; a new
// lead goes to the registry (duplicates, distribution, the ticket link), every other change to
// the lead's actor with its decision (record_actor.hpp).
#include "actors/record_protocol.hpp"
#include "domain/json.hpp"
#include "domain/time_format.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

result<leads::list_query> read_list_query(context& ctx) {
  auto& q = ctx.query;
  leads::list_query lq;
  if (auto err = parse_paging(q, lq.page, lq.limit))
    return *err;
  validation v;
  take_enums(q, "status", leads::parse_status, lq.statuses, v);
  take_enums(q, "source", leads::parse_source, lq.sources, v);
  lq.territories = q.take_list("territory");
  for (auto& s : q.take_list("assignedTo"))
    lq.assigned_to.push_back(s == "me" ? (ctx.who.rep_id.empty() ? "\x01none" : ctx.who.rep_id) : s);
  if (auto s = q.take("sortBy"); s && !leads::parse_sort(*s, lq))
    v.add("sortBy", "must be one of createdAt, updatedAt, score, estimatedValue, optionally with -");
  if (auto err = q.finish())
    return *err;
  if (!v.ok())
    return std::move(v).to_error("the query is not valid");
  return lq;
}

std::string convert_answer(const leads::lead& l) {
  return json::object([&](json::writer& w) {
    json::kv(w, "leadId", l.id);
    json::kv(w, "status", leads::to_string(l.st));
    json::kv(w, "convertedOrderId", l.converted_order_id);
    json::kv_time(w, "convertedAt", l.converted_at);
  });
}

/// The lead the events of `evs` make (a creation's, or a conversion's with what it changed).
leads::lead fold(const std::vector<event>& evs) {
  leads::lead l;
  for (auto& e : evs)
    if (e.type.compare(0, 5, "lead.") == 0)
      leads::apply(l, e);
  if (l.id.empty() && !evs.empty()) // a conversion alone: the id is the entity's
    for (auto& e : evs)
      if (e.type == "lead.converted")
        l.id = e.entity;
  return l;
}

} // namespace

void add_lead_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/crm/leads";

  r.add("POST", base, writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    leads::create_cmd cmd;
    cmd.name = b->str("name").value_or("");
    cmd.email = b->str("email").value_or("");
    cmd.phone = b->str("phone").value_or("");
    cmd.source = b->str("source").value_or("");
    cmd.territory = b->str("territory").value_or("");
    cmd.related_support_ticket_id = b->str("relatedSupportTicketId").value_or("");
    cmd.estimated_value_paise = b->money("estimatedValue");
    cmd.assigned_to = b->str("assignedTo").value_or("");
    cmd.allow_duplicate = b->boolean("allowDuplicate").value_or(false);
    if (auto err = b->finish_with([&] { return leads::validate(cmd); }, "the lead is not valid"))
      return reply(*err);
    caf::anon_send(rt.company(ctx.who.company),
                   create_lead{std::move(cmd), ctx.origin(), [reply](result<leads::lead> l) {
                                 if (!l)
                                   return reply(l.err());
                                 reply(json_later(201, [l = std::move(l.value())] { return leads::to_json(l, true); }));
                               }});
  });
  r.answers_from_events([](const std::vector<event>& evs) { return std::pair{201, leads::to_json(fold(evs), true)}; });

  r.add("GET", base, all_roles, [&rt](context& ctx, responder reply) {
    auto lq = read_list_query(ctx);
    if (!lq)
      return reply(lq.err());
    int page = lq->page, limit = lq->limit;
    auto p = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.leads.list(*lq); });
    reply(json_later(200, [p = std::move(p), page, limit] {
      return json::object([&](json::writer& w) {
        w.Key("leads");
        w.StartArray();
        for (auto& l : p.items)
          leads::write_json(w, *l, false);
        w.EndArray();
        write_page_fields(w, p.total, page, limit);
        w.Key("funnelMetrics");
        w.StartObject();
        for (int s = 0; s < leads::status_count; ++s) {
          w.Key(leads::to_string(static_cast<leads::status>(s)));
          w.Uint64(p.funnel[static_cast<std::size_t>(s)]);
        }
        w.EndObject();
      });
    }));
  });

  // Before /:id, which would take "funnel" for an id.
  r.add("GET", base + "/funnel", all_roles, [&rt](context& ctx, responder reply) {
    leads::funnel f;
    if (auto err = parse_range(ctx.query, f.from, f.to))
      return reply(*err);
    if (auto err = ctx.query.finish())
      return reply(*err);
    rt.view(ctx.who.company)->read([&](const company_data& d) { d.leads.count_funnel(f); });
    reply(json_response(200, leads::to_json(f)));
  });

  r.add("GET", base + "/:id", all_roles, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto& id = ctx.params[0];
    auto l = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.leads.find(id); });
    if (!l)
      return reply(error{errc::not_found, "no lead " + id});
    reply(json_later(200, [l = std::move(l)] { return leads::to_json(*l, true); }));
  });

  r.add("PUT", base + "/:id", writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    leads::update_cmd cmd;
    cmd.status = b->str("status");
    if (b->has("assignedTo"))
      cmd.assigned_to = b->str("assignedTo", true);
    cmd.notes = b->str("notes");
    if (auto err = b->finish("the update is not valid"))
      return reply(*err);
    auto id = ctx.params[0];
    std::shared_ptr<const company_view> view = rt.view(ctx.who.company);
    auto decide = [cmd = std::move(cmd), who = ctx.origin(), view](const leads::lead& l)
      -> result<std::vector<event_draft>> {
      if (cmd.assigned_to && !cmd.assigned_to->empty()) {
        bool active = view->read([&](const company_data& d) {
          auto* r = d.roster.find(*cmd.assigned_to);
          return r && r->st == reps::status::active;
        });
        if (!active)
          return error{errc::invalid, "assignedTo must name an active sales rep of the company",
                       {{"assignedTo", "names no active sales rep of the company"}}};
      }
      return leads::decide_update(l, cmd, who);
    };
    caf::anon_send(rt.company(ctx.who.company),
                   lead_command{id, std::move(decide), nullptr, [reply, id](result<leads::lead> l) {
                                  if (!l)
                                    return reply(l.err());
                                  reply(json_response(200, json::object([&](json::writer& w) {
                                    json::kv(w, "id", id);
                                    w.Key("updated");
                                    w.Bool(true);
                                  })));
                                }});
  });

  r.add("POST", base + "/:id/convert", writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    leads::convert_cmd cmd;
    b->require("orderId");
    cmd.order_id = b->str("orderId").value_or("");
    if (auto err = b->finish("the conversion is not valid"))
      return reply(*err);
    auto decide = [cmd = std::move(cmd), who = ctx.origin()](const leads::lead& l) {
      return leads::decide_convert(l, cmd, who);
    };
    caf::anon_send(rt.company(ctx.who.company),
                   lead_command{ctx.params[0], std::move(decide), ctx.idem, [reply](result<leads::lead> l) {
                                  if (!l)
                                    return reply(l.err());
                                  reply(json_response(200, convert_answer(l.value())));
                                }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    leads::lead l = fold(evs);
    for (auto& e : evs)
      if (e.type == "lead.converted") { // the answer needs only what the conversion set
        l.st = leads::status::won;
        l.converted_at = e.at;
      }
    return std::pair{200, convert_answer(l)};
  });
}

} // namespace crm::http
