// Sales representatives (CONTRACT section 5).
#include "domain/json.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

constexpr roles managers = admins | role_bit(role::manager);

error forbidden(std::string what) {
  return error{errc::forbidden, std::move(what)};
}

std::optional<reps::bank_input> read_bank(body_reader& b) {
  auto o = b.object("bankDetails");
  if (!o)
    return std::nullopt;
  reps::bank_input out;
  out.account_number = o->str("accountNumber").value_or("");
  out.ifsc = o->str("ifscCode").value_or("");
  out.holder = o->str("accountHolderName").value_or("");
  o->check();
  return out;
}

/// maxOpenItems: a positive integer or null (no limit).
std::optional<std::optional<std::int64_t>> read_capacity(body_reader& b) {
  if (!b.has("maxOpenItems"))
    return std::nullopt;
  auto n = b.integer("maxOpenItems");
  return std::optional<std::int64_t>(n);
}

result<reps::list_query> read_list_query(context& ctx) {
  auto& q = ctx.query;
  reps::list_query lq;
  if (auto err = parse_paging(q, lq.page, lq.limit))
    return *err;
  validation v;
  lq.territory = q.take_list("territory");
  for (auto& s : q.take_list("status")) {
    if (!reps::parse_status(s))
      v.add("status", "unknown status " + s);
    lq.status.push_back(s);
  }
  for (auto& s : q.take_list("availabilityStatus")) {
    if (!reps::parse_availability(s))
      v.add("availabilityStatus", "unknown availability " + s);
    lq.availability.push_back(s);
  }
  parse_sort_by(q, {"createdAt", "name", "id"}, lq.sort_by, lq.descending, v);
  if (auto err = q.finish())
    return *err;
  if (!v.ok())
    return std::move(v).to_error("the query is not valid");
  return lq;
}

std::string updated_body(const std::string& id, const char* flag) {
  return json::object([&](json::writer& w) {
    json::kv(w, "id", id);
    w.Key(flag);
    w.Bool(true);
  });
}

std::string rep_created_answer(const reps::rep& r) {
  return json::object([&](json::writer& w) {
    json::kv(w, "id", r.id);
    json::kv(w, "name", r.name);
    json::kv(w, "status", reps::to_string(r.st));
    json::kv_time(w, "createdAt", r.created_at);
  });
}

} // namespace

