// Admin (CONTRACT section 10), audit events (section 9), health and metrics.
#include <charconv>

#include "domain/json.hpp"
#include "domain/text.hpp"
#include "domain/time_format.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

void write_key(json::writer& w, const api_key& k) {
  w.StartObject();
  json::kv(w, "id", k.id);
  json::kv(w, "companyId", k.company_id);
  json::kv(w, "role", to_string(k.r));
  json::kv(w, "name", k.name);
  json::kv_or_null(w, "repId", k.rep_id);
  json::kv_time(w, "createdAt", k.created_at);
  w.Key("revoked");
  w.Bool(k.revoked);
  w.EndObject();
}

/// The answer to a new key; `secret` is shown only in the first answer.
std::string key_answer(const api_key& key, const std::string* secret) {
  return json::object([&](json::writer& w) {
    json::kv(w, "id", key.id);
    if (secret)
      json::kv(w, "key", *secret);
    json::kv(w, "companyId", key.company_id);
    json::kv(w, "role", to_string(key.r));
    json::kv(w, "name", key.name);
    json::kv_or_null(w, "repId", key.rep_id);
  });
}

} // namespace

void add_admin_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/admin/api-keys";

  r.add("POST", base, platform_only, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    auto company = b->str("companyId").value_or("");
    auto role_s = b->str("role").value_or("");
    auto name = b->str("name").value_or("");
    auto rep = b->str("repId").value_or("");
    if (auto err = b->finish("the API key is not valid"))
      return reply(*err);
    validation v;
    check_identifier(v, "companyId", company, true);
    auto role = parse_role(role_s);
    if (role_s.empty())
      v.add("role", "is required");
    else if (!role)
      v.add("role", "must be one of platform, admin, manager, agent, viewer");
    if (name.empty() || name.size() > 200)
      v.add("name", name.empty() ? "is required" : "must be at most 200 characters");
    if (!v.ok())
      return reply(std::move(v).to_error("the API key is not valid"));
    auto create = [&rt, company, r = *role, name, rep, actor = ctx.who.actor, idem = ctx.idem, reply] {
      rt.keys().create(
        company, r, name, rep, actor,
        [reply](result<std::pair<api_key, std::string>> k) {
          if (!k)
            return reply(k.err());
          auto& [key, secret] = k.value();
          auto res = json_response(201, key_answer(key, &secret));
          res.replay_body = key_answer(key, nullptr); // an Idempotency-Key replay never shows the key again
          std::fill(secret.begin(), secret.end(), '\0');
          reply(std::move(res));
        },
        idem);
    };
    if (rep.empty())
      return create();
    // The rep must be one of the company's (CONTRACT section 2): 422 otherwise.
    if (!rt.view(company)->read([&](const company_data& d) { return d.roster.find(rep) != nullptr; }))
      return reply(error{errc::invalid, "the API key is not valid", {{"repId", "names no rep of the company"}}});
    create();
  });
  r.answers_from_events([](const std::vector<event>& evs) {
    auto k = key_of(evs.front());
    return std::pair{201, k ? key_answer(*k, nullptr) : std::string("{}")};
  });

  r.add("GET", base, platform_only, [&rt](context& ctx, responder reply) {
    auto company = ctx.query.take("companyId");
    if (auto err = ctx.query.finish())
      return reply(*err);
    if (!company || company->empty())
      return reply(error{errc::malformed, "companyId is required",
                         {{"companyId", "is required"}}});
    auto keys = rt.keys().list(*company);
    reply(json_response(200, json::object([&](json::writer& w) {
      w.Key("apiKeys");
      w.StartArray();
      for (auto& k : keys)
        write_key(w, k);
      w.EndArray();
    })));
  });

  r.add("DELETE", base + "/:id", platform_only, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    rt.keys().revoke(ctx.params[0], ctx.who.actor, [reply](result<api_key> k) {
      if (!k)
        return reply(k.err());
      reply(json_response(200, json::object([&](json::writer& w) {
        json::kv(w, "id", k->id);
        w.Key("revoked");
        w.Bool(true);
      })));
    });
  });

  r.add("GET", "/api/v1/audit/events", admins, [&rt](context& ctx, responder reply) {
    audit_query q;
    q.company = ctx.who.company;
    q.entity = ctx.query.take("entity").value_or("");
    q.type = ctx.query.take("type").value_or("");
    if (auto err = parse_range(ctx.query, q.from, q.to))
      return reply(*err);
    auto after = ctx.query.take("after");
    if (after) {
      auto [end, ec] = std::from_chars(after->data(), after->data() + after->size(), q.after);
      if (after->empty() || ec != std::errc{} || end != after->data() + after->size())
        return reply(error{errc::malformed, "query parameter after is not valid",
                           {{"after", "must be an event seq (a non-negative integer)"}}});
    }
    auto limit = parse_int(ctx.query.take("limit"), "limit", 100, 1, 1000);
    if (!limit)
      return reply(limit.err());
    q.limit = static_cast<std::size_t>(*limit);
    if (auto err = ctx.query.finish())
      return reply(*err);
    q.done = [reply](result<std::pair<std::vector<event>, std::uint64_t>> r) {
      if (!r)
        return reply(r.err());
      reply(json_later(200, [page = std::move(r.value())] {
        // Not a structured binding: clang before 16 cannot capture one in the lambda below.
        auto& events = page.first;
        auto next = page.second;
        return json::object([&](json::writer& w) {
          w.Key("events");
          w.StartArray();
          for (auto& e : events)
            json::raw(w, event_to_json(e));
          w.EndArray();
          w.Key("nextAfter");
          if (next)
            w.Uint64(next);
          else
            w.Null();
        });
      }));
    };
    caf::anon_send(rt.audit(), std::move(q));
  });
}

void add_system_routes(router& r) {
  auto* rp = &r;
  r.add(
    "GET", "/healthz", all_roles,
    [rp](context&, responder reply) {
      if (!rp->ready())
        return reply(json_response(503, "{\"status\":\"stopping\"}"));
      reply(json_response(200, "{\"status\":\"ok\"}"));
    },
    false);
  r.add(
    "GET", "/metrics", all_roles,
    [rp](context&, responder reply) {
      std::string out;
      rp->metrics().render(out);
      auto& rt = rp->runtime();
      out += "# HELP crm_journal_batch_events Events written per journal batch.\n";
      out += "# TYPE crm_journal_batch_events histogram\n";
      rt.batch_sizes().render(out, "crm_journal_batch_events", "");
      render_metric(out, "crm_resident_ticket_actors", "gauge", "Ticket actors in memory.",
                    std::to_string(rt.resident_tickets()));
      render_metric(out, "crm_company_registries", "gauge", "Companies with a registry actor (companies with data).",
                    std::to_string(rt.companies()));
      render_metric(out, "crm_idempotency_records", "gauge", "Idempotency-Key records kept (at most 24 h).",
                    std::to_string(rt.idempotency().size()));
      render_metric(out, "crm_last_event_seq", "gauge", "Seq of the last event written.",
                    std::to_string(rt.last_seq()));
      render_metric(out, "crm_recovery_seconds", "gauge", "Time the last start spent recovering.",
                    std::to_string(rt.recovery().took_ms / 1000.0));
      reply(response{200, std::move(out), "text/plain; version=0.0.4", {}, {}, {}});
    },
    false);
}

} // namespace crm::http
