#include "domain/lead.hpp"

#include <algorithm>
#include <cmath>

#include "domain/text.hpp"
#include "domain/time_format.hpp"

namespace crm::leads {

namespace {

constexpr std::string_view status_names[] = {"prospect", "qualified", "proposal",
                                             "negotiation", "won", "lost"};
constexpr std::string_view source_names[] = {"support-ticket", "referral", "marketing",
                                             "inbound-inquiry"};

template <class E, std::size_t N>
std::optional<E> parse_enum(std::string_view s, const std::string_view (&names)[N]) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s)
      return static_cast<E>(i);
  return std::nullopt;
}

thread_local simdjson::dom::parser tl_parser;

using json::get_str;

constexpr millis hour = 3'600'000;
constexpr std::int64_t rupee = 100; // paise

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool phone_chars(std::string_view s) {
  for (char c : s)
    if (!is_digit(c) && c != '+' && c != '-' && c != ' ' && c != '(' && c != ')')
      return false;
  return true;
}

std::size_t digit_count(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), is_digit));
}

event_draft make(const origin& o, const std::string& entity, std::string type, std::string data) {
  return event_draft{o.company_id, entity, std::move(type), o.actor, o.now, std::move(data)};
}

error final_conflict(const lead& l, std::string what) {
  return error{errc::conflict, std::move(what),
               {{"status", std::string("the lead is ") + to_string(l.st)}}};
}

void kv_count(json::writer& w, std::string_view k, std::uint64_t n) {
  json::key(w, k);
  w.Uint64(n);
}

} // namespace

std::optional<status> parse_status(std::string_view s) {
  return parse_enum<status>(s, status_names);
}
std::optional<source> parse_source(std::string_view s) {
  return parse_enum<source>(s, source_names);
}
const char* to_string(status s) { return status_names[static_cast<int>(s)].data(); }
const char* to_string(source s) { return source_names[static_cast<int>(s)].data(); }

bool transition_allowed(status from, status to) {
  if (!is_open(from))
    return false;
  return to == status::lost || to > from;
}

std::string phone_key(std::string_view phone) {
  std::string digits;
  for (char c : phone)
    if (is_digit(c))
      digits.push_back(c);
  if (digits.size() < 10)
    return {};
  return digits.substr(digits.size() - 10);
}

std::string email_key(std::string_view email) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!email.empty() && space(email.front()))
    email.remove_prefix(1);
  while (!email.empty() && space(email.back()))
    email.remove_suffix(1);
  std::string out(email);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

score_factors score_of(const lead& l) {
  score_factors f;
  f.engagement = static_cast<int>(std::min<std::uint32_t>(l.interactions, 5) * 5);
  if (l.first_contact_at) {
    auto d = *l.first_contact_at - l.created_at;
    f.response_time = d <= hour ? 20 : d <= 4 * hour ? 15 : d <= 24 * hour ? 10 : 5;
  }
  auto v = l.estimated_value_paise;
  f.value = v <= 0                ? 0
            : v < 10'000 * rupee  ? 10
            : v < 50'000 * rupee  ? 15
            : v < 100'000 * rupee ? 20
            : v < 500'000 * rupee ? 25
                                  : 30;
  switch (l.src) {
    case source::referral: f.source = 25; break;
    case source::inbound_inquiry: f.source = 20; break;
    case source::support_ticket: f.source = 15; break;
    case source::marketing: f.source = 10; break;
  }
  return f;
}

std::optional<error> validate(const create_cmd& c) {
  validation v;
  tickets::check_length(v, "name", c.name, 1, 200);
  if (!c.email.empty() && !tickets::valid_email(c.email))
    v.add("email", "must be a valid email address");
  if (!c.phone.empty()) {
    if (c.phone.size() > 20 || !phone_chars(c.phone))
      v.add("phone", "must be up to 20 characters of digits, +, -, spaces and parentheses");
    else if (digit_count(c.phone) < 10)
      v.add("phone", "must have at least 10 digits");
  }
  if (c.email.empty() && c.phone.empty())
    v.add("email", "email or phone is required");
  if (c.source.empty())
    v.add("source", "is required");
  else if (!parse_source(c.source))
    v.add("source", "must be one of support-ticket, referral, marketing, inbound-inquiry");
  tickets::check_length(v, "territory", c.territory, 0, 100);
  check_identifier(v, "relatedSupportTicketId", c.related_support_ticket_id);
  if (c.estimated_value_paise && *c.estimated_value_paise < 0)
    v.add("estimatedValue", "must be zero or more");
  tickets::check_length(v, "assignedTo", c.assigned_to, 0, 100);
  if (v.ok())
    return std::nullopt;
  return std::move(v).to_error("the lead is not valid");
}

