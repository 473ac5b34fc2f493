#include "domain/rep.hpp"

#include <algorithm>

#include "domain/paging.hpp"
#include "domain/ticket_index.hpp"
#include "domain/time_format.hpp"

namespace crm::reps {

namespace {

constexpr std::string_view status_names[] = {"active", "inactive"};
constexpr std::string_view availability_names[] = {"available", "busy", "offline"};

thread_local simdjson::dom::parser tl_parser;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using json::get_str;

bool has(simdjson::dom::element obj, std::string_view k) {
  simdjson::dom::element x;
  return !obj[k].get(x);
}

using tickets::check_length;

void check_skills(validation& v, const std::vector<std::string>& skills) {
  for (auto& s : skills)
    if (!tickets::parse_category(s)) {
      v.add("skills", "each must be one of technical, billing, logistics, other");
      return;
    }
}

void check_bank(validation& v, const bank_input& b) {
  if (!valid_account_number(b.account_number))
    v.add("bankDetails.accountNumber", "must be 9..18 digits");
  if (!valid_ifsc(b.ifsc))
    v.add("bankDetails.ifscCode", "must match ^[A-Z]{4}0[A-Z0-9]{6}$");
  check_length(v, "bankDetails.accountHolderName", b.holder, 1, 200);
}

result<sealed_bank> seal_bank(const bank_input& b, const sealer& seal) {
  auto plain = json::object([&](json::writer& w) {
    json::kv(w, "accountNumber", b.account_number);
    json::kv(w, "accountHolderName", b.holder);
  });
  auto sealed = seal(plain);
  std::fill(plain.begin(), plain.end(), '\0');
  if (!sealed)
    return error{errc::unavailable, "the bank details cannot be encrypted now; nothing was stored"};
  return sealed_bank{std::move(*sealed), b.ifsc, b.account_number.substr(b.account_number.size() - 4)};
}

void write_sealed(json::writer& w, const sealed_bank& b) {
  w.StartObject();
  json::kv(w, "sealed", b.sealed);
  json::kv(w, "ifscCode", b.ifsc);
  json::kv(w, "last4", b.last4);
  w.EndObject();
}

std::optional<sealed_bank> read_sealed(simdjson::dom::element d) {
  simdjson::dom::element b;
  if (d["bankDetails"].get(b) || !b.is_object())
    return std::nullopt;
  return sealed_bank{std::string(get_str(b, "sealed")), std::string(get_str(b, "ifscCode")),
                     std::string(get_str(b, "last4"))};
}

void write_skills(json::writer& w, const std::vector<std::string>& skills) {
  w.StartArray();
  for (auto& s : skills)
    json::str(w, s);
  w.EndArray();
}

event_draft make(const tickets::origin& o, const std::string& entity, std::string type,
                 std::string data) {
  return event_draft{o.company_id, entity, std::move(type), o.actor, o.now, std::move(data)};
}

/// 422 when `manager` names no rep of the company or closes a loop.
void check_manager(validation& v, const roster& all, const std::string& id,
                   const std::string& manager) {
  if (manager.empty())
    return;
  if (!all.find(manager))
    v.add("reportingTo", "names no sales rep of the company");
  else if (manager == id || all.would_cycle(id, manager))
    v.add("reportingTo", "would make a reporting cycle");
}

} // namespace

std::optional<status> parse_status(std::string_view s) {
  for (std::size_t i = 0; i < 2; ++i)
    if (status_names[i] == s)
      return static_cast<status>(i);
  return std::nullopt;
}
std::optional<availability> parse_availability(std::string_view s) {
  for (std::size_t i = 0; i < 3; ++i)
    if (availability_names[i] == s)
      return static_cast<availability>(i);
  return std::nullopt;
}
const char* to_string(status s) { return status_names[static_cast<int>(s)].data(); }
const char* to_string(availability a) { return availability_names[static_cast<int>(a)].data(); }

bool valid_phone(std::string_view s) {
  if (s.size() == 13 && s.substr(0, 3) == "+91")
    s.remove_prefix(3);
  if (s.size() != 10 || s[0] < '6' || s[0] > '9')
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_ifsc(std::string_view s) {
  if (s.size() != 11 || s[4] != '0')
    return false;
  for (std::size_t i = 0; i < 11; ++i) {
    char c = s[i];
    bool upper = c >= 'A' && c <= 'Z';
    bool digit = c >= '0' && c <= '9';
    if (i < 4 ? !upper : !(upper || digit))
      return false;
  }
  return true;
}

bool valid_account_number(std::string_view s) {
  return s.size() >= 9 && s.size() <= 18
         && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string mask_account(std::string_view last4) {
  return "XXXXXX" + std::string(last4);
}

// -- roster ----------------------------------------------------------------------------------

const rep* roster::find(const std::string& id) const {
  auto it = reps_.find(id);
  return it == reps_.end() ? nullptr : &it->second;
}

const rep* roster::by_email(std::string_view email) const {
  auto it = emails_.find(lower(email));
  return it == emails_.end() ? nullptr : find(it->second);
}

void roster::unlist(const rep& r) {
  auto t = territories_.find(r.territory);
  if (t == territories_.end())
    return;
  std::erase(t->second, &r);
  if (t->second.empty())
    territories_.erase(t);
}

void roster::reindex() {
  territories_.clear();
  for (auto& [id, r] : reps_)
    if (!r.territory.empty())
      territories_[r.territory].push_back(&r);
}

void roster::put(rep r) {
  auto it = reps_.find(r.id);
  if (it != reps_.end()) {
    auto old = lower(it->second.email);
    if (auto e = emails_.find(old); e != emails_.end() && e->second == r.id)
      emails_.erase(e);
    unlist(it->second);
  }
  emails_[lower(r.email)] = r.id;
  auto id = r.id;
  auto& kept = reps_[id] = std::move(r);
  if (!kept.territory.empty())
    territories_[kept.territory].push_back(&kept);
}

void roster::erase(const std::string& id) {
  auto it = reps_.find(id);
  if (it == reps_.end())
    return;
  if (auto e = emails_.find(lower(it->second.email)); e != emails_.end() && e->second == id)
    emails_.erase(e);
  unlist(it->second);
  reps_.erase(it);
}

bool roster::would_cycle(const std::string& id, const std::string& manager) const {
  // Walk up from the new manager: reaching `id` closes a loop. The walk is bounded by the number
  // of reps, so a loop already in the data (there is none) could not hang it.
  std::string at = manager;
  for (std::size_t steps = 0; !at.empty() && steps <= reps_.size(); ++steps) {
    if (at == id)
      return true;
    auto r = find(at);
    if (!r)
      return false;
    at = r->reporting_to;
  }
  return !at.empty();
}

// -- decide ----------------------------------------------------------------------------------

std::optional<error> validate(const create_cmd& c) {
  validation v;
  check_length(v, "name", c.name, 1, 200);
  if (c.email.empty())
    v.add("email", "is required");
  else if (!tickets::valid_email(c.email))
    v.add("email", "must be a valid email address");
  if (c.phone.empty())
    v.add("phone", "is required");
  else if (!valid_phone(c.phone))
    v.add("phone", "must be an Indian mobile number: +91 and 10 digits from 6-9, or the 10 digits");
  check_length(v, "territory", c.territory, 0, 100);
  if (c.availability && !parse_availability(*c.availability))
    v.add("availabilityStatus", "must be one of available, busy, offline");
  check_skills(v, c.skills);
  if (c.max_open_items && (*c.max_open_items < 1 || *c.max_open_items > 100000))
    v.add("maxOpenItems", "must be 1..100000 or null");
  if (c.bank)
    check_bank(v, *c.bank);
  if (v.ok())
    return std::nullopt;
  return std::move(v).to_error("the sales rep is not valid");
}

result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const tickets::origin& o, const roster& all,
                                               std::int64_t default_commission, const sealer& seal) {
  if (auto err = validate(c))
    return std::move(*err);
  validation v;
  check_manager(v, all, id, c.reporting_to);
  if (!v.ok())
    return std::move(v).to_error("the sales rep is not valid");
  if (auto other = all.by_email(c.email))
    return error{errc::conflict, "a sales rep with this email exists: " + other->id,
                 {{"email", "already used by " + other->id}}};
  std::optional<sealed_bank> bank;
  if (c.bank) {
    auto b = seal_bank(*c.bank, seal);
    if (!b)
      return b.take_error();
    bank = std::move(b.value());
  }
  auto data = json::object([&](json::writer& w) {
    json::kv(w, "id", id);
    json::kv(w, "name", c.name);
    json::kv(w, "email", c.email);
    json::kv(w, "phone", c.phone);
    json::kv(w, "territory", c.territory);
    json::kv_or_null(w, "reportingTo", c.reporting_to);
    json::kv(w, "availabilityStatus", c.availability.value_or("available"));
    json::kv_money(w, "commissionPerTicket", c.commission_paise.value_or(default_commission));
    json::key(w, "skills");
    write_skills(w, c.skills);
    json::key(w, "maxOpenItems");
    if (c.max_open_items)
      w.Int64(*c.max_open_items);
    else
      w.Null();
    if (bank) {
      json::key(w, "bankDetails");
      write_sealed(w, *bank);
    }
  });
  std::vector<event_draft> out;
  out.push_back(make(o, id, "rep.created", std::move(data)));
  return out;
}

result<std::vector<event_draft>> decide_update(const rep& r, const update_cmd& c,
                                               const tickets::origin& o, const roster& all,
                                               const sealer& seal) {
  validation v;
  if (c.empty())
    v.add("body", "must name at least one field to change");
  if (c.name)
    check_length(v, "name", *c.name, 1, 200);
  if (c.email && !tickets::valid_email(*c.email))
    v.add("email", "must be a valid email address");
  if (c.phone && !valid_phone(*c.phone))
    v.add("phone", "must be an Indian mobile number: +91 and 10 digits from 6-9, or the 10 digits");
  if (c.territory)
    check_length(v, "territory", *c.territory, 0, 100);
  std::optional<availability> avail;
  if (c.availability && !(avail = parse_availability(*c.availability)))
    v.add("availabilityStatus", "must be one of available, busy, offline");
  std::optional<status> st;
  if (c.status && !(st = parse_status(*c.status)))
    v.add("status", "must be one of active, inactive");
  if (c.skills)
    check_skills(v, *c.skills);
  if (c.max_open_items && *c.max_open_items && (**c.max_open_items < 1 || **c.max_open_items > 100000))
    v.add("maxOpenItems", "must be 1..100000 or null");
  if (c.bank)
    check_bank(v, *c.bank);
  if (c.reporting_to)
    check_manager(v, all, r.id, *c.reporting_to);
  if (!v.ok())
    return std::move(v).to_error("the update is not valid");
  if (c.email) {
    auto other = all.by_email(*c.email);
    if (other && other->id != r.id)
      return error{errc::conflict, "a sales rep with this email exists: " + other->id,
                   {{"email", "already used by " + other->id}}};
  }
  std::vector<event_draft> out;
  bool fields = (c.name && *c.name != r.name) || (c.email && *c.email != r.email)
                || (c.phone && *c.phone != r.phone) || (c.territory && *c.territory != r.territory)
                || (c.reporting_to && *c.reporting_to != r.reporting_to)
                || (c.skills && *c.skills != r.skills)
                || (c.max_open_items && *c.max_open_items != r.max_open_items)
                || (c.commission_paise && *c.commission_paise != r.commission_paise);
  if (fields)
    out.push_back(make(o, r.id, "rep.updated", json::object([&](json::writer& w) {
                         if (c.name && *c.name != r.name)
                           json::kv(w, "name", *c.name);
                         if (c.email && *c.email != r.email)
                           json::kv(w, "email", *c.email);
                         if (c.phone && *c.phone != r.phone)
                           json::kv(w, "phone", *c.phone);
                         if (c.territory && *c.territory != r.territory)
                           json::kv(w, "territory", *c.territory);
                         if (c.reporting_to && *c.reporting_to != r.reporting_to)
                           json::kv_or_null(w, "reportingTo", *c.reporting_to);
                         if (c.skills && *c.skills != r.skills) {
                           json::key(w, "skills");
                           write_skills(w, *c.skills);
                         }
                         if (c.max_open_items && *c.max_open_items != r.max_open_items) {
                           json::key(w, "maxOpenItems");
                           if (*c.max_open_items)
                             w.Int64(**c.max_open_items);
                           else
                             w.Null();
                         }
                         if (c.commission_paise && *c.commission_paise != r.commission_paise)
                           json::kv_money(w, "commissionPerTicket", *c.commission_paise);
                       })));
  if (c.bank) {
    auto bank = seal_bank(*c.bank, seal);
    if (!bank)
      return bank.take_error();
    out.push_back(make(o, r.id, "rep.bank_details_set", json::object([&](json::writer& w) {
                         json::key(w, "bankDetails");
                         write_sealed(w, bank.value());
                       })));
  }
  if (avail && *avail != r.avail)
    out.push_back(make(o, r.id, "rep.availability_changed", json::object([&](json::writer& w) {
                         json::kv(w, "from", to_string(r.avail));
                         json::kv(w, "to", to_string(*avail));
                       })));
  if (st && *st != r.st)
    out.push_back(make(o, r.id, *st == status::inactive ? "rep.deactivated" : "rep.reactivated",
                       "{}"));
  return out;
}

result<std::vector<event_draft>> decide_deactivate(const rep& r, const tickets::origin& o) {
  if (r.st == status::inactive)
    return error{errc::conflict, "the sales rep " + r.id + " is already inactive"};
  std::vector<event_draft> out;
  out.push_back(make(o, r.id, "rep.deactivated", "{}"));
  return out;
}

std::vector<event_draft> decide_rekey(const rep& r, const tickets::origin& o, const opener& open,
                                      const sealer& seal, const std::string& current_version) {
  std::vector<event_draft> out;
  if (!r.bank || r.bank->sealed.compare(0, current_version.size() + 1, current_version + ":") == 0)
    return out;
  auto plain = open(r.bank->sealed);
  if (!plain)
    return out;
  auto sealed = seal(*plain);
  std::fill(plain->begin(), plain->end(), '\0');
  if (!sealed)
    return out; // not re-sealed now: crm-admin says how many are left
  sealed_bank b{std::move(*sealed), r.bank->ifsc, r.bank->last4};
  out.push_back(make(o, r.id, "rep.bank_details_rekeyed", json::object([&](json::writer& w) {
                       json::key(w, "bankDetails");
                       write_sealed(w, b);
                     })));
  return out;
}

bool apply(rep& r, const event& e) {
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return false;
  auto read_skills = [&](std::vector<std::string>& out) {
    simdjson::dom::array a;
    out.clear();
    if (!d["skills"].get(a))
      for (auto s : a) {
        std::string_view v;
        if (!s.get(v))
          out.emplace_back(v);
      }
  };
  auto read_max = [&]() -> std::optional<std::int64_t> {
    std::int64_t n;
    if (d["maxOpenItems"].get(n))
      return std::nullopt;
    return n;
  };
  auto read_money = [&](std::int64_t& out) {
    double v;
    if (!d["commissionPerTicket"].get(v))
      out = rupees_to_paise(v).value_or(out);
  };
  if (e.type == "rep.created") {
    r = rep{};
    r.id = get_str(d, "id");
    r.company_id = e.company_id;
    r.name = get_str(d, "name");
    r.email = get_str(d, "email");
    r.phone = get_str(d, "phone");
    r.territory = get_str(d, "territory");
    r.reporting_to = get_str(d, "reportingTo");
    r.avail = parse_availability(get_str(d, "availabilityStatus")).value_or(availability::available);
    read_money(r.commission_paise);
    read_skills(r.skills);
    r.max_open_items = read_max();
    r.bank = read_sealed(d);
    r.created_at = e.at;
    r.last_activity_at = e.at;
  } else if (e.type == "rep.updated") {
    if (has(d, "name"))
      r.name = get_str(d, "name");
    if (has(d, "email"))
      r.email = get_str(d, "email");
    if (has(d, "phone"))
      r.phone = get_str(d, "phone");
    if (has(d, "territory"))
      r.territory = get_str(d, "territory");
    if (has(d, "reportingTo"))
      r.reporting_to = get_str(d, "reportingTo");
    if (has(d, "skills"))
      read_skills(r.skills);
    if (has(d, "maxOpenItems"))
      r.max_open_items = read_max();
    read_money(r.commission_paise);
  } else if (e.type == "rep.availability_changed") {
    r.avail = parse_availability(get_str(d, "to")).value_or(r.avail);
    r.last_activity_at = e.at;
  } else if (e.type == "rep.bank_details_set" || e.type == "rep.bank_details_rekeyed") {
    r.bank = read_sealed(d);
  } else if (e.type == "rep.deactivated") {
    r.st = status::inactive;
  } else if (e.type == "rep.reactivated") {
    r.st = status::active;
  } else {
    return true;
  }
  r.updated_at = e.at;
  r.version += 1;
  if (e.seq)
    r.last_seq = e.seq;
  return true;
}

void write_json(json::writer& w, const rep& r, const std::string* revealed) {
  w.StartObject();
  json::kv(w, "id", r.id);
  json::kv(w, "companyId", r.company_id);
  json::kv(w, "name", r.name);
  json::kv(w, "email", r.email);
  json::kv(w, "phone", r.phone);
  json::kv(w, "territory", r.territory);
  json::kv_or_null(w, "reportingTo", r.reporting_to);
  json::kv(w, "status", to_string(r.st));
  json::kv(w, "availabilityStatus", to_string(r.avail));
  json::kv_time(w, "lastActivityAt", r.last_activity_at);
  json::kv_money(w, "commissionPerTicket", r.commission_paise);
  json::key(w, "skills");
  write_skills(w, r.skills);
  json::key(w, "maxOpenItems");
  if (r.max_open_items)
    w.Int64(*r.max_open_items);
  else
    w.Null();
  json::key(w, "bankDetails");
  if (!r.bank) {
    w.Null();
  } else {
    w.StartObject();
    json::kv(w, "accountNumberMasked", mask_account(r.bank->last4));
    json::kv(w, "ifscCode", r.bank->ifsc);
    if (revealed) {
      simdjson::dom::element p;
      if (!tl_parser.parse(*revealed).get(p)) {
        json::kv(w, "accountNumber", get_str(p, "accountNumber"));
        json::kv(w, "accountHolderName", get_str(p, "accountHolderName"));
      }
    }
    w.EndObject();
  }
  json::kv_time(w, "createdAt", r.created_at);
  json::kv_time(w, "updatedAt", r.updated_at);
  w.EndObject();
}

std::string to_json(const rep& r, const std::string* revealed) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, r, revealed);
  return {sb.GetString(), sb.GetSize()};
}

