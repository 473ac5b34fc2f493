#include "domain/templates.hpp"

#include <kainjow/mustache.hpp>

#include <cctype>
#include <map>

#include "domain/text.hpp"

namespace crm::notifications {

namespace {

using kainjow::mustache::data;

const std::string_view entity_name = "templates";
const std::string_view event_type = "notification.template_set";

thread_local simdjson::dom::parser tl_parser;

std::vector<template_row> build_catalogue() {
  const std::vector<std::string_view> call_names = {"call.callLogId", "call.orderId", "call.shipmentId",
                                                    "call.customerPhone", "call.attempts"};
  const std::vector<std::string_view> dispute_names = {
      "dispute.disputeId",    "dispute.type",       "dispute.status",  "dispute.claimAmount", "dispute.refundAmount",
      "dispute.resolution",   "dispute.ticketId",   "dispute.orderId", "dispute.customerName"};
  auto with = [](std::vector<std::string_view> base, std::initializer_list<std::string_view> more) {
    base.insert(base.end(), more);
    return base;
  };

  std::vector<template_row> rows;
  rows.push_back({"ticket.assigned",
                  channel::whatsapp,
                  {"ticket.ticketId", "ticket.subject", "ticket.status", "ticket.priority", "ticket.category",
                   "ticket.customerName", "rep.repId", "rep.name"},
                  {"", "New ticket {{ticket.ticketId}} assigned to you: {{ticket.subject}}"}});
  rows.push_back({"call.assigned",
                  channel::whatsapp,
                  with(call_names, {"rep.repId", "rep.name"}),
                  {"", "New call request for Order #{{call.orderId}} ({{call.callLogId}})"}});
  rows.push_back({"ticket.status_changed",
                  channel::email,
                  {"ticket.ticketId", "ticket.subject", "ticket.status", "ticket.previousStatus", "ticket.priority",
                   "ticket.category", "ticket.customerName"},
                  {"Your ticket {{ticket.ticketId}} is now {{ticket.status}}",
                   "Hello{{#ticket.customerName}} {{ticket.customerName}}{{/ticket.customerName}},\n\n"
                   "your support ticket {{ticket.ticketId}} ({{ticket.subject}}) is now {{ticket.status}}.\n"}});
  rows.push_back({"call.callback_due",
                  channel::sms,
                  with(call_names, {"call.scheduledFor", "rep.repId", "rep.name"}),
                  {"", "Callback due: Order #{{call.orderId}} ({{call.callLogId}}), customer {{call.customerPhone}}"}});
  rows.push_back({"ticket.escalated",
                  channel::whatsapp,
                  {"ticket.ticketId", "ticket.subject", "ticket.status", "ticket.priority", "ticket.category",
                   "ticket.customerName", "ticket.previousAssignee", "rep.repId", "rep.name", "escalation.after"},
                  {"", "Escalated to you: ticket {{ticket.ticketId}} ({{ticket.subject}}) is unresolved after "
                       "{{escalation.after}}"}});
  rows.push_back({"dispute.created",
                  channel::email,
                  dispute_names,
                  {"Your dispute {{dispute.disputeId}} is opened",
                   "Hello{{#dispute.customerName}} {{dispute.customerName}}{{/dispute.customerName}},\n\n"
                   "your dispute {{dispute.disputeId}} ({{dispute.type}}){{#dispute.orderId}} about order "
                   "{{dispute.orderId}}{{/dispute.orderId}} is opened and under {{dispute.status}}. "
                   "We will write to you again once it is resolved.\n"}});
  rows.push_back({"dispute.resolved",
                  channel::email,
                  dispute_names,
                  {"Your dispute {{dispute.disputeId}} is resolved",
                   "Hello{{#dispute.customerName}} {{dispute.customerName}}{{/dispute.customerName}},\n\n"
                   "your dispute {{dispute.disputeId}}{{#dispute.orderId}} about order "
                   "{{dispute.orderId}}{{/dispute.orderId}} is resolved: {{dispute.resolution}}."
                   "{{#dispute.refundAmount}} A refund of INR {{dispute.refundAmount}} is on its way."
                   "{{/dispute.refundAmount}}\n"}});
  rows.push_back({"summary.daily",
                  channel::email,
                  {"rep.repId", "rep.name", "summary.date", "summary.teamSize", "summary.open", "summary.breached",
                   "summary.resolved"},
                  {"Team summary for {{summary.date}}",
                   "Hello{{#rep.name}} {{rep.name}}{{/rep.name}},\n\n"
                   "your team of {{summary.teamSize}} reps on {{summary.date}}:\n"
                   "- open tickets: {{summary.open}}\n"
                   "- breached (SLA): {{summary.breached}}\n"
                   "- resolved in the last 24 hours: {{summary.resolved}}\n"}});
  return rows;
}

std::optional<std::size_t> row_index(std::string_view event, channel ch) {
  const auto& rows = template_catalogue();
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].event == event && rows[i].ch == ch)
      return i;
  return std::nullopt;
}