result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const std::string& assignee, const origin& o) {
  if (auto err = validate(c))
    return std::move(*err);
  std::vector<event_draft> out;
  out.push_back(make(o, id, "lead.created", json::object([&](json::writer& w) {
                       json::kv(w, "leadId", id);
                       json::kv(w, "name", c.name);
                       if (!c.email.empty())
                         json::kv(w, "email", c.email);
                       if (!c.phone.empty())
                         json::kv(w, "phone", c.phone);
                       json::kv(w, "source", c.source);
                       if (!c.territory.empty())
                         json::kv(w, "territory", c.territory);
                       if (!c.related_support_ticket_id.empty())
                         json::kv(w, "relatedSupportTicketId", c.related_support_ticket_id);
                       if (c.estimated_value_paise)
                         json::kv_money(w, "estimatedValue", *c.estimated_value_paise);
                       if (!assignee.empty())
                         json::kv(w, "assignedTo", assignee);
                     })));
  return out;
}

result<std::vector<event_draft>> decide_update(const lead& l, const update_cmd& c, const origin& o) {
  validation v;
  std::optional<status> to;
  if (c.status && !(to = parse_status(*c.status)))
    v.add("status", "must be one of prospect, qualified, proposal, negotiation, won, lost");
  if (c.assigned_to)
    tickets::check_length(v, "assignedTo", *c.assigned_to, 0, 100);
  if (c.notes)
    tickets::check_length(v, "notes", *c.notes, 1, 10000);
  if (!c.status && !c.assigned_to && !c.notes)
    v.add("body", "must name at least one of status, assignedTo, notes");
  if (!v.ok())
    return std::move(v).to_error("the update is not valid");
  if (to && !transition_allowed(l.st, *to))
    return error{errc::conflict, std::string("cannot change status from ") + to_string(l.st)
                                   + " to " + to_string(*to),
                 {{"status", "transition not allowed"}}};
  if (c.assigned_to && !is_open(l.st))
    return final_conflict(l, std::string("the lead is ") + to_string(l.st)
                               + ": its assignee no longer changes");
  if (c.notes && l.notes.size() >= max_notes)
    return error{errc::conflict,
                 "the lead has " + std::to_string(max_notes) + " notes, the most it may hold",
                 {{"notes", "at most " + std::to_string(max_notes) + " per lead"}}};
  std::vector<event_draft> out;
  if (c.assigned_to && *c.assigned_to != l.assigned_to)
    out.push_back(make(o, l.id, "lead.assigned", json::object([&](json::writer& w) {
                         json::kv_or_null(w, "from", l.assigned_to);
                         json::kv_or_null(w, "to", *c.assigned_to);
                       })));
  if (c.notes)
    out.push_back(make(o, l.id, "lead.note_added", json::object([&](json::writer& w) {
                         json::kv(w, "noteId", l.id + "-N" + std::to_string(l.notes.size() + 1));
                         json::kv(w, "note", *c.notes);
                       })));
  if (to)
    out.push_back(make(o, l.id, "lead.status_changed", json::object([&](json::writer& w) {
                         json::kv(w, "from", to_string(l.st));
                         json::kv(w, "to", to_string(*to));
                       })));
  return out;
}

result<std::vector<event_draft>> decide_convert(const lead& l, const convert_cmd& c, const origin& o) {
  validation v;
  check_identifier(v, "orderId", c.order_id, true);
  if (!v.ok())
    return std::move(v).to_error("the conversion is not valid");
  if (!is_open(l.st))
    return final_conflict(l, std::string("the lead is ") + to_string(l.st) + " already");
  std::vector<event_draft> out;
  out.push_back(make(o, l.id, "lead.converted", json::object([&](json::writer& w) {
                       json::kv(w, "orderId", c.order_id);
                     })));
  return out;
}

