#include "domain/dispute.hpp"

#include <cctype>

#include <algorithm>

#include "domain/text.hpp"
#include "domain/ticket_index.hpp"
#include "domain/time_format.hpp"

namespace crm::disputes {

namespace {

constexpr std::string_view type_names[] = {"damaged-goods", "lost-shipment", "delayed-delivery",
                                           "quality-issue"};
constexpr std::string_view status_names[] = {"investigation", "decision", "resolved", "closed"};
constexpr std::string_view resolution_names[] = {"", "refund", "replacement", "rejected"};

template <class E, size_t N>
std::optional<E> parse_enum(std::string_view s, const std::string_view (&names)[N], size_t first = 0) {
  for (size_t i = first; i < N; ++i)
    if (names[i] == s)
      return static_cast<E>(i);
  return std::nullopt;
}

thread_local simdjson::dom::parser tl_parser;

using json::get_str;

constexpr std::string_view prefix = "dispute.";

/// Money member in rupees, as paise; nullopt when absent, null or not exact.
std::optional<std::int64_t> get_money(simdjson::dom::element obj, std::string_view k) {
  double v = 0;
  if (obj[k].get(v))
    return std::nullopt;
  return rupees_to_paise(v);
}

void kv_money_or_null(json::writer& w, std::string_view k, std::optional<std::int64_t> paise) {
  if (paise) {
    json::kv_money(w, k, *paise);
  } else {
    json::key(w, k);
    w.Null();
  }
}

event_draft make(const origin& o, const std::string& entity, std::string type, std::string data) {
  return event_draft{o.company_id, entity, std::move(type), o.actor, o.now, std::move(data)};
}

struct created_fields {
  type t;
  std::string_view related_order_id, related_support_ticket_id, shipment_id, description;
  std::int64_t claim_paise;
  std::string_view customer_email;
  bool automatic;
};

event_draft created(const origin& o, const std::string& id, const created_fields& f) {
  return make(o, id, "dispute.created", json::object([&](json::writer& w) {
                json::kv(w, "disputeId", id);
                json::kv(w, "type", to_string(f.t));
                json::kv_or_null(w, "relatedOrderId", f.related_order_id);
                json::kv_or_null(w, "relatedSupportTicketId", f.related_support_ticket_id);
                json::kv_or_null(w, "shipmentId", f.shipment_id);
                json::kv(w, "description", f.description);
                json::kv_money(w, "claimAmount", f.claim_paise);
                json::kv_or_null(w, "customerEmail", f.customer_email);
                json::key(w, "automatic");
                w.Bool(f.automatic);
              }));
}

/// dispute.resolved and the platform's request that goes with it.
void resolve_events(std::vector<event_draft>& out, const dispute& d, resolution res,
                    std::optional<std::int64_t> refund, const origin& o) {
  out.push_back(make(o, d.id, "dispute.resolved", json::object([&](json::writer& w) {
                       json::kv(w, "resolution", to_string(res));
                       kv_money_or_null(w, "refundAmount", refund);
                     })));
  if (res == resolution::refund)
    out.push_back(make(o, d.id, "dispute.refund_requested", json::object([&](json::writer& w) {
                         json::kv_money(w, "refundAmount", *refund);
                         json::kv_or_null(w, "relatedOrderId", d.related_order_id);
                         json::kv_or_null(w, "shipmentId", d.shipment_id);
                       })));
  else if (res == resolution::replacement)
    out.push_back(make(o, d.id, "dispute.replacement_requested", json::object([&](json::writer& w) {
                         json::kv_or_null(w, "relatedOrderId", d.related_order_id);
                         json::kv_or_null(w, "shipmentId", d.shipment_id);
                       })));
}

error conflict(std::string message, std::string field, std::string problem) {
  return error{errc::conflict, std::move(message), {{std::move(field), std::move(problem)}}};
}

error invalid(std::string field, std::string problem) {
  auto message = field + " " + problem;
  return error{errc::invalid, std::move(message), {{std::move(field), std::move(problem)}}};
}

/// The approval limit on a resolution with `refund`: 403 above it without the authority.
std::optional<error> check_limit(std::int64_t refund, const authority& a) {
  if (a.may_exceed_limit || refund <= a.limit_paise)
    return std::nullopt;
  auto limit = paise_to_string(a.limit_paise);
  return error{errc::forbidden,
               "a refund of " + paise_to_string(refund) + " rupees is above the approval limit of "
                 + limit + " rupees: it needs a manager or admin key",
               {{"refundAmount", "above the approval limit of " + limit}}};
}

/// Checks of a refundAmount against the claim that need no workflow.
void check_refund(validation& v, std::optional<std::int64_t> refund, const dispute& d) {
  if (!refund)
    return;
  if (*refund < 0)
    v.add("refundAmount", "must not be negative");
  else if (*refund > d.claim_paise)
    v.add("refundAmount", "must not be above claimAmount");
}

constexpr const char* type_choice = "must be one of damaged-goods, lost-shipment, delayed-delivery, quality-issue";
constexpr const char* resolution_choice = "must be one of refund, replacement, rejected";

} // namespace

std::optional<type> parse_type(std::string_view s) { return parse_enum<type>(s, type_names); }
std::optional<status> parse_status(std::string_view s) { return parse_enum<status>(s, status_names); }
std::optional<resolution> parse_resolution(std::string_view s) {
  return parse_enum<resolution>(s, resolution_names, 1);
}
const char* to_string(type t) { return type_names[static_cast<int>(t)].data(); }
const char* to_string(status s) { return status_names[static_cast<int>(s)].data(); }
const char* to_string(resolution r) { return resolution_names[static_cast<int>(r)].data(); }

bool transition_allowed(status from, status to) {
  return static_cast<int>(to) == static_cast<int>(from) + 1;
}

std::optional<error> validate(const create_cmd& c) {
  validation v;
  if (c.type.empty())
    v.add("type", "is required");
  else if (!parse_type(c.type))
    v.add("type", type_choice);
  check_identifier(v, "relatedOrderId", c.related_order_id);
  check_identifier(v, "relatedSupportTicketId", c.related_support_ticket_id);
  check_identifier(v, "shipmentId", c.shipment_id);
  tickets::check_length(v, "description", c.description, 0, 10000);
  if (!c.claim_paise)
    v.add("claimAmount", "is required");
  else if (*c.claim_paise <= 0)
    v.add("claimAmount", "must be above 0");
  if (v.ok())
    return std::nullopt;
  return std::move(v).to_error("the dispute is not valid");
}

result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const origin& o, bool automatic) {
  if (auto err = validate(c))
    return std::move(*err);
  std::vector<event_draft> out;
  out.push_back(created(o, id,
                        {*parse_type(c.type), c.related_order_id, c.related_support_ticket_id,
                         c.shipment_id, c.description, *c.claim_paise, c.customer_email, automatic}));
  return out;
}