/// True when `s` (valid UTF-8) holds a control character: U+0000..U+001F, U+007F or
/// U+0080..U+009F, except \n \r \t when `allow_whitespace`.
bool has_control(std::string_view s, bool allow_whitespace) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) {
      if (!(allow_whitespace && (c == '\n' || c == '\r' || c == '\t')))
        return true;
    } else if (c == 0x7f) {
      return true;
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) {
      return true;
    }
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

/// One tag as kainjow's parser reads it with the default delimiters. kind: 0 a variable, '{'
/// an unescaped {{{x}}}, else the sigil (# ^ / > & ! =).
struct tag {
  char kind = 0;
  std::string_view name;
};

/// The tags of `s`, read as kainjow does; stops after a delimiter change (what follows it is read
/// with other delimiters). Precondition: kainjow parsed `s` without error.
std::vector<tag> scan_tags(std::string_view s) {
  std::vector<tag> out;
  std::size_t pos = 0;
  while ((pos = s.find("{{", pos)) != std::string_view::npos) {
    std::size_t begin = pos + 2;
    const bool triple = begin < s.size() && s[begin] == '{';
    if (triple)
      ++begin;
    const std::string_view close = triple ? "}}}" : "}}";
    const std::size_t end = s.find(close, begin);
    if (end == std::string_view::npos)
      break;
    pos = end + close.size();
    auto contents = trim(s.substr(begin, end - begin));
    if (!contents.empty() && contents.front() == '=') {
      out.push_back({'=', contents});
      break;
    }
    if (triple) {
      out.push_back({'{', contents});
      continue;
    }
    if (!contents.empty()) {
      switch (contents.front()) {
      case '#': case '^': case '/': case '>': case '&': case '!':
        out.push_back({contents.front(), trim(contents.substr(1))});
        continue;
      default:
        break;
      }
    }
    out.push_back({0, contents});
  }
  return out;
}

bool offers(const template_row& row, std::string_view name) {
  for (auto p : row.placeholders)
    if (p == name)
      return true;
  return false;
}

std::string offered_list(const template_row& row) {
  std::string out;
  for (auto p : row.placeholders) {
    if (!out.empty())
      out += ", ";
    out.append(p);
  }
  return out;
}

/// The Mustache problem of one part, or empty.
std::string mustache_problem(const template_row& row, const std::string& text) {
  try {
    kainjow::mustache::mustache m{text};
    if (!m.is_valid())
      return "is not valid Mustache: " + m.error_message();
  } catch (const std::exception&) {
    return "is not valid Mustache";
  }
  for (const auto& t : scan_tags(text)) {
    if (t.kind == '=')
      return "must not change the delimiters ({{=...=}})";
    if (t.kind == '>')
      return "must not include a partial ({{>" + printable(t.name) + "}})";
    if (t.kind == '!')
      continue;
    if (!offers(row, t.name))
      return "unknown placeholder {{" + printable(t.name) + "}}; this template offers " + offered_list(row);
  }
  return {};
}

/// The problem of one part, or empty.
std::string part_problem(const template_row& row, const std::string& text, bool subject) {
  if (!valid_utf8(text))
    return "must be valid UTF-8";
  if (has_control(text, !subject))
    return subject ? "must not hold control characters" : "must not hold control characters other than \\n \\r \\t";
  const std::size_t max = subject ? max_subject_bytes : max_body_bytes;
  if (text.size() > max)
    return "must be at most " + std::to_string(max) + " bytes";
  if (text.empty()) {
    if (!subject)
      return "must not be empty";
    if (row.ch == channel::email)
      return "must not be empty for an email";
    return {};
  }
  return mustache_problem(row, text);
}

