#include "actors/notify_rules.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "domain/time_format.hpp"

namespace crm::actors {

using namespace notifications;

bool may_notify(std::string_view type) {
  return type == "ticket.assigned" || type == "ticket.status_changed" || type == "ticket.escalated"
         || type == "call.assigned" || type.starts_with("dispute.");
}

namespace {

thread_local simdjson::dom::parser tl_parser;

queue_cmd webhook(std::string name, const event& e) {
  // `to` is "platform", not the URL: the URL (which may hold a token) stays out of the log and
  // of the companies' answers; deliveries go to --webhook-url as configured then.
  return {channel::webhook, "platform", std::move(name), {}, event_to_json(e)};
}

queue_cmd from_template(const template_set& tpl, std::string_view ev, channel ch, std::string to,
                        const render_context& ctx) {
  auto text = render(tpl.get(ev, ch), ctx);
  return {ch, std::move(to), std::string(ev), ch == channel::email ? std::move(text.subject) : std::string(),
          std::move(text.body)};
}

void add_ticket(render_context& ctx, const tickets::ticket& t) {
  ctx.push_back({"ticket.ticketId", t.id});
  ctx.push_back({"ticket.subject", t.subject});
  ctx.push_back({"ticket.status", tickets::to_string(t.st)});
  ctx.push_back({"ticket.priority", tickets::to_string(t.prio)});
  ctx.push_back({"ticket.category", tickets::to_string(t.cat)});
  ctx.push_back({"ticket.customerName", t.cust ? t.cust->name : std::string()});
}

void add_rep(render_context& ctx, const reps::rep& r) {
  ctx.push_back({"rep.repId", r.id});
  ctx.push_back({"rep.name", r.name});
}

void add_call(render_context& ctx, const calls::call_log& c) {
  ctx.push_back({"call.callLogId", c.id});
  ctx.push_back({"call.orderId", c.order_id});
  ctx.push_back({"call.shipmentId", c.shipment_id});
  ctx.push_back({"call.customerPhone", c.customer_phone});
  ctx.push_back({"call.attempts", std::to_string(c.attempts)});
  ctx.push_back({"call.scheduledFor", c.scheduled_for ? format_time(*c.scheduled_for) : std::string()});
}

void add_dispute(render_context& ctx, const disputes::dispute& x, const tickets::ticket* t) {
  ctx.push_back({"dispute.disputeId", x.id});
  ctx.push_back({"dispute.type", disputes::to_string(x.t)});
  ctx.push_back({"dispute.status", disputes::to_string(x.st)});
  ctx.push_back({"dispute.claimAmount", paise_to_string(x.claim_paise)});
  ctx.push_back({"dispute.refundAmount", x.refund_paise ? paise_to_string(*x.refund_paise) : std::string()});
  ctx.push_back({"dispute.resolution", disputes::to_string(x.res)});
  ctx.push_back({"dispute.ticketId", x.related_support_ticket_id});
  ctx.push_back({"dispute.orderId", x.related_order_id});
  ctx.push_back({"dispute.customerName", t && t->cust ? t->cust->name : std::string()});
}

} // namespace

std::optional<std::vector<queue_cmd>> messages_for(const event& e, const company_view& view,
                                                   const notify_config& cfg, const template_set& tpl) {
  std::vector<queue_cmd> out;
  const std::optional<std::vector<queue_cmd>> later; // not published yet
  if (!cfg.on(channel::email) && !cfg.on(channel::whatsapp) && !cfg.on(channel::sms) && !cfg.on(channel::webhook))
    return out;
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return out;
  // The rep, copied out of the read model (nullopt: none).
  auto rep = [&](std::string_view id) {
    return view.read([&](const company_data& c) -> std::optional<reps::rep> {
      auto* r = id.empty() ? nullptr : c.roster.find(std::string(id));
      return r ? std::optional<reps::rep>(*r) : std::nullopt;
    });
  };
  auto ticket = [&](const std::string& id) {
    return view.read([&](const company_data& c) { return c.tickets.find(id); });
  };
  if (e.type == "ticket.assigned" || e.type == "call.assigned") {
    const bool call = e.type == "call.assigned";
    const bool callback = call && !json::get_str(d, "callbackFor").empty();
    if (!cfg.on(channel::whatsapp) && !(callback && cfg.on(channel::sms)))
      return out; // checked first: no read of the model when off
    auto r = rep(json::get_str(d, "to"));
    if (!r || r->phone.empty())
      return out;
    render_context ctx;
    add_rep(ctx, *r);
    if (call) {
      auto c = view.read([&](const company_data& x) -> std::optional<calls::call_log> {
        auto* found = x.calls.find(e.entity);
        return found ? std::optional<calls::call_log>(*found) : std::nullopt;
      });
      if (!c)
        return later; // a call made and assigned in one write (an NDR event's)
      add_call(ctx, *c);
    } else if (auto t = ticket(e.entity)) {
      add_ticket(ctx, *t);
    } else {
      return later;
    }
    if (cfg.on(channel::whatsapp))
      out.push_back(from_template(tpl, e.type, channel::whatsapp, r->phone, ctx));
    if (callback && cfg.on(channel::sms))
      out.push_back(from_template(tpl, "call.callback_due", channel::sms, r->phone, ctx));
  } else if (e.type == "ticket.status_changed") {
    if (!cfg.on(channel::email))
      return out;
    auto t = ticket(e.entity);
    if (!t)
      return later;
    if (!t->cust || t->cust->email.empty())
      return out;
    render_context ctx;
    add_ticket(ctx, *t);
    // The change this event made, not the state now (a later change may be written already).
    ctx.push_back({"ticket.status", std::string(json::get_str(d, "to"))});
    ctx.push_back({"ticket.previousStatus", std::string(json::get_str(d, "from"))});
    out.push_back(from_template(tpl, "ticket.status_changed", channel::email, t->cust->email, ctx));
  } else if (e.type == "ticket.escalated") {
    auto to = json::get_str(d, "to");
    if (cfg.on(channel::whatsapp) && !to.empty()) {
      auto r = rep(to);
      auto t = ticket(e.entity);
      if (!t)
        return later;
      if (r && !r->phone.empty()) {
        render_context ctx;
        add_ticket(ctx, *t);
        add_rep(ctx, *r);
        ctx.push_back({"ticket.previousAssignee", std::string(json::get_str(d, "from"))});
        ctx.push_back({"escalation.after", std::string(json::get_str(d, "after"))});
        out.push_back(from_template(tpl, "ticket.escalated", channel::whatsapp, r->phone, ctx));
      }
    }
    if (cfg.on(channel::webhook))
      out.push_back(webhook("ticket.escalated", e));
  } else if (e.type == "dispute.created" || e.type == "dispute.resolved") {
    if (cfg.on(channel::email)) {
      // The dispute as this event left it: a new one from the event itself, a resolved one from
      // the read model's copy with the event applied (the copy may not have it yet).
      disputes::dispute x;
      if (e.type == "dispute.created") {
        disputes::apply(x, e);
      } else {
        auto known = view.read([&](const company_data& c) { return c.disputes.find(e.entity); });
        if (!known)
          return later;
        x = *known;
        if (x.st != disputes::status::resolved || !x.resolved_at || *x.resolved_at != e.at)
          disputes::apply(x, e);
      }
      if (!x.customer_email.empty()) {
        auto t = x.related_support_ticket_id.empty() ? nullptr : ticket(x.related_support_ticket_id);
        render_context ctx;
        add_dispute(ctx, x, t.get());
        out.push_back(from_template(tpl, e.type, channel::email, x.customer_email, ctx));
      }
    }
    if (cfg.on(channel::webhook))
      out.push_back(webhook(e.type, e));
  } else if (e.type == "dispute.refund_requested" || e.type == "dispute.replacement_requested") {
    if (cfg.on(channel::webhook))
      out.push_back(webhook(e.type == "dispute.refund_requested" ? "refund.requested" : "replacement.requested", e));
  }
  return out;
}

std::vector<queue_cmd> summary_messages(const company_view& view, const template_set& tpl, millis now,
                                        const std::string& date) {
  struct counts {
    std::size_t open = 0, breached = 0, resolved = 0;
  };
  struct manager {
    reps::rep who;
    std::size_t team = 0;
    counts c;
  };
  std::vector<manager> out_of;
  view.read([&](const company_data& d) {
    // Who reports to whom, then each manager's team (every rep under them).
    std::unordered_map<std::string, std::vector<std::string>> reports;
    d.roster.each([&](const reps::rep& r) {
      if (!r.reporting_to.empty())
        reports[r.reporting_to].push_back(r.id);
    });
    if (reports.empty())
      return;
    std::unordered_map<std::string, counts> by_rep;
    d.tickets.for_each([&](const tickets::ticket& t) {
      if (t.assigned_to.empty())
        return;
      if (!t.is_done()) {
        auto& c = by_rep[t.assigned_to];
        c.open++;
        c.breached += t.sla_breached ? 1 : 0;
      } else if (t.resolved_at && *t.resolved_at > now - 86'400'000 && *t.resolved_at <= now) {
        by_rep[t.assigned_to].resolved++;
      }
    });
    for (auto& [id, direct] : reports) {
      auto* boss = d.roster.find(id);
      if (!boss || boss->st != reps::status::active || boss->email.empty())
        continue;
      manager m{*boss, 0, {}};
      std::unordered_set<std::string> seen{id};
      std::vector<std::string> todo = direct;
      while (!todo.empty()) {
        auto r = std::move(todo.back());
        todo.pop_back();
        if (!seen.insert(r).second)
          continue;
        m.team++;
        if (auto c = by_rep.find(r); c != by_rep.end()) {
          m.c.open += c->second.open;
          m.c.breached += c->second.breached;
          m.c.resolved += c->second.resolved;
        }
        if (auto more = reports.find(r); more != reports.end())
          todo.insert(todo.end(), more->second.begin(), more->second.end());
      }
      out_of.push_back(std::move(m));
    }
  });
  std::sort(out_of.begin(), out_of.end(), [](const manager& a, const manager& b) { return a.who.id < b.who.id; });
  std::vector<queue_cmd> out;
  for (auto& m : out_of) {
    render_context ctx;
    add_rep(ctx, m.who);
    ctx.push_back({"summary.date", date});
    ctx.push_back({"summary.teamSize", std::to_string(m.team)});
    ctx.push_back({"summary.open", std::to_string(m.c.open)});
    ctx.push_back({"summary.breached", std::to_string(m.c.breached)});
    ctx.push_back({"summary.resolved", std::to_string(m.c.resolved)});
    out.push_back(from_template(tpl, "summary.daily", channel::email, m.who.email, ctx));
  }
  return out;
}

} // namespace crm::actors
