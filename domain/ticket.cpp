#include "domain/ticket.hpp"

#include "domain/text.hpp"
#include "domain/time_format.hpp"

namespace crm::tickets {

namespace {

constexpr std::string_view category_names[] = {"technical", "billing", "logistics", "other"};
constexpr std::string_view priority_names[] = {"critical", "high", "medium", "low"};
constexpr std::string_view status_names[] = {"open", "in-progress", "resolved", "closed"};

template <class E, size_t N>
std::optional<E> parse_enum(std::string_view s, const std::string_view (&names)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s)
      return static_cast<E>(i);
  return std::nullopt;
}

thread_local simdjson::dom::parser tl_parser;

using json::get_str;

std::optional<millis> get_time(simdjson::dom::element obj, std::string_view k) {
  std::string_view v;
  if (obj[k].get(v))
    return std::nullopt;
  return parse_time(v);
}


} // namespace

std::optional<category> parse_category(std::string_view s) {
  return parse_enum<category>(s, category_names);
}
std::optional<priority> parse_priority(std::string_view s) {
  return parse_enum<priority>(s, priority_names);
}
std::optional<status> parse_status(std::string_view s) {
  return parse_enum<status>(s, status_names);
}
const char* to_string(category c) { return category_names[static_cast<int>(c)].data(); }
const char* to_string(priority p) { return priority_names[static_cast<int>(p)].data(); }
const char* to_string(status s) { return status_names[static_cast<int>(s)].data(); }

bool transition_allowed(status from, status to) {
  switch (from) {
    case status::open: return to != status::open;
    case status::in_progress: return to == status::resolved || to == status::closed;
    case status::resolved: return to == status::closed || to == status::in_progress;
    case status::closed: return false;
  }
  return false;
}

millis sla_policy::due(priority p, millis created_at) const {
  auto specific = by_priority[static_cast<int>(p)];
  return created_at + (specific ? *specific : resolve);
}

void check_length(validation& v, std::string_view field, std::string_view s, std::size_t lo,
                  std::size_t hi) {
  auto n = utf8_length(s);
  if (n < lo || n > hi)
    v.add(std::string(field), lo > 0 && n == 0 ? "is required"
                                               : "must be " + std::to_string(lo) + ".."
                                                   + std::to_string(hi) + " characters");
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80)
      ++n;
  return n;
}

bool valid_email(std::string_view s) {
  if (s.size() > 254)
    return false;
  auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos)
    return false;
  auto domain = s.substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size())
    return false;
  if (domain.front() == '.' || domain.find("..") != std::string_view::npos)
    return false;
  for (unsigned char c : s)
    if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '\\')
      return false;
  return true;
}

namespace {


template <class F>
std::string json_of(F&& body) {
  return json::object(std::forward<F>(body));
}

error notes_full() {
  return error{errc::conflict, "the ticket has " + std::to_string(max_notes) + " notes, the most it may hold",
               {{"notes", "at most " + std::to_string(max_notes) + " per ticket"}}};
}

event_draft make(const origin& o, const std::string& entity, std::string type, std::string data) {
  return event_draft{o.company_id, entity, std::move(type), o.actor, o.now, std::move(data)};
}

} // namespace

std::optional<error> validate(const create_cmd& c) {
  validation v;
  if (c.category.empty())
    v.add("category", "is required");
  else if (!parse_category(c.category))
    v.add("category", "must be one of technical, billing, logistics, other");
  if (c.priority && !parse_priority(*c.priority))
    v.add("priority", "must be one of critical, high, medium, low");
  check_length(v, "subject", c.subject, 1, 200);
  check_length(v, "description", c.description, 0, 10000);
  check_identifier(v, "relatedOrderId", c.related_order_id);
  check_identifier(v, "relatedNDREventId", c.related_ndr_event_id);
  check_identifier(v, "shipmentId", c.shipment_id);
  if (c.cust) {
    check_length(v, "customer.name", c.cust->name, 0, 200);
    if (!c.cust->email.empty() && !valid_email(c.cust->email))
      v.add("customer.email", "must be a valid email address");
    check_length(v, "customer.phone", c.cust->phone, 0, 20);
  }
  if (v.ok())
    return std::nullopt;
  return std::move(v).to_error("the ticket is not valid");
}

