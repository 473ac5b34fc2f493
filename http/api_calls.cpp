// Call logs (CONTRACT section 6) and the shipment timeline.
#include "domain/json.hpp"
#include "domain/time_format.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

result<calls::list_query> read_list_query(context& ctx) {
  auto& q = ctx.query;
  calls::list_query lq;
  if (auto err = parse_paging(q, lq.page, lq.limit))
    return *err;
  validation v;
  for (auto& s : q.take_list("status")) {
    if (!calls::parse_status(s))
      v.add("status", "unknown status " + s);
    lq.status.push_back(s);
  }
  for (auto& s : q.take_list("assignedTo"))
    lq.assigned_to.push_back(s == "me" ? (ctx.who.rep_id.empty() ? "\x01none" : ctx.who.rep_id) : s);
  lq.shipment_id = q.take_list("shipmentId");
  parse_sort_by(q, {"createdAt", "updatedAt"}, lq.sort_by, lq.descending, v);
  if (auto err = q.finish())
    return *err;
  if (!v.ok())
    return std::move(v).to_error("the query is not valid");
  return lq;
}

reply<calls::call_log> answer_updated(responder reply, std::string id) {
  return [reply, id](result<calls::call_log> c) {
    if (!c)
      return reply(c.err());
    reply(json_response(200, json::object([&](json::writer& w) {
      json::kv(w, "id", id);
      w.Key("updated");
      w.Bool(true);
    })));
  };
}

std::string callback_answer(const std::string& id, std::optional<millis> at) {
  return json::object([&](json::writer& w) {
    json::kv(w, "id", id);
    json::kv_time(w, "scheduledFor", at);
  });
}

} // namespace

void add_call_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/crm/call-logs";

  r.add("GET", base, all_roles, [&rt](context& ctx, responder reply) {
    auto lq = read_list_query(ctx);
    if (!lq)
      return reply(lq.err());
    auto p = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.calls.list(*lq); });
    reply(json_later(200, [p = std::move(p)] {
      return json::object([&](json::writer& w) {
        w.Key("callLogs");
        w.StartArray();
        for (auto& c : p.items)
          calls::write_json(w, c);
        w.EndArray();
        write_page_fields(w, p.total, p.page, p.limit);
      });
    }));
  });

  r.add("GET", base + "/:id", all_roles, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto& id = ctx.params[0];
    auto c = rt.view(ctx.who.company)->read([&](const company_data& d) -> std::optional<calls::call_log> {
      auto* c = d.calls.find(id);
      return c ? std::optional<calls::call_log>(*c) : std::nullopt;
    });
    if (!c)
      return reply(error{errc::not_found, "no call log " + id});
    reply(json_later(200, [c = std::move(*c)] { return calls::to_json(c); }));
  });

  r.add("PUT", base + "/:id", writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    calls::update_cmd cmd;
    cmd.status = b->str("status");
    cmd.resolution = b->str("resolution");
    cmd.customer_feedback = b->str("customerFeedback");
    if (auto list = b->objects("ivrResponses")) {
      cmd.ivr.emplace();
      for (auto& o : *list) {
        calls::ivr_response x;
        x.question = o.str("question").value_or("");
        x.answer = o.str("answer").value_or("");
        o.check();
        cmd.ivr->push_back(std::move(x));
      }
    }
    if (auto err = b->finish("the update is not valid"))
      return reply(*err);
    auto id = ctx.params[0];
    caf::anon_send(rt.company(ctx.who.company),
                   update_call{id, std::move(cmd), ctx.origin(), answer_updated(reply, id)});
  });

  r.add("POST", base + "/:id/callback", writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    b->require("scheduledFor");
    auto at_text = b->str("scheduledFor");
    std::optional<millis> at;
    if (at_text && !(at = parse_time(*at_text)))
      b->problems().add("scheduledFor", "must be an ISO 8601 time");
    if (auto err = b->finish("the callback is not valid"))
      return reply(*err);
    auto id = ctx.params[0];
    caf::anon_send(rt.company(ctx.who.company),
                   schedule_callback{id, *at, ctx.origin(), [reply, id](result<calls::call_log> c) {
                                       if (!c)
                                         return reply(c.err());
                                       reply(json_response(200, callback_answer(id, c->scheduled_for)));
                                     }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    calls::call_log c;
    for (auto& e : evs)
      if (e.type == "call.callback_scheduled")
        calls::apply(c, e);
    return std::pair{200, callback_answer(evs.front().entity, c.scheduled_for)};
  });

  r.add("GET", "/api/v1/shipments/:shipmentId/timeline", all_roles, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto render = [](std::vector<event> evs) {
      return json_later(200, [evs = std::move(evs)] {
        return json::object([&](json::writer& w) {
          w.Key("events");
          w.StartArray();
          for (auto& ev : evs)
            json::raw(w, event_to_json(ev));
          w.EndArray();
        });
      });
    };
    // The shipment's entities from the read model; their events from the audit reader, which
    // reads the log on a thread of its own.
    auto entities = rt.view(ctx.who.company)->read([&](const company_data& d) {
      auto* ids = d.shipments.find(ctx.params[0]);
      return ids ? *ids : std::vector<std::string>{};
    });
    if (entities.empty())
      return reply(render({}));
    caf::anon_send(rt.audit(), timeline_query{ctx.who.company, std::move(entities),
                                              [reply, render](result<std::vector<event>> evs) {
                                                if (!evs)
                                                  return reply(evs.err());
                                                reply(render(std::move(evs.value())));
                                              }});
  });
}

} // namespace crm::http
