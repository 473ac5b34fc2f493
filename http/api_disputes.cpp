// Disputes (CONTRACT section 8). Reads are served from the read model; a new dispute goes to
// the registry (the ticket link), every other change to the dispute's actor with its decision
// (record_actor.hpp), which carries the caller's authority for the refund approval limit.
#include "actors/record_protocol.hpp"
#include "domain/dispute_index.hpp"
#include "domain/json.hpp"
#include "domain/time_format.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

result<disputes::list_query> read_list_query(context& ctx, const settings& cfg, millis now) {
  auto& q = ctx.query;
  disputes::list_query lq;
  if (auto err = parse_paging(q, lq.page, lq.limit))
    return *err;
  validation v;
  take_enums(q, "status", disputes::parse_status, lq.statuses, v);
  take_enums(q, "type", disputes::parse_type, lq.types, v);
  if (auto s = q.take("stalled")) {
    if (*s == "true")
      lq.stalled = true;
    else if (*s == "false")
      lq.stalled = false;
    else
      return error{errc::malformed, "stalled must be true or false", {{"stalled", "must be true or false"}}};
  }
  lq.now = now;
  lq.stall_after = cfg.dispute_stall_after;
  if (auto s = q.take("sortBy"); s && !disputes::parse_sort(*s, lq))
    v.add("sortBy", "must be one of createdAt, updatedAt, claimAmount, optionally with -");
  if (auto err = q.finish())
    return *err;
  if (!v.ok())
    return std::move(v).to_error("the query is not valid");
  return lq;
}

disputes::authority authority_of(const context& ctx, const settings& cfg) {
  auto r = ctx.who.r;
  return {r == role::platform || r == role::admin || r == role::manager, cfg.refund_limit_paise};
}

std::string resolve_answer(const disputes::dispute& x) {
  return json::object([&](json::writer& w) {
    json::kv(w, "disputeId", x.id);
    json::kv(w, "status", disputes::to_string(x.st));
    json::kv_time(w, "resolvedAt", x.resolved_at);
  });
}

reply<disputes::dispute> answer_updated(responder reply, std::string id) {
  return [reply, id](result<disputes::dispute> x) {
    if (!x)
      return reply(x.err());
    reply(json_response(200, json::object([&](json::writer& w) {
      json::kv(w, "disputeId", id);
      w.Key("updated");
      w.Bool(true);
    })));
  };
}

} // namespace

void add_dispute_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/disputes";
  const settings& cfg = rt.environment().cfg;
  const crm::clock& clk = r.clock();

  r.add("POST", base, writers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    disputes::create_cmd cmd;
    cmd.type = b->str("type").value_or("");
    cmd.related_order_id = b->str("relatedOrderId").value_or("");
    cmd.related_support_ticket_id = b->str("relatedSupportTicketId").value_or("");
    cmd.shipment_id = b->str("shipmentId").value_or("");
    cmd.description = b->str("description").value_or("");
    cmd.claim_paise = b->money("claimAmount");
    if (auto err = b->finish_with([&] { return disputes::validate(cmd); }, "the dispute is not valid"))
      return reply(*err);
    caf::anon_send(rt.company(ctx.who.company),
                   create_dispute{std::move(cmd), ctx.origin(), [reply](result<disputes::dispute> x) {
                                    if (!x)
                                      return reply(x.err());
                                    reply(json_later(201, [x = std::move(x.value())] { return disputes::to_json(x, true); }));
                                  }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    disputes::dispute x;
    for (auto& e : evs)
      if (e.type.compare(0, 8, "dispute.") == 0)
        disputes::apply(x, e);
    return std::pair{201, disputes::to_json(x, true)};
  });

  r.add("GET", base, all_roles, [&rt, &cfg, &clk](context& ctx, responder reply) {
    auto lq = read_list_query(ctx, cfg, clk.wall_now());
    if (!lq)
      return reply(lq.err());
    int page = lq->page, limit = lq->limit;
    auto p = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.disputes.list(*lq); });
    reply(json_later(200, [p = std::move(p), page, limit] {
      return json::object([&](json::writer& w) {
        w.Key("disputes");
        w.StartArray();
        for (auto& x : p.items)
          disputes::write_json(w, *x, false);
        w.EndArray();
        write_page_fields(w, p.total, page, limit);
      });
    }));
  });

  // Before /:disputeId, which would take "metrics" for an id.
  r.add("GET", base + "/metrics", all_roles, [&rt](context& ctx, responder reply) {
    std::optional<millis> from, to;
    if (auto err = parse_range(ctx.query, from, to))
      return reply(*err);
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto m = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.disputes.compute(from, to); });
    reply(json_response(200, disputes::to_json(m)));
  });

  r.add("GET", base + "/:disputeId", all_roles, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto& id = ctx.params[0];
    auto x = rt.view(ctx.who.company)->read([&](const company_data& d) { return d.disputes.find(id); });
    if (!x)
      return reply(error{errc::not_found, "no dispute " + id});
    reply(json_later(200, [x = std::move(x)] { return disputes::to_json(*x, true); }));
  });

  r.add("PUT", base + "/:disputeId", writers, [&rt, &cfg](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    disputes::update_cmd cmd;
    cmd.claim_paise = b->money("claimAmount");
    cmd.status = b->str("status");
    cmd.resolution = b->str("resolution");
    cmd.refund_paise = b->money("refundAmount");
    cmd.notes = b->str("notes");
    if (auto err = b->finish("the update is not valid"))
      return reply(*err);
    auto decide = [cmd = std::move(cmd), a = authority_of(ctx, cfg), who = ctx.origin()](const disputes::dispute& x) {
      return disputes::decide_update(x, cmd, a, who);
    };
    auto id = ctx.params[0];
    caf::anon_send(rt.company(ctx.who.company), dispute_command{id, std::move(decide), nullptr, answer_updated(reply, id)});
  });

  r.add("POST", base + "/:disputeId/resolve", writers, [&rt, &cfg](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    disputes::resolve_cmd cmd;
    b->require("resolution");
    cmd.resolution = b->str("resolution").value_or("");
    cmd.refund_paise = b->money("refundAmount");
    if (auto err = b->finish("the resolution is not valid"))
      return reply(*err);
    auto decide = [cmd = std::move(cmd), a = authority_of(ctx, cfg), who = ctx.origin()](const disputes::dispute& x) {
      return disputes::decide_resolve(x, cmd, a, who);
    };
    caf::anon_send(rt.company(ctx.who.company),
                   dispute_command{ctx.params[0], std::move(decide), ctx.idem, [reply](result<disputes::dispute> x) {
                                     if (!x)
                                       return reply(x.err());
                                     reply(json_response(200, resolve_answer(x.value())));
                                   }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    disputes::dispute x;
    for (auto& e : evs)
      if (e.type == "dispute.resolved") {
        x.id = e.entity;
        x.st = disputes::status::resolved;
        x.resolved_at = e.at;
      }
    return std::pair{200, resolve_answer(x)};
  });
}

} // namespace crm::http