list_page list(const roster& all, const list_query& q) {
  auto match = [](const std::vector<std::string>& want, std::string_view v) {
    return want.empty() || std::find(want.begin(), want.end(), v) != want.end();
  };
  std::vector<const rep*> hits;
  all.each([&](const rep& r) {
    if (match(q.territory, r.territory) && match(q.status, to_string(r.st))
        && match(q.availability, to_string(r.avail)))
      hits.push_back(&r);
  });
  auto key_less = [&](const rep* a, const rep* b) {
    if (q.sort_by == "name" && a->name != b->name)
      return a->name < b->name;
    if (q.sort_by == "createdAt" && a->created_at != b->created_at)
      return a->created_at < b->created_at;
    return tickets::id_number(a->id) < tickets::id_number(b->id);
  };
  std::sort(hits.begin(), hits.end(), [&](const rep* a, const rep* b) {
    return q.descending ? key_less(b, a) : key_less(a, b);
  });
  list_page out;
  out.total = hits.size();
  out.page = q.page;
  out.limit = q.limit;
  out.reps = page_of(hits, q.page, q.limit);
  return out;
}

void performance_ledger::add(const event& e) {
  last_seq_ = std::max(last_seq_, e.seq);
  bool ticket = e.type.compare(0, 7, "ticket.") == 0, call = e.type.compare(0, 5, "call.") == 0,
       rep = e.type == "rep.created" || e.type == "rep.updated",
       lead = e.type == "lead.created" || e.type == "lead.assigned" || e.type == "lead.status_changed"
              || e.type == "lead.converted";
  if (!ticket && !call && !rep && !lead)
    return;
  simdjson::dom::element d;
  if (tl_parser.parse(e.data).get(d))
    return;
  if (rep) {
    double rupees = 0;
    if (!d["commissionPerTicket"].get(rupees))
      reps_[e.entity].rate_paise = rupees_to_paise(rupees).value_or(0);
  } else if (ticket) {
    auto& t = tickets_[e.entity];
    if (e.type == "ticket.created") {
      t.created_at = e.at;
      t.sla_due_at = parse_time(get_str(d, "slaDueAt")).value_or(e.at);
    } else if (e.type == "ticket.assigned" || (e.type == "ticket.escalated" && has(d, "to"))) {
      t.assignee = get_str(d, "to");
      if (!t.assignee.empty())
        reps_[t.assignee].assigned.push_back(e.at);
    } else if (e.type == "ticket.status_changed" && get_str(d, "to") == "resolved" && !t.assignee.empty()) {
      auto& r = reps_[t.assignee];
      r.resolved.push_back({e.at, e.at - t.created_at, e.at <= t.sla_due_at, r.rate_paise});
    }
  } else if (lead) {
    if (e.type == "lead.created" || e.type == "lead.assigned") {
      auto to = get_str(d, e.type == "lead.created" ? "assignedTo" : "to");
      if (e.type == "lead.assigned" || !to.empty())
        lead_assignee_[e.entity] = to;
      return;
    }
    auto to = e.type == "lead.converted" ? std::string_view("won") : get_str(d, "to");
    auto it = lead_assignee_.find(e.entity);
    if ((to != "won" && to != "lost") || it == lead_assignee_.end() || it->second.empty())
      return;
    auto& r = reps_[it->second];
    (to == "won" ? r.leads_won : r.leads_lost).push_back(e.at);
  } else if (e.type == "call.assigned") {
    call_assignee_[e.entity] = get_str(d, "to");
  } else if (e.type == "call.unassigned" || e.type == "call.callback_due") {
    call_assignee_.erase(e.entity);
  } else if (e.type == "call.completed") {
    if (auto it = call_assignee_.find(e.entity); it != call_assignee_.end() && !it->second.empty())
      reps_[it->second].calls_completed.push_back(e.at);
  }
}

