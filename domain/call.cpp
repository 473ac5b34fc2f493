#include "domain/call.hpp"

#include "domain/time_format.hpp"

namespace crm::calls {

namespace {

constexpr std::string_view status_names[] = {"pending", "in-progress", "completed", "no-answer",
                                             "disconnected"};

thread_local simdjson::dom::parser tl_parser;

using json::get_str;

event_draft make(const tickets::origin& o, const std::string& entity, std::string type,
                 std::string data) {
  return event_draft{o.company_id, entity, std::move(type), o.actor, o.now, std::move(data)};
}

error conflict(const call_log& c, std::string what) {
  return error{errc::conflict, std::move(what), {{"status", std::string("the call is ") + to_string(c.st)}}};
}

} // namespace

std::optional<status> parse_status(std::string_view s) {
  for (std::size_t i = 0; i < 5; ++i)
    if (status_names[i] == s)
      return static_cast<status>(i);
  return std::nullopt;
}
const char* to_string(status s) { return status_names[static_cast<int>(s)].data(); }

millis callback_policy::delay_after(std::uint32_t attempts) const {
  auto shift = attempts == 0 ? 0u : std::min<std::uint32_t>(attempts - 1, 20);
  return retry_delay << shift;
}

event_draft decide_create(const std::string& id, const ndr::ndr_event& ev, const tickets::origin& o) {
  return make(o, id, "call.created", json::object([&](json::writer& w) {
                json::kv(w, "id", id);
                json::kv(w, "ndrEventId", ev.ndr_event_id);
                json::kv_or_null(w, "shipmentId", ev.shipment_id);
                json::kv_or_null(w, "orderId", ev.order_id);
                json::kv_or_null(w, "territory", ev.territory);
                json::kv_or_null(w, "customerPhone", ev.cust ? ev.cust->phone : std::string());
              }));
}

result<event_draft> decide_assign(const call_log& c, const std::string& rep, const tickets::origin& o) {
  if (!c.assignable())
    return conflict(c, "call " + c.id + " is not waiting for a rep");
  return make(o, c.id, "call.assigned", json::object([&](json::writer& w) {
                json::kv_or_null(w, "from", c.assigned_to);
                json::kv(w, "to", rep);
                if (c.callback_came_due && c.scheduled_for) // pending again: its callback came due
                  json::kv(w, "callbackFor", format_time(*c.scheduled_for));
              }));
}

std::vector<event_draft> decide_unassign(const call_log& c, const std::string& reason,
                                         const tickets::origin& o) {
  std::vector<event_draft> out;
  if (c.assigned_to.empty() || c.st != status::pending)
    return out;
  out.push_back(make(o, c.id, "call.unassigned", json::object([&](json::writer& w) {
                       json::kv(w, "from", c.assigned_to);
                       json::kv(w, "reason", reason);
                     })));
  return out;
}

result<decision> decide_update(const call_log& c, const update_cmd& u, const tickets::origin& o,
                               const callback_policy& p) {
  validation v;
  std::optional<status> to;
  if (u.status && !(to = parse_status(*u.status)))
    v.add("status", "must be one of pending, in-progress, completed, no-answer, disconnected");
  if (u.resolution && tickets::utf8_length(*u.resolution) > 2000)
    v.add("resolution", "must be at most 2000 characters");
  if (to == status::completed && (!u.resolution || u.resolution->empty()))
    v.add("resolution", "is required to complete a call");
  if (u.resolution && to != status::completed)
    v.add("resolution", "goes with status completed");
  if (u.customer_feedback && tickets::utf8_length(*u.customer_feedback) > 2000)
    v.add("customerFeedback", "must be at most 2000 characters");
  if (u.ivr) {
    if (u.ivr->size() > 100)
      v.add("ivrResponses", "at most 100 responses");
    for (auto& r : *u.ivr)
      if (r.question.empty() || tickets::utf8_length(r.question) > 500 || tickets::utf8_length(r.answer) > 500) {
        v.add("ivrResponses", "each needs a question (1..500 characters) and an answer (0..500)");
        break;
      }
  }
  if (!u.status && !u.ivr && !u.customer_feedback && !u.resolution)
    v.add("body", "must name at least one of status, resolution, ivrResponses, customerFeedback");
  if (!v.ok())
    return std::move(v).to_error("the update is not valid");
  decision d;
  if (to) {
    bool live = c.st == status::pending || c.st == status::in_progress;
    if (c.escalated())
      return conflict(c, "call " + c.id + " was escalated to " + c.support_ticket_id);
    if (!live || c.awaiting_callback)
      return conflict(c, std::string("cannot record ") + to_string(*to) + " on a call that is "
                           + to_string(c.st) + (c.awaiting_callback ? " and waiting for its callback" : ""));
    if (*to == status::pending)
      return conflict(c, "a call becomes pending by itself, when its callback comes due");
    if (*to == status::in_progress) {
      if (c.st == status::in_progress)
        return conflict(c, "the call is already in progress");
      d.events.push_back(make(o, c.id, "call.started", "{}"));
    } else if (*to == status::completed) {
      auto attempts = c.attempts + 1;
      d.events.push_back(make(o, c.id, "call.completed", json::object([&](json::writer& w) {
                                json::kv(w, "resolution", *u.resolution);
                                w.Key("attempts");
                                w.Uint(attempts);
                              })));
    } else {
      auto attempts = c.attempts + 1;
      bool last = attempts >= p.max_attempts;
      d.events.push_back(make(o, c.id, "call.attempt_failed", json::object([&](json::writer& w) {
                                json::kv(w, "outcome", to_string(*to));
                                w.Key("attempts");
                                w.Uint(attempts);
                                json::key(w, "callbackDue");
                                if (last)
                                  w.Null();
                                else
                                  json::str(w, format_time(o.now + p.delay_after(attempts)));
                              })));
      d.escalate = last;
    }
  }
  if (u.ivr || u.customer_feedback)
    d.events.push_back(make(o, c.id, "call.feedback_recorded", json::object([&](json::writer& w) {
                              if (u.ivr) {
                                json::key(w, "ivrResponses");
                                w.StartArray();
                                for (auto& r : *u.ivr) {
                                  w.StartObject();
                                  json::kv(w, "question", r.question);
                                  json::kv(w, "answer", r.answer);
                                  w.EndObject();
                                }
                                w.EndArray();
                              }
                              if (u.customer_feedback)
                                json::kv(w, "customerFeedback", *u.customer_feedback);
                            })));
  return d;
}

event_draft decide_escalate(const call_log& c, const std::string& ticket_id, const tickets::origin& o) {
  return make(o, c.id, "call.escalated", json::object([&](json::writer& w) {
                json::kv(w, "supportTicketId", ticket_id);
              }));
}

tickets::create_cmd escalation_ticket(const call_log& c) {
  tickets::create_cmd t;
  t.category = "logistics";
  t.priority = "high";
  t.subject = "Call " + c.id + " unresolved after " + std::to_string(c.attempts) + " attempts";
  t.description = "The customer could not be reached about "
                  + (c.shipment_id.empty() ? std::string("the shipment") : "shipment " + c.shipment_id)
                  + (c.ndr_event_id.empty() ? std::string() : " (NDR " + c.ndr_event_id + ")") + ".";
  t.related_order_id = c.order_id;
  t.related_ndr_event_id = c.ndr_event_id;
  t.related_call_log_id = c.id;
  t.shipment_id = c.shipment_id;
  return t;
}

result<event_draft> decide_callback(const call_log& c, millis scheduled_for, const tickets::origin& o) {
  if (scheduled_for <= o.now)
    return error{errc::invalid, "scheduledFor must be in the future", {{"scheduledFor", "must be in the future"}}};
  if (c.escalated())
    return conflict(c, "call " + c.id + " was escalated to " + c.support_ticket_id);
  if (c.st == status::completed)
    return conflict(c, "call " + c.id + " is completed");
  if (c.st == status::in_progress)
    return conflict(c, "call " + c.id + " is in progress: record its outcome first");
  return make(o, c.id, "call.callback_scheduled", json::object([&](json::writer& w) {
                json::kv(w, "scheduledFor", format_time(scheduled_for));
              }));
}

std::vector<event_draft> decide_callback_due(const call_log& c, const tickets::origin& o) {
  std::vector<event_draft> out;
  if (!c.awaiting_callback || c.escalated() || c.st == status::completed || !c.scheduled_for
      || *c.scheduled_for > o.now)
    return out;
  out.push_back(make(o, c.id, "call.callback_due", json::object([&](json::writer& w) {
                       json::kv(w, "scheduledFor", format_time(*c.scheduled_for));
                     })));
  return out;
}

bool apply(call_log& c, const event& e) {
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return false;
  if (e.type == "call.created") {
    c = call_log{};
    c.id = get_str(d, "id");
    c.company_id = e.company_id;
    c.ndr_event_id = get_str(d, "ndrEventId");
    c.shipment_id = get_str(d, "shipmentId");
    c.order_id = get_str(d, "orderId");
    c.territory = get_str(d, "territory");
    c.customer_phone = get_str(d, "customerPhone");
    c.created_at = e.at;
  } else if (e.type == "call.assigned") {
    c.assigned_to = get_str(d, "to");
    c.callback_came_due = false;
  } else if (e.type == "call.unassigned") {
    c.assigned_to.clear();
  } else if (e.type == "call.started") {
    c.st = status::in_progress;
  } else if (e.type == "call.completed") {
    c.st = status::completed;
    c.resolution = get_str(d, "resolution");
    std::uint64_t n = 0;
    if (!d["attempts"].get(n))
      c.attempts = static_cast<std::uint32_t>(n);
    c.resolved_at = e.at;
    c.awaiting_callback = false;
  } else if (e.type == "call.attempt_failed") {
    c.st = parse_status(get_str(d, "outcome")).value_or(status::no_answer);
    std::uint64_t n = 0;
    if (!d["attempts"].get(n))
      c.attempts = static_cast<std::uint32_t>(n);
    if (auto due = parse_time(get_str(d, "callbackDue"))) {
      c.scheduled_for = due;
      c.awaiting_callback = true;
    } else {
      c.awaiting_callback = false;
    }
  } else if (e.type == "call.callback_scheduled") {
    c.scheduled_for = parse_time(get_str(d, "scheduledFor"));
    c.awaiting_callback = true;
  } else if (e.type == "call.callback_due") {
    c.st = status::pending;
    c.assigned_to.clear();
    c.awaiting_callback = false;
    c.callback_came_due = true;
  } else if (e.type == "call.escalated") {
    c.support_ticket_id = get_str(d, "supportTicketId");
    c.awaiting_callback = false;
  } else if (e.type == "call.feedback_recorded") {
    simdjson::dom::array a;
    if (!d["ivrResponses"].get(a)) {
      c.ivr.clear();
      for (auto r : a)
        c.ivr.push_back({std::string(get_str(r, "question")), std::string(get_str(r, "answer"))});
    }
    std::string_view fb;
    if (!d["customerFeedback"].get(fb))
      c.customer_feedback = fb;
  } else {
    return true;
  }
  c.updated_at = e.at;
  c.version += 1;
  if (e.seq)
    c.last_seq = e.seq;
  return true;
}

void write_json(json::writer& w, const call_log& c) {
  w.StartObject();
  json::kv(w, "id", c.id);
  json::kv(w, "companyId", c.company_id);
  json::kv_or_null(w, "ndrEventId", c.ndr_event_id);
  json::kv_or_null(w, "shipmentId", c.shipment_id);
  json::kv_or_null(w, "orderId", c.order_id);
  json::kv_or_null(w, "territory", c.territory);
  json::kv_or_null(w, "supportTicketId", c.support_ticket_id);
  json::kv(w, "status", to_string(c.st));
  json::kv_or_null(w, "assignedTo", c.assigned_to);
  w.Key("attempts");
  w.Uint(c.attempts);
  json::kv_time(w, "scheduledFor", c.awaiting_callback ? c.scheduled_for : std::nullopt);
  json::key(w, "ivrResponses");
  w.StartArray();
  for (auto& r : c.ivr) {
    w.StartObject();
    json::kv(w, "question", r.question);
    json::kv(w, "answer", r.answer);
    w.EndObject();
  }
  w.EndArray();
  json::kv_or_null(w, "customerFeedback", c.customer_feedback);
  json::kv_or_null(w, "resolution", c.resolution);
  json::kv_time(w, "createdAt", c.created_at);
  json::kv_time(w, "updatedAt", c.updated_at);
  json::kv_time(w, "resolvedAt", c.resolved_at);
  w.EndObject();
}

std::string to_json(const call_log& c) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, c);
  return {sb.GetString(), sb.GetSize()};
}

} // namespace crm::calls
