// Notifications (CONTRACT section 11): the outbox as operators see it, a retry of a failed
// message, the templates, and the daily summary on demand. All ask the notifier (notifier.hpp),
// which holds the outbox and the templates.
#include "actors/notifier.hpp"
#include "domain/json.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

constexpr roles operators = admins | role_bit(actors::role::manager);

/// A call that takes no query and, if any body, an empty object.
std::optional<error> no_fields(context& ctx, const char* message) {
  if (auto err = ctx.query.finish())
    return err;
  if (ctx.req.body.empty())
    return std::nullopt;
  auto b = body_reader::parse(ctx.req.body);
  if (!b)
    return b.err();
  return b->finish(message);
}

} // namespace

void add_notification_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/notifications";

  r.add("GET", base, all_roles, [&rt](context& ctx, responder reply) {
    notifications::list_query q;
    if (auto err = parse_paging(ctx.query, q.page, q.limit))
      return reply(*err);
    validation v;
    take_enums(ctx.query, "status", notifications::parse_status, q.statuses, v);
    take_enums(ctx.query, "channel", notifications::parse_channel, q.channels, v);
    if (auto err = ctx.query.finish())
      return reply(*err);
    if (!v.ok())
      return reply(std::move(v).to_error("the query is not valid"));
    int page = q.page, limit = q.limit;
    caf::anon_send(rt.notifier(),
                   list_notifications{ctx.who.company, std::move(q), [reply, page, limit](result<notifications::list_page> p) {
                                        if (!p)
                                          return reply(p.err());
                                        reply(json_later(200, [p = std::move(p.value()), page, limit] {
                                          return json::object([&](json::writer& w) {
                                            w.Key("notifications");
                                            w.StartArray();
                                            for (auto& n : p.items)
                                              notifications::write_json(w, n);
                                            w.EndArray();
                                            write_page_fields(w, p.total, page, limit);
                                          });
                                        }));
                                      }});
  });

  auto templates_answer = [](int code) {
    return [code](notifications::template_set t) {
      return json_later(code, [t = std::move(t)] {
        rapidjson::StringBuffer sb;
        json::writer w(sb);
        notifications::write_json(w, t); // the whole object: {"templates": [...]}
        return std::string(sb.GetString(), sb.GetSize());
      });
    };
  };

  r.add("GET", base + "/templates", all_roles, [&rt, templates_answer](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    caf::anon_send(rt.notifier(), get_templates{ctx.who.company, [reply, templates_answer](result<notifications::template_set> t) {
                                                  if (!t)
                                                    return reply(t.err());
                                                  reply(templates_answer(200)(std::move(t.value())));
                                                }});
  });

  r.add("PUT", base + "/templates/:event/:channel", operators, [&rt, templates_answer](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    auto& event = ctx.params[0];
    auto ch = notifications::parse_channel(ctx.params[1]);
    const notifications::template_row* row = ch ? notifications::find_template_row(event, *ch) : nullptr;
    if (!row)
      return reply(error{errc::not_found, "no template for event '" + event + "' on channel '" + ctx.params[1]
                                            + "' (GET /api/v1/notifications/templates lists them)"});
    auto b = body_reader::parse(ctx.req.body);
    if (!b)
      return reply(b.err());
    notifications::template_text text;
    text.subject = b->str("subject").value_or("");
    auto body = b->str("body");
    b->require("body");
    text.body = body.value_or("");
    auto check = [&] { return notifications::validate_template(*row, text); };
    if (auto err = b->finish_with(check, "the template is not valid"))
      return reply(*err);
    if (auto err = check()) // finish_with runs it only to add to the body's own problems
      return reply(*err);
    caf::anon_send(rt.notifier(), put_template{ctx.who.company, row, std::move(text), ctx.origin(),
                                               [reply, templates_answer](result<notifications::template_set> t) {
                                                 if (!t)
                                                   return reply(t.err());
                                                 reply(templates_answer(200)(std::move(t.value())));
                                               }});
  });

  r.add("POST", base + "/summary", admins, [&rt](context& ctx, responder reply) {
    if (auto err = no_fields(ctx, "the summary takes no fields"))
      return reply(*err);
    caf::anon_send(rt.notifier(), summary_now{ctx.who.company, ctx.origin(), [reply](result<std::vector<std::string>> ids) {
                                                if (!ids)
                                                  return reply(ids.err());
                                                reply(json_response(202, json::object([&](json::writer& w) {
                                                  json::kv(w, "status", "queued");
                                                  w.Key("notifications");
                                                  w.StartArray();
                                                  for (auto& id : ids.value())
                                                    w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
                                                  w.EndArray();
                                                })));
                                              }});
  });

  r.add("POST", base + "/:id/retry", operators, [&rt](context& ctx, responder reply) {
    if (auto err = no_fields(ctx, "the retry takes no fields"))
      return reply(*err);
    caf::anon_send(rt.notifier(),
                   retry_notification{ctx.who.company, ctx.params[0], ctx.origin(),
                                      [reply](result<notifications::notification> n) {
                                        if (!n)
                                          return reply(n.err());
                                        reply(json_response(200, json::object([&](json::writer& w) {
                                          json::kv(w, "id", n->id);
                                          json::kv(w, "status", notifications::to_string(n->st));
                                        })));
                                      }});
  });
}

} // namespace crm::http