result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const origin& o, const sla_policy& sla) {
  if (auto err = validate(c))
    return std::move(*err);
  auto prio = c.priority ? *parse_priority(*c.priority) : priority::medium;
  auto data = json_of([&](json::writer& w) {
    json::kv(w, "ticketId", id);
    json::kv(w, "category", c.category);
    json::kv(w, "priority", to_string(prio));
    json::kv(w, "subject", c.subject);
    json::kv(w, "description", c.description);
    if (!c.related_order_id.empty())
      json::kv(w, "relatedOrderId", c.related_order_id);
    if (!c.related_ndr_event_id.empty())
      json::kv(w, "relatedNDREventId", c.related_ndr_event_id);
    if (!c.related_call_log_id.empty())
      json::kv(w, "relatedCallLogId", c.related_call_log_id);
    if (!c.shipment_id.empty())
      json::kv(w, "shipmentId", c.shipment_id);
    if (c.cust) {
      json::key(w, "customer");
      w.StartObject();
      json::kv(w, "name", c.cust->name);
      json::kv(w, "email", c.cust->email);
      json::kv(w, "phone", c.cust->phone);
      w.EndObject();
    }
    json::kv(w, "slaDueAt", format_time(sla.due(prio, o.now)));
  });
  std::vector<event_draft> out;
  out.push_back(make(o, id, "ticket.created", std::move(data)));
  return out;
}

result<std::vector<event_draft>> decide_update(const ticket& t, const update_cmd& c,
                                               const origin& o) {
  validation v;
  std::optional<status> to;
  std::optional<priority> prio;
  if (c.status) {
    to = parse_status(*c.status);
    if (!to)
      v.add("status", "must be one of open, in-progress, resolved, closed");
  }
  if (c.priority) {
    prio = parse_priority(*c.priority);
    if (!prio)
      v.add("priority", "must be one of critical, high, medium, low");
  }
  if (c.assigned_to)
    check_length(v, "assignedTo", *c.assigned_to, 0, 100);
  if (c.notes)
    check_length(v, "notes", *c.notes, 1, 10000);
  if (!c.status && !c.assigned_to && !c.priority && !c.notes)
    v.add("body", "must name at least one of status, assignedTo, priority, notes");
  if (!v.ok())
    return std::move(v).to_error("the update is not valid");
  if (to && !transition_allowed(t.st, *to))
    return error{errc::conflict, std::string("cannot change status from ") + to_string(t.st)
                                   + " to " + to_string(*to),
                 {{"status", "transition not allowed"}}};
  if (t.st == status::closed && (c.assigned_to || c.priority))
    return error{errc::conflict, "the ticket is closed"};
  if (c.only_if_unassigned && (!t.assigned_to.empty() || t.is_done()))
    return error{errc::conflict, "the ticket is assigned or done already"};
  if (c.notes && t.notes.size() >= max_notes)
    return notes_full();
  std::vector<event_draft> out;
  if (c.assigned_to && *c.assigned_to != t.assigned_to)
    out.push_back(make(o, t.id, "ticket.assigned", json_of([&](json::writer& w) {
                         json::kv_or_null(w, "from", t.assigned_to);
                         json::kv_or_null(w, "to", *c.assigned_to);
                       })));
  if (prio && *prio != t.prio)
    out.push_back(make(o, t.id, "ticket.priority_changed", json_of([&](json::writer& w) {
                         json::kv(w, "from", to_string(t.prio));
                         json::kv(w, "to", to_string(*prio));
                       })));
  if (c.notes) {
    auto n = t.notes.size() + 1;
    out.push_back(make(o, t.id, "ticket.note_added", json_of([&](json::writer& w) {
                         json::kv(w, "noteId", t.id + "-N" + std::to_string(n));
                         json::kv(w, "type", "internal");
                         json::kv(w, "note", *c.notes);
                       })));
  }
  if (to)
    out.push_back(make(o, t.id, "ticket.status_changed", json_of([&](json::writer& w) {
                         json::kv(w, "from", to_string(t.st));
                         json::kv(w, "to", to_string(*to));
                       })));
  return out;
}

result<std::vector<event_draft>> decide_note(const ticket& t, const note_cmd& c, const origin& o) {
  validation v;
  check_length(v, "note", c.note, 1, 10000);
  if (c.type != "internal" && c.type != "customer")
    v.add("type", "must be one of internal, customer");
  if (!v.ok())
    return std::move(v).to_error("the note is not valid");
  if (t.notes.size() >= max_notes)
    return notes_full();
  auto n = t.notes.size() + 1;
  std::vector<event_draft> out;
  out.push_back(make(o, t.id, "ticket.note_added", json_of([&](json::writer& w) {
                       json::kv(w, "noteId", t.id + "-N" + std::to_string(n));
                       json::kv(w, "type", c.type);
                       json::kv(w, "note", c.note);
                     })));
  return out;
}

std::vector<event_draft> decide_sla_check(const ticket& t, const origin& o) {
  std::vector<event_draft> out;
  if (t.sla_breached || t.is_done() || o.now < t.sla_due_at)
    return out;
  out.push_back(make(o, t.id, "ticket.sla_breached", json_of([&](json::writer& w) {
                       json::kv(w, "slaDueAt", format_time(t.sla_due_at));
                     })));
  return out;
}