result<std::vector<event_draft>> decide_update(const dispute& d, const update_cmd& c,
                                               const authority& a, const origin& o) {
  if (c.claim_paise) { // the rest is decided against the claim as it will be
    dispute with_claim = d;
    with_claim.claim_paise = *c.claim_paise;
    update_cmd rest = c;
    rest.claim_paise.reset();
    validation v;
    if (*c.claim_paise <= 0)
      v.add("claimAmount", "must be above 0");
    else if (!c.refund_paise && d.refund_paise && *d.refund_paise > *c.claim_paise)
      v.add("claimAmount", "must not be below the refund set in decision");
    if (!v.ok())
      return std::move(v).to_error("the update is not valid");
    std::vector<event_draft> out;
    if (!rest.status && !rest.resolution && !rest.refund_paise && !rest.notes) {
      if (d.st != status::investigation && d.st != status::decision)
        return conflict("the claim is set in investigation or decision; dispute " + d.id + " is "
                          + to_string(d.st), "claimAmount", "the claim is set before a resolution");
    } else {
      auto more = decide_update(with_claim, rest, a, o);
      if (!more)
        return more.take_error();
      if (d.st != status::investigation && d.st != status::decision)
        return conflict("the claim is set in investigation or decision; dispute " + d.id + " is "
                          + to_string(d.st), "claimAmount", "the claim is set before a resolution");
      out = std::move(more.value());
    }
    out.insert(out.begin(), make(o, d.id, "dispute.claim_set", json::object([&](json::writer& w) {
                                   json::kv_money(w, "claimAmount", *c.claim_paise);
                                 })));
    return out;
  }
  validation v;
  std::optional<status> to;
  std::optional<resolution> res;
  if (c.status && !(to = parse_status(*c.status)))
    v.add("status", "must be one of investigation, decision, resolved, closed");
  if (c.resolution && !(res = parse_resolution(*c.resolution)))
    v.add("resolution", resolution_choice);
  check_refund(v, c.refund_paise, d);
  if (res && *res != resolution::refund && c.refund_paise)
    v.add("refundAmount", std::string("does not go with resolution ") + to_string(*res));
  if (c.notes)
    tickets::check_length(v, "notes", *c.notes, 1, 10000);
  if (!c.status && !c.resolution && !c.refund_paise && !c.notes)
    v.add("body", "must name at least one of status, resolution, refundAmount, notes");
  if (!v.ok())
    return std::move(v).to_error("the update is not valid");

  const bool deciding = c.resolution || c.refund_paise;
  if (to && !transition_allowed(d.st, *to))
    return conflict(std::string("cannot change status from ") + to_string(d.st) + " to " + to_string(*to),
                    "status", "transition not allowed");
  if (d.st == status::closed && (to || deciding))
    return conflict("dispute " + d.id + " is closed", "status", "the dispute is closed");
  if (deciding && to != status::resolved && d.st != status::decision)
    return conflict("the resolution is set in decision; dispute " + d.id + " is in " + to_string(d.st),
                    c.resolution ? "resolution" : "refundAmount", "the resolution is set in decision");
  if (c.notes && d.note_count >= max_notes)
    return conflict("the dispute has " + std::to_string(max_notes) + " notes, the most it may hold",
                    "notes", "at most " + std::to_string(max_notes) + " per dispute");

  // The resolution and refund after this request: the body's, else those set in decision (a
  // refund set earlier counts only with resolution refund).
  const resolution eff_res = res.value_or(d.res);
  std::optional<std::int64_t> eff_refund = c.refund_paise;
  if (!eff_refund && (eff_res == resolution::refund || eff_res == resolution::none))
    eff_refund = d.refund_paise;
  if (c.refund_paise && eff_res != resolution::refund && eff_res != resolution::none)
    return invalid("refundAmount", std::string("does not go with resolution ") + to_string(eff_res));

  const bool resolving = to == status::resolved;
  if (resolving) {
    if (eff_res == resolution::none)
      return invalid("resolution", "is required to resolve");
    if (eff_res == resolution::refund) {
      if (!eff_refund)
        return invalid("refundAmount", "is required for a refund");
      if (*eff_refund <= 0)
        return invalid("refundAmount", "must be above 0 for a refund");
      if (auto err = check_limit(*eff_refund, a))
        return std::move(*err);
    } else {
      eff_refund.reset();
    }
  }

  std::vector<event_draft> out;
  if (deciding && !resolving)
    out.push_back(make(o, d.id, "dispute.decision_set", json::object([&](json::writer& w) {
                         json::kv_or_null(w, "resolution", to_string(eff_res));
                         kv_money_or_null(w, "refundAmount", eff_refund);
                       })));
  if (c.notes)
    out.push_back(make(o, d.id, "dispute.note_added", json::object([&](json::writer& w) {
                         json::kv(w, "noteId", d.id + "-N" + std::to_string(d.note_count + 1));
                         json::kv(w, "note", *c.notes);
                       })));
  if (resolving)
    resolve_events(out, d, eff_res, eff_refund, o);
  else if (to)
    out.push_back(make(o, d.id, "dispute.status_changed", json::object([&](json::writer& w) {
                         json::kv(w, "from", to_string(d.st));
                         json::kv(w, "to", to_string(*to));
                       })));
  return out;
}

