// Notifications (CONTRACT section 11): the outbox as operators see it, and a retry of a failed
// message. Both ask the notifier (notifier.hpp), which holds the outbox.
#include "actors/notifier.hpp"
#include "domain/json.hpp"
#include "http/api_util.hpp"

namespace crm::http {

namespace {

using namespace crm::actors;

constexpr roles operators = admins | role_bit(actors::role::manager);

} // namespace

void add_notification_routes(router& r) {
  auto& rt = r.runtime();
  const std::string base = "/api/v1/notifications";

  r.add("GET", base, operators, [&rt](context& ctx, responder reply) {
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

  r.add("POST", base + "/:id/retry", operators, [&rt](context& ctx, responder reply) {
    if (auto err = ctx.query.finish())
      return reply(*err);
    if (!ctx.req.body.empty()) {
      auto b = body_reader::parse(ctx.req.body);
      if (!b)
        return reply(b.err());
      if (auto err = b->finish("the retry takes no fields"))
        return reply(*err);
    }
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