bool apply(ticket& t, const event& e) {
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return false;
  const bool staff = e.actor != "system";
  if (e.type == "ticket.created") {
    t = ticket{};
    t.id = std::string(get_str(d, "ticketId"));
    t.company_id = e.company_id;
    t.cat = parse_category(get_str(d, "category")).value_or(category::other);
    t.prio = parse_priority(get_str(d, "priority")).value_or(priority::medium);
    t.subject = get_str(d, "subject");
    t.description = get_str(d, "description");
    t.related_order_id = get_str(d, "relatedOrderId");
    t.related_ndr_event_id = get_str(d, "relatedNDREventId");
    t.related_call_log_id = get_str(d, "relatedCallLogId");
    t.shipment_id = get_str(d, "shipmentId");
    simdjson::dom::element c;
    if (!d["customer"].get(c))
      t.cust = customer{std::string(get_str(c, "name")), std::string(get_str(c, "email")),
                        std::string(get_str(c, "phone"))};
    t.created_at = e.at;
    t.sla_due_at = get_time(d, "slaDueAt").value_or(e.at);
  } else if (e.type == "ticket.status_changed") {
    auto to = parse_status(get_str(d, "to"));
    if (!to)
      return false;
    t.st = *to;
    if (*to == status::resolved) {
      t.resolved_at = e.at;
      t.last_resolution_at = e.at;
    } else if (*to == status::closed) {
      t.closed_at = e.at;
    } else if (*to == status::in_progress) {
      t.resolved_at.reset();
    }
    if (staff && !t.first_response_at)
      t.first_response_at = e.at;
  } else if (e.type == "ticket.assigned") {
    t.assigned_to = get_str(d, "to");
  } else if (e.type == "ticket.priority_changed") {
    t.prio = parse_priority(get_str(d, "to")).value_or(t.prio);
  } else if (e.type == "ticket.note_added") {
    note n{std::string(get_str(d, "noteId")), std::string(get_str(d, "note")), std::string(get_str(d, "type")),
           e.actor, e.at};
    if (staff && n.type == "customer" && !t.first_response_at)
      t.first_response_at = e.at;
    t.notes.push_back(std::move(n));
    t.note_count = static_cast<std::uint32_t>(t.notes.size());
  } else if (e.type == "ticket.sla_breached") {
    t.sla_breached = true;
  } else if (e.type == "ticket.escalated") {
    t.escalated = true;
    auto to = get_str(d, "to");
    if (!to.empty())
      t.assigned_to = to;
  } else if (e.type == "ticket.linked") {
    auto call = get_str(d, "relatedCallLogId");
    if (!call.empty())
      t.related_call_log_id = call;
    auto lead = get_str(d, "relatedLeadId");
    if (!lead.empty())
      t.related_lead_id = lead;
    auto dispute = get_str(d, "relatedDisputeId");
    if (!dispute.empty())
      t.related_dispute_id = dispute;
  } else {
    return true; // not a ticket event this version knows: ignored, state unchanged
  }
  t.updated_at = e.at;
  t.version += 1;
  if (e.seq)
    t.last_seq = e.seq;
  return true;
}

void write_json(json::writer& w, const ticket& t, bool with_notes) {
  w.StartObject();
  json::kv(w, "ticketId", t.id);
  json::kv(w, "companyId", t.company_id);
  json::kv(w, "category", to_string(t.cat));
  json::kv(w, "priority", to_string(t.prio));
  json::kv(w, "subject", t.subject);
  json::kv(w, "description", t.description);
  json::kv(w, "status", to_string(t.st));
  json::kv_or_null(w, "assignedTo", t.assigned_to);
  json::kv_or_null(w, "relatedOrderId", t.related_order_id);
  json::kv_or_null(w, "relatedNDREventId", t.related_ndr_event_id);
  json::kv_or_null(w, "relatedCallLogId", t.related_call_log_id);
  json::kv_or_null(w, "relatedLeadId", t.related_lead_id);
  json::kv_or_null(w, "relatedDisputeId", t.related_dispute_id);
  json::kv_or_null(w, "shipmentId", t.shipment_id);
  json::key(w, "customer");
  if (t.cust) {
    w.StartObject();
    json::kv_or_null(w, "name", t.cust->name);
    json::kv_or_null(w, "email", t.cust->email);
    json::kv_or_null(w, "phone", t.cust->phone);
    w.EndObject();
  } else {
    w.Null();
  }
  if (with_notes) {
    json::key(w, "notes");
    w.StartArray();
    for (auto& n : t.notes) {
      w.StartObject();
      json::kv(w, "noteId", n.id);
      json::kv(w, "type", n.type);
      json::kv(w, "note", n.text);
      json::kv(w, "author", n.author);
      json::kv_time(w, "createdAt", n.created_at);
      w.EndObject();
    }
    w.EndArray();
  }
  json::kv_time(w, "createdAt", t.created_at);
  json::kv_time(w, "updatedAt", t.updated_at);
  json::kv_time(w, "firstResponseAt", t.first_response_at);
  json::kv_time(w, "resolvedAt", t.resolved_at);
  json::kv_time(w, "closedAt", t.closed_at);
  json::kv_time(w, "slaDueAt", t.sla_due_at);
  json::key(w, "slaBreached");
  w.Bool(t.sla_breached);
  json::key(w, "escalated");
  w.Bool(t.escalated);
  w.EndObject();
}