void add_rep_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/crm/sales-reps";

  r.add("POST", base, managers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    reps::create_cmd cmd;
    cmd.name = b->str("name").value_or("");
    cmd.email = b->str("email").value_or("");
    cmd.phone = b->str("phone").value_or("");
    cmd.territory = b->str("territory").value_or("");
    cmd.reporting_to = b->str("reportingTo").value_or("");
    cmd.availability = b->str("availabilityStatus");
    cmd.commission_paise = b->money("commissionPerTicket");
    cmd.skills = b->strings("skills").value_or(std::vector<std::string>{});
    if (auto cap = read_capacity(*b))
      cmd.max_open_items = *cap;
    cmd.bank = read_bank(*b);
    if (auto err = b->finish_with([&] { return reps::validate(cmd); }, "the sales rep is not valid"))
      return reply(*err);
    if (cmd.bank && !(role_bit(ctx.who.r) & admins))
      return reply(forbidden("only admin and platform keys may set bank details"));
    caf::anon_send(rt.company(ctx.who.company),
                   create_rep{std::move(cmd), ctx.origin(), [reply](result<reps::rep> r) {
                                if (!r)
                                  return reply(r.err());
                                reply(json_response(201, rep_created_answer(r.value())));
                              }});
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    reps::rep r;
    for (auto& e : evs)
      if (e.entity == evs.front().entity)
        reps::apply(r, e);
    return std::pair{201, rep_created_answer(r)};
  });

  r.add("GET", base, all_roles, [&rt](context& ctx, responder reply) {
    auto lq = read_list_query(ctx);
    if (!lq)
      return reply(lq.err());
    auto p = rt.view(ctx.who.company)->read([&](const company_data& d) { return reps::list(d.roster, *lq); });
    reply(json_later(200, [p = std::move(p)] {
      return json::object([&](json::writer& w) {
        w.Key("reps");
        w.StartArray();
        for (auto& x : p.reps)
          reps::write_json(w, x);
        w.EndArray();
        write_page_fields(w, p.total, p.page, p.limit);
      });
    }));
  });

  r.add("GET", base + "/:id", all_roles, [&rt](context& ctx, responder reply) {
    auto reveal = ctx.query.take("reveal");
    if (auto err = ctx.query.finish())
      return reply(*err);
    if (reveal && *reveal != "bankDetails")
      return reply(error{errc::malformed, "reveal takes only bankDetails", {{"reveal", "must be bankDetails"}}});
    if (reveal && !(role_bit(ctx.who.r) & admins))
      return reply(forbidden("only admin and platform keys may reveal bank details"));
    auto& id = ctx.params[0];
    auto r = rt.view(ctx.who.company)->read([&](const company_data& d) -> std::optional<reps::rep> {
      auto* r = d.roster.find(id);
      return r ? std::optional<reps::rep>(*r) : std::nullopt;
    });
    if (!r)
      return reply(error{errc::not_found, "no sales rep " + id});
    auto v = answer_rep(std::move(*r), reveal.has_value(), *rt.environment().cipher);
    if (!v)
      return reply(v.err());
    reply(json_later(200, [v = std::move(v.value())]() mutable {
      auto body = reps::to_json(v.r, v.revealed ? &*v.revealed : nullptr);
      if (v.revealed)
        std::fill(v.revealed->begin(), v.revealed->end(), '\0');
      return body;
    }));
  });

  r.add("PUT", base + "/:id", managers | role_bit(role::agent), [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    reps::update_cmd cmd;
    cmd.name = b->str("name");
    cmd.email = b->str("email");
    cmd.phone = b->str("phone");
    cmd.territory = b->str("territory");
    cmd.availability = b->str("availabilityStatus");
    cmd.status = b->str("status");
    if (b->has("reportingTo"))
      cmd.reporting_to = b->str("reportingTo", true);
    cmd.skills = b->strings("skills");
    cmd.max_open_items = read_capacity(*b);
    cmd.commission_paise = b->money("commissionPerTicket");
    cmd.bank = read_bank(*b);
    if (auto err = b->finish("the update is not valid"))
      return reply(*err);
    auto id = ctx.params[0];
    if (ctx.who.r == role::agent) {
      // An agent bound to this rep may change its own availability, nothing else.
      auto availability = std::move(cmd.availability);
      cmd.availability.reset();
      if (ctx.who.rep_id != id || !availability || !cmd.empty())
        return reply(forbidden("an agent key may change only the availabilityStatus of its own rep"));
      cmd.availability = std::move(availability);
    }
    if (cmd.bank && !(role_bit(ctx.who.r) & admins))
      return reply(forbidden("only admin and platform keys may set bank details"));
    caf::anon_send(rt.company(ctx.who.company),
                   update_rep{id, std::move(cmd), ctx.origin(), [reply, id](result<reps::rep> r) {
                                if (!r)
                                  return reply(r.err());
                                reply(json_response(200, updated_body(id, "updated")));
                              }});
  });

  r.add("DELETE", base + "/:id", managers, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto id = ctx.params[0];
    caf::anon_send(rt.company(ctx.who.company),
                   delete_rep{id, ctx.origin(), [reply, id](result<reps::rep> r) {
                                if (!r)
                                  return reply(r.err());
                                reply(json_response(200, updated_body(id, "deleted")));
                              }});
  });

  auto settings_body = [](bool on) {
    return json::object([&](json::writer& w) {
      w.Key("assignTickets");
      w.Bool(on);
    });
  };
  r.add("GET", "/api/v1/crm/dispatcher/settings", all_roles, [&rt, settings_body](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    bool on = rt.view(ctx.who.company)->read([](const company_data& d) { return d.assign_tickets; });
    reply(json_response(200, settings_body(on)));
  });
  r.add("PUT", "/api/v1/crm/dispatcher/settings", managers, [&rt, settings_body](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    b->require("assignTickets");
    auto on = b->boolean("assignTickets");
    if (auto err = b->finish("the settings are not valid"))
      return reply(*err);
    caf::anon_send(rt.company(ctx.who.company),
                   dispatch_settings{on, ctx.origin(), [reply, settings_body](result<bool> v) {
                                       if (!v)
                                         return reply(v.err());
                                       reply(json_response(200, settings_body(*v)));
                                     }});
  });

  r.add("GET", base + "/:id/performance", all_roles, [&rt](context& ctx, responder reply) {
    performance_query m;
    if (auto err = parse_range(ctx.query, m.from, m.to))
      return reply(*err);
    if (auto err = ctx.query.finish())
      return reply(*err);
    m.company = ctx.who.company;
    m.rep_id = ctx.params[0];
    if (!rt.view(ctx.who.company)->read([&](const company_data& d) { return d.roster.find(m.rep_id) != nullptr; }))
      return reply(error{errc::not_found, "no sales rep " + m.rep_id});
    m.done = [reply](result<reps::performance> p) {
      if (!p)
        return reply(p.err());
      rapidjson::StringBuffer sb;
      json::writer w(sb);
      reps::write_json(w, *p);
      reply(json_response(200, std::string(sb.GetString(), sb.GetSize())));
    };
    caf::anon_send(rt.performance(), std::move(m)); // reads the log: on a thread of its own
  });
}

} // namespace crm::http