performance performance_ledger::query(const std::string& rep, std::optional<millis> from,
                                      std::optional<millis> to) const {
  performance p;
  auto it = reps_.find(rep);
  if (it == reps_.end())
    return p;
  auto in = [&](millis at) { return (!from || at >= *from) && (!to || at <= *to); };
  auto& r = it->second;
  for (auto at : r.assigned)
    p.tickets_assigned += in(at);
  for (auto& x : r.resolved) {
    if (!in(x.at))
      continue;
    ++p.tickets_resolved;
    p.resolution_ms_total += x.took;
    p.resolved_within_sla += x.within_sla;
    p.commission_paise += x.commission_paise;
  }
  for (auto at : r.calls_completed)
    p.calls_completed += in(at);
  for (auto at : r.leads_won)
    p.leads_won += in(at);
  p.leads_closed = p.leads_won;
  for (auto at : r.leads_lost)
    p.leads_closed += in(at);
  return p;
}

void write_json(json::writer& w, const performance& p) {
  w.StartObject();
  w.Key("ticketsAssigned");
  w.Uint64(p.tickets_assigned);
  w.Key("ticketsResolved");
  w.Uint64(p.tickets_resolved);
  w.Key("avgResolutionTime");
  if (p.tickets_resolved)
    w.Int64(p.resolution_ms_total / static_cast<std::int64_t>(p.tickets_resolved));
  else
    w.Null();
  w.Key("slaCompliance");
  if (p.tickets_resolved)
    w.Double(static_cast<double>(p.resolved_within_sla) / static_cast<double>(p.tickets_resolved));
  else
    w.Null();
  w.Key("callsCompleted");
  w.Uint64(p.calls_completed);
  w.Key("leadsWon");
  w.Uint64(p.leads_won);
  w.Key("conversionRate");
  w.Double(p.leads_closed ? static_cast<double>(p.leads_won) / static_cast<double>(p.leads_closed) : 0.0);
  json::kv_money(w, "commissionEarned", p.commission_paise);
  w.EndObject();
}

} // namespace crm::reps