bool apply(lead& l, const event& e) {
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return false;
  const bool staff = e.actor != "system";
  auto contact = [&] {
    l.interactions += 1;
    if (staff && !l.first_contact_at)
      l.first_contact_at = e.at;
  };
  if (e.type == "lead.created") {
    l = lead{};
    l.id = get_str(d, "leadId");
    l.company_id = e.company_id;
    l.name = get_str(d, "name");
    l.email = get_str(d, "email");
    l.phone = get_str(d, "phone");
    l.src = parse_source(get_str(d, "source")).value_or(source::inbound_inquiry);
    l.territory = get_str(d, "territory");
    l.related_support_ticket_id = get_str(d, "relatedSupportTicketId");
    double rupees = 0;
    if (!d["estimatedValue"].get(rupees))
      l.estimated_value_paise = rupees_to_paise(rupees).value_or(0);
    l.created_at = e.at;
    l.assigned_to = get_str(d, "assignedTo"); // logs before 2026-12-03: a lead.assigned follows
  } else if (e.type == "lead.assigned") {
    l.assigned_to = get_str(d, "to");
  } else if (e.type == "lead.status_changed") {
    auto to = parse_status(get_str(d, "to"));
    if (!to)
      return false;
    l.st = *to;
    if (*to != status::lost)
      l.furthest = std::max(l.furthest, *to);
    contact();
  } else if (e.type == "lead.note_added") {
    l.notes.push_back(note{std::string(get_str(d, "noteId")), std::string(get_str(d, "note")),
                           e.actor, e.at});
    contact();
  } else if (e.type == "lead.converted") {
    l.st = status::won;
    l.furthest = status::won;
    l.converted_order_id = get_str(d, "orderId");
    l.converted_at = e.at;
    contact();
  } else {
    return true; // not a lead event this version knows: ignored, state unchanged
  }
  l.updated_at = e.at;
  l.version += 1;
  if (e.seq)
    l.last_seq = e.seq;
  l.factors = score_of(l);
  l.score = l.factors.total();
  return true;
}

void write_json(json::writer& w, const lead& l, bool with_notes) {
  w.StartObject();
  json::kv(w, "id", l.id);
  json::kv(w, "companyId", l.company_id);
  json::kv(w, "name", l.name);
  json::kv_or_null(w, "email", l.email);
  json::kv_or_null(w, "phone", l.phone);
  json::kv(w, "source", to_string(l.src));
  json::kv_or_null(w, "territory", l.territory);
  json::kv_or_null(w, "relatedSupportTicketId", l.related_support_ticket_id);
  json::kv_money(w, "estimatedValue", l.estimated_value_paise);
  json::kv(w, "status", to_string(l.st));
  json::kv_or_null(w, "assignedTo", l.assigned_to);
  json::key(w, "score");
  w.Int(l.score);
  json::key(w, "scoreFactors");
  w.StartObject();
  json::key(w, "engagement");
  w.Int(l.factors.engagement);
  json::key(w, "responseTime");
  w.Int(l.factors.response_time);
  json::key(w, "value");
  w.Int(l.factors.value);
  json::key(w, "source");
  w.Int(l.factors.source);
  w.EndObject();
  json::kv_or_null(w, "convertedOrderId", l.converted_order_id);
  json::kv_time(w, "convertedAt", l.converted_at);
  if (with_notes) {
    json::key(w, "notes");
    w.StartArray();
    for (auto& n : l.notes) {
      w.StartObject();
      json::kv(w, "noteId", n.id);
      json::kv(w, "note", n.text);
      json::kv(w, "author", n.author);
      json::kv_time(w, "createdAt", n.created_at);
      w.EndObject();
    }
    w.EndArray();
  }
  json::kv_time(w, "createdAt", l.created_at);
  json::kv_time(w, "updatedAt", l.updated_at);
  w.EndObject();
}

std::string to_json(const lead& l, bool with_notes) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, l, with_notes);
  return {sb.GetString(), sb.GetSize()};
}

void count(funnel& f, const lead& l) {
  if ((f.from && l.created_at < *f.from) || (f.to && l.created_at > *f.to))
    return;
  auto reached = std::min(static_cast<int>(l.furthest), static_cast<int>(status::won));
  for (int s = 0; s <= reached; ++s)
    f.stages[s] += 1;
  if (l.st == status::lost)
    f.stages[static_cast<int>(status::lost)] += 1;
}

std::string to_json(const funnel& f) {
  auto rate = [&](status from, status to) {
    auto base = f.stages[static_cast<int>(from)];
    if (base == 0)
      return 0.0;
    return std::round(static_cast<double>(f.stages[static_cast<int>(to)]) / static_cast<double>(base)
                      * 10000.0)
           / 10000.0;
  };
  return json::object([&](json::writer& w) {
    json::kv_time(w, "from", f.from);
    json::kv_time(w, "to", f.to);
    json::key(w, "stages");
    w.StartObject();
    for (int s = 0; s < status_count; ++s)
      kv_count(w, to_string(static_cast<status>(s)), f.stages[s]);
    w.EndObject();
    json::key(w, "conversionRates");
    w.StartObject();
    json::key(w, "prospectToQualified");
    w.Double(rate(status::prospect, status::qualified));
    json::key(w, "qualifiedToProposal");
    w.Double(rate(status::qualified, status::proposal));
    json::key(w, "proposalToNegotiation");
    w.Double(rate(status::proposal, status::negotiation));
    json::key(w, "negotiationToWon");
    w.Double(rate(status::negotiation, status::won));
    w.EndObject();
  });
}

} // namespace crm::leads