result<std::vector<event_draft>> decide_resolve(const dispute& d, const resolve_cmd& c,
                                                const authority& a, const origin& o) {
  validation v;
  std::optional<resolution> res;
  if (c.resolution.empty())
    v.add("resolution", "is required");
  else if (!(res = parse_resolution(c.resolution)))
    v.add("resolution", resolution_choice);
  check_refund(v, c.refund_paise, d);
  if (res == resolution::refund) {
    if (!c.refund_paise)
      v.add("refundAmount", "is required for a refund");
    else if (*c.refund_paise == 0)
      v.add("refundAmount", "must be above 0 for a refund");
  } else if (res && c.refund_paise) {
    v.add("refundAmount", std::string("does not go with resolution ") + to_string(*res));
  }
  if (!v.ok())
    return std::move(v).to_error("the resolution is not valid");
  if (d.st != status::decision)
    return conflict("dispute " + d.id + " is " + to_string(d.st) + ": it is resolved from decision only",
                    "status", "transition not allowed");
  if (*res == resolution::refund)
    if (auto err = check_limit(*c.refund_paise, a))
      return std::move(*err);
  std::vector<event_draft> out;
  resolve_events(out, d, *res, *res == resolution::refund ? c.refund_paise : std::nullopt, o);
  return out;
}