/// The context's names as nested Mustache objects: "ticket.ticketId" -> {ticket: {ticketId}}.
data build_data(const render_context& ctx) {
  std::map<std::string_view, std::string_view> last; // sorted: a prefix comes before its children
  for (const auto& [name, value] : ctx)
    last[name] = value;
  data root;
  for (const auto& [name, value] : last) {
    if (value.empty())
      continue;
    std::vector<std::string> parts;
    std::size_t start = 0;
    bool ok = true;
    while (ok) {
      const std::size_t dot = name.find('.', start);
      auto part = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
      ok = !part.empty();
      parts.emplace_back(part);
      if (dot == std::string_view::npos)
        break;
      start = dot + 1;
    }
    if (!ok)
      continue;
    data* node = &root;
    for (std::size_t i = 0; ok && i + 1 < parts.size(); ++i) {
      const data* child = node->get(parts[i]);
      if (child && !child->is_object())
        ok = false;
      else
        node = &(*node)[parts[i]];
    }
    if (ok && node->get(parts.back()) == nullptr)
      node->set(parts.back(), data(std::string(value)));
  }
  return root;
}

/// A context in which a partial finds nothing: values are never read as templates.
class no_partials final : public kainjow::mustache::context<std::string> {
public:
  using kainjow::mustache::context<std::string>::context;
  const data* get_partial(const std::string&) const override { return nullptr; }
};

} // namespace

const std::vector<template_row>& template_catalogue() {
  static const std::vector<template_row> rows = build_catalogue();
  return rows;
}

const template_row* find_template_row(std::string_view event, channel ch) {
  auto i = row_index(event, ch);
  return i ? &template_catalogue()[*i] : nullptr;
}

std::optional<error> validate_template(const template_row& row, const template_text& t) {
  validation v;
  if (auto p = part_problem(row, t.subject, true); !p.empty())
    v.add("subject", std::move(p));
  if (auto p = part_problem(row, t.body, false); !p.empty())
    v.add("body", std::move(p));
  if (v.ok())
    return std::nullopt;
  return std::move(v).to_error("the template is not valid");
}

std::string render(std::string_view tmpl, const render_context& ctx) {
  std::string text(tmpl);
  try {
    kainjow::mustache::mustache m{text};
    if (!m.is_valid())
      return text;
    m.set_custom_escape([](const std::string& s) { return s; });
    const data root = build_data(ctx);
    no_partials c{&root};
    std::string out = m.render(c);
    if (!m.is_valid())
      return text;
    return out;
  } catch (const std::exception&) {
    return text;
  }
}

template_text render(const template_text& t, const render_context& ctx) {
  return {render(t.subject, ctx), render(t.body, ctx)};
}

template_set::template_set() : saved_(template_catalogue().size()) {}

const template_text& template_set::get(std::string_view event, channel ch) const {
  static const template_text none;
  auto i = row_index(event, ch);
  if (!i)
    return none;
  return saved_[*i] ? *saved_[*i] : template_catalogue()[*i].fallback;
}

bool template_set::customized(std::string_view event, channel ch) const {
  auto i = row_index(event, ch);
  return i && saved_[*i].has_value();
}

void template_set::set(std::string_view event, channel ch, template_text t) {
  if (auto i = row_index(event, ch))
    saved_[*i] = std::move(t);
}

event_draft decide_template_set(const template_row& row, const template_text& t, const origin& o) {
  return event_draft{o.company_id, std::string(entity_name), std::string(event_type), o.actor, o.now,
                     json::object([&](json::writer& w) {
                       json::kv(w, "event", row.event);
                       json::kv(w, "channel", to_string(row.ch));
                       json::kv(w, "subject", t.subject);
                       json::kv(w, "body", t.body);
                     })};
}

bool apply(template_set& s, const event& e) {
  if (e.type != event_type)
    return true;
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return false;
  std::string_view ev, ch, subject, body;
  if (d["event"].get(ev) || d["channel"].get(ch) || d["subject"].get(subject) || d["body"].get(body))
    return false;
  auto c = parse_channel(ch);
  if (!c)
    return true;
  s.set(ev, *c, template_text{std::string(subject), std::string(body)});
  return true;
}

void write_json(json::writer& w, const template_set& s) {
  w.StartObject();
  json::key(w, "templates");
  w.StartArray();
  for (const auto& row : template_catalogue()) {
    const auto& t = s.get(row.event, row.ch);
    w.StartObject();
    json::kv(w, "event", row.event);
    json::kv(w, "channel", to_string(row.ch));
    json::kv(w, "subject", t.subject);
    json::kv(w, "body", t.body);
    json::key(w, "placeholders");
    w.StartArray();
    for (auto p : row.placeholders)
      json::str(w, p);
    w.EndArray();
    json::key(w, "customized");
    w.Bool(s.customized(row.event, row.ch));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

} // namespace crm::notifications