std::string to_json(const ticket& t, bool with_notes) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, t, with_notes);
  return {sb.GetString(), sb.GetSize()};
}

std::string to_snapshot(const ticket& t) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  w.StartObject();
  json::key(w, "ticket");
  write_json(w, t, false);
  w.Key("noteCount");
  w.Uint64(t.notes.size());
  w.Key("notesInEvents");
  w.Bool(true);
  json::kv_time(w, "lastResolutionAt", t.last_resolution_at);
  w.Key("version");
  w.Uint64(t.version);
  w.Key("lastSeq");
  w.Uint64(t.last_seq);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

std::optional<ticket> from_snapshot(std::string_view s, bool* notes_in_events) {
  simdjson::dom::element root, d;
  if (tl_parser.parse(s.data(), s.size()).get(root) || root["ticket"].get(d))
    return std::nullopt;
  ticket t;
  t.id = get_str(d, "ticketId");
  t.company_id = get_str(d, "companyId");
  t.cat = parse_category(get_str(d, "category")).value_or(category::other);
  t.prio = parse_priority(get_str(d, "priority")).value_or(priority::medium);
  t.subject = get_str(d, "subject");
  t.description = get_str(d, "description");
  t.st = parse_status(get_str(d, "status")).value_or(status::open);
  t.assigned_to = get_str(d, "assignedTo");
  t.related_order_id = get_str(d, "relatedOrderId");
  t.related_ndr_event_id = get_str(d, "relatedNDREventId");
  t.related_call_log_id = get_str(d, "relatedCallLogId");
  t.related_lead_id = get_str(d, "relatedLeadId");
  t.related_dispute_id = get_str(d, "relatedDisputeId");
  t.shipment_id = get_str(d, "shipmentId");
  simdjson::dom::element c;
  if (!d["customer"].get(c) && c.is_object())
    t.cust = customer{std::string(get_str(c, "name")), std::string(get_str(c, "email")),
                      std::string(get_str(c, "phone"))};
  simdjson::dom::array notes;
  if (!d["notes"].get(notes))
    for (auto n : notes)
      t.notes.push_back(note{std::string(get_str(n, "noteId")), std::string(get_str(n, "note")),
                             std::string(get_str(n, "type")), std::string(get_str(n, "author")),
                             get_time(n, "createdAt").value_or(0)});
  t.created_at = get_time(d, "createdAt").value_or(0);
  t.updated_at = get_time(d, "updatedAt").value_or(0);
  t.first_response_at = get_time(d, "firstResponseAt");
  t.resolved_at = get_time(d, "resolvedAt");
  t.closed_at = get_time(d, "closedAt");
  t.sla_due_at = get_time(d, "slaDueAt").value_or(0);
  bool b = false;
  t.sla_breached = !d["slaBreached"].get(b) && b;
  b = false;
  t.escalated = !d["escalated"].get(b) && b;
  t.note_count = static_cast<std::uint32_t>(t.notes.size());
  bool elsewhere = false;
  elsewhere = !root["notesInEvents"].get(elsewhere) && elsewhere;
  if (elsewhere) {
    std::uint64_t n = 0;
    if (!root["noteCount"].get(n))
      t.note_count = static_cast<std::uint32_t>(n);
  }
  if (notes_in_events)
    *notes_in_events = elsewhere;
  t.last_resolution_at = get_time(root, "lastResolutionAt");
  if (root["version"].get(t.version) || root["lastSeq"].get(t.last_seq))
    return std::nullopt;
  return t;
}

std::optional<note> note_of(const event& e) {
  simdjson::dom::element d;
  if (e.type != "ticket.note_added" || tl_parser.parse(e.data).get(d))
    return std::nullopt;
  return note{std::string(get_str(d, "noteId")), std::string(get_str(d, "note")), std::string(get_str(d, "type")),
              e.actor, e.at};
}

} // namespace crm::tickets