type infer_type(const tickets::ticket& t) {
  auto words = tickets::words_of(t.subject + " " + t.description);
  auto has = [&](std::string_view w) { return std::find(words.begin(), words.end(), w) != words.end(); };
  if (std::any_of(words.begin(), words.end(), [](const std::string& w) { return w.starts_with("damag"); }))
    return type::damaged_goods;
  // "not delivered" as a phrase (words_of keeps no order): the lower-cased text, runs of
  // non-letters read as one space.
  std::string text;
  for (unsigned char c : t.subject + " " + t.description) {
    char l = static_cast<char>(std::tolower(c));
    if (std::isalnum(c))
      text.push_back(l);
    else if (text.empty() || text.back() != ' ')
      text.push_back(' ');
  }
  if (has("lost") || has("missing") || (" " + text + " ").find(" not delivered ") != std::string::npos)
    return type::lost_shipment;
  if (has("quality") || has("defect") || has("defective") || has("wrong"))
    return type::quality_issue;
  if (t.cat == tickets::category::logistics)
    return type::delayed_delivery;
  return type::quality_issue;
}

std::vector<event_draft> decide_automatic(const tickets::ticket& t, const std::string& id,
                                          const origin& o) {
  auto description = "Opened automatically: ticket " + t.id + " unresolved since " + format_time(t.created_at);
  std::vector<event_draft> out;
  out.push_back(created(o, id,
                        {infer_type(t), t.related_order_id, t.id, t.shipment_id, description, 0,
                         t.cust ? std::string_view(t.cust->email) : std::string_view(), true}));
  return out;
}

bool apply(dispute& d, const event& e) {
  simdjson::dom::element data;
  if (tl_parser.parse(e.data).get(data))
    return false;
  if (!std::string_view(e.type).starts_with(prefix))
    return true;
  timeline_entry entry{e.at, e.type.substr(prefix.size()), e.actor, {}, {}, {}, resolution::none, {}, {}};
  bool listed = true;
  if (e.type == "dispute.created") {
    d = dispute{};
    d.id = get_str(data, "disputeId");
    d.company_id = e.company_id;
    d.t = parse_type(get_str(data, "type")).value_or(type::quality_issue);
    d.related_order_id = get_str(data, "relatedOrderId");
    d.related_support_ticket_id = get_str(data, "relatedSupportTicketId");
    d.shipment_id = get_str(data, "shipmentId");
    d.description = get_str(data, "description");
    d.customer_email = get_str(data, "customerEmail");
    d.claim_paise = get_money(data, "claimAmount").value_or(0);
    bool automatic = false;
    d.automatic = !data["automatic"].get(automatic) && automatic;
    d.created_at = e.at;
  } else if (e.type == "dispute.status_changed") {
    auto to = parse_status(get_str(data, "to"));
    if (!to)
      return false;
    entry.from = to_string(d.st);
    entry.to = to_string(*to);
    d.st = *to;
  } else if (e.type == "dispute.claim_set") {
    auto claim = get_money(data, "claimAmount");
    if (!claim)
      return false;
    d.claim_paise = *claim;
    entry.claim_paise = claim;
  } else if (e.type == "dispute.decision_set") {
    d.res = parse_resolution(get_str(data, "resolution")).value_or(resolution::none);
    d.refund_paise = get_money(data, "refundAmount");
    entry.res = d.res;
    entry.refund_paise = d.refund_paise;
  } else if (e.type == "dispute.note_added") {
    entry.note = get_str(data, "note");
    d.note_count += 1;
  } else if (e.type == "dispute.resolved") {
    auto res = parse_resolution(get_str(data, "resolution"));
    if (!res)
      return false;
    entry.from = to_string(d.st);
    entry.to = to_string(status::resolved);
    d.st = status::resolved;
    d.res = *res;
    d.refund_paise = get_money(data, "refundAmount");
    d.resolved_at = e.at;
    entry.res = d.res;
    entry.refund_paise = d.refund_paise;
  } else if (e.type == "dispute.refund_requested" || e.type == "dispute.replacement_requested") {
    listed = false; // for the platform; the timeline has the resolution already
  } else {
    return true; // not a dispute event this version knows: ignored, state unchanged
  }
  if (listed)
    d.timeline.push_back(std::move(entry));
  d.updated_at = e.at;
  d.version += 1;
  if (e.seq)
    d.last_seq = e.seq;
  return true;
}

void write_json(json::writer& w, const dispute& d, bool with_timeline) {
  w.StartObject();
  json::kv(w, "disputeId", d.id);
  json::kv(w, "companyId", d.company_id);
  json::kv(w, "type", to_string(d.t));
  json::kv_or_null(w, "relatedOrderId", d.related_order_id);
  json::kv_or_null(w, "relatedSupportTicketId", d.related_support_ticket_id);
  json::kv_or_null(w, "shipmentId", d.shipment_id);
  json::kv_or_null(w, "description", d.description);
  json::kv_money(w, "claimAmount", d.claim_paise);
  json::kv(w, "status", to_string(d.st));
  json::kv_or_null(w, "resolution", to_string(d.res));
  kv_money_or_null(w, "refundAmount", d.refund_paise);
  json::key(w, "automatic");
  w.Bool(d.automatic);
  json::kv_time(w, "createdAt", d.created_at);
  json::kv_time(w, "updatedAt", d.updated_at);
  json::kv_time(w, "resolvedAt", d.resolved_at);
  if (with_timeline) {
    json::key(w, "timeline");
    w.StartArray();
    for (auto& t : d.timeline) {
      w.StartObject();
      json::kv_time(w, "at", t.at);
      json::kv(w, "type", t.type);
      json::kv(w, "actor", t.actor);
      if (!t.from.empty())
        json::kv(w, "from", t.from);
      if (!t.to.empty())
        json::kv(w, "to", t.to);
      if (t.type == "note_added")
        json::kv(w, "note", t.note);
      if (t.type == "claim_set")
        kv_money_or_null(w, "claimAmount", t.claim_paise);
      if (t.type == "decision_set" || t.type == "resolved") {
        json::kv_or_null(w, "resolution", to_string(t.res));
        kv_money_or_null(w, "refundAmount", t.refund_paise);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

std::string to_json(const dispute& d, bool with_timeline) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, d, with_timeline);
  return {sb.GetString(), sb.GetSize()};
}

} // namespace crm::disputes
