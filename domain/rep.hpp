#pragma once
// Sales representatives (CONTRACT section 5): state, validation, the hierarchy, bank details,
// and the decide/apply pair the company registry and the replayer share.
//
// Bank details reach the domain in plain text only inside a command; decide_* seal them with
// the injected `sealer` (AES-256-GCM in storage/crypto) so that events, snapshots and answers
// carry only the sealed value, its key version, the IFSC code and the last four digits.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "domain/clock.hpp"
#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/json.hpp"
#include "domain/ticket.hpp"

namespace crm::reps {

enum class status : std::uint8_t { active, inactive };
enum class availability : std::uint8_t { available, busy, offline };

std::optional<status> parse_status(std::string_view s);
std::optional<availability> parse_availability(std::string_view s);
const char* to_string(status s);
const char* to_string(availability a);

/// Indian mobile: "+91" and 10 digits starting 6-9, or the 10 digits.
bool valid_phone(std::string_view s);
/// ^[A-Z]{4}0[A-Z0-9]{6}$
bool valid_ifsc(std::string_view s);
/// 9..18 digits.
bool valid_account_number(std::string_view s);
/// "XXXXXX" and the last four digits.
std::string mask_account(std::string_view last4);

/// Bank details as stored: sealed account number and holder name, the rest in the clear.
struct sealed_bank {
  std::string sealed; // "<keyVersion>:<base64>" of {"accountNumber","accountHolderName"}
  std::string ifsc;
  std::string last4;
  bool operator==(const sealed_bank&) const = default;
};

struct rep {
  std::string id;
  std::string company_id;
  std::string name;
  std::string email;
  std::string phone;
  std::string territory;
  std::string reporting_to; // empty: none
  status st = status::active;
  availability avail = availability::available;
  std::optional<millis> last_activity_at;
  std::int64_t commission_paise = 0;
  std::vector<std::string> skills; // ticket categories
  std::optional<std::int64_t> max_open_items; // nullopt: no limit
  std::optional<sealed_bank> bank;
  millis created_at = 0;
  millis updated_at = 0;
  std::uint64_t version = 0;
  std::uint64_t last_seq = 0;
  bool operator==(const rep&) const = default;
};

struct bank_input {
  std::string account_number;
  std::string ifsc;
  std::string holder;
};

struct create_cmd {
  std::string name;
  std::string email;
  std::string phone;
  std::string territory;
  std::string reporting_to;
  std::optional<std::string> availability;
  std::optional<std::int64_t> commission_paise; // nullopt: the configured default
  std::vector<std::string> skills;
  std::optional<std::int64_t> max_open_items;
  std::optional<bank_input> bank;
};

struct update_cmd {
  std::optional<std::string> name, email, phone, territory, availability, status;
  std::optional<std::string> reporting_to;                 // "": none (null in the body)
  std::optional<std::vector<std::string>> skills;
  std::optional<std::optional<std::int64_t>> max_open_items; // inner nullopt: no limit
  std::optional<std::int64_t> commission_paise;
  std::optional<bank_input> bank;
  bool empty() const {
    return !name && !email && !phone && !territory && !availability && !status && !reporting_to
           && !skills && !max_open_items && !commission_paise && !bank;
  }
};

/// Seals a plain value (AES-256-GCM under the master key).
/// Seals a value; nullopt when sealing failed (the caller then stores nothing).
using sealer = std::function<std::optional<std::string>(std::string_view plain)>;
/// Opens a sealed value; nullopt when no key opens it.
using opener = std::function<std::optional<std::string>(std::string_view sealed)>;

/// Every rep of one company: the single place that knows enough to check the rules that span
/// reps (email unique in the company, `reportingTo` a rep of the company, no cycles).
class roster {
public:
  // The territory index points into reps_: every copy and move rebuilds it (the standard does
  // not promise that a moved map keeps its elements where they were).
  roster() = default;
  roster(const roster& o) : reps_(o.reps_), emails_(o.emails_) { reindex(); }
  roster(roster&& o) : reps_(std::move(o.reps_)), emails_(std::move(o.emails_)) {
    reindex();
    o.territories_.clear();
  }
  roster& operator=(roster o) { // copy or move, then swap: nothing dangles on a throw
    reps_.swap(o.reps_);
    emails_.swap(o.emails_);
    reindex();
    return *this;
  }
  const rep* find(const std::string& id) const;
  /// The rep that has `email` (case-insensitive), or null.
  const rep* by_email(std::string_view email) const;
  void put(rep r);
  void erase(const std::string& id);
  std::size_t size() const { return reps_.size(); }
  template <class F>
  void each(F&& f) const {
    for (auto& [id, r] : reps_)
      f(r);
  }
  /// The reps of one territory (any status), without a walk over the others: lead placement
  /// looks at a territory's reps for every new lead.
  template <class F>
  void each_in(const std::string& territory, F&& f) const {
    if (auto it = territories_.find(territory); it != territories_.end())
      for (auto* r : it->second)
        f(*r);
  }
  /// True when making `id` report to `manager` closes a loop.
  bool would_cycle(const std::string& id, const std::string& manager) const;

private:
  void unlist(const rep& r);
  void reindex();
  std::unordered_map<std::string, rep> reps_;
  std::unordered_map<std::string, std::string> emails_; // lowercased email -> id
  /// Territory -> its reps (nodes of reps_: stable until erased); reps without one are not kept.
  std::unordered_map<std::string, std::vector<const rep*>> territories_;
};

std::optional<error> validate(const create_cmd& c);

result<std::vector<event_draft>> decide_create(const create_cmd& c, const std::string& id,
                                               const tickets::origin& o, const roster& all,
                                               std::int64_t default_commission, const sealer& seal);
result<std::vector<event_draft>> decide_update(const rep& r, const update_cmd& c,
                                               const tickets::origin& o, const roster& all,
                                               const sealer& seal);
/// DELETE: status inactive (409 when it already is).
result<std::vector<event_draft>> decide_deactivate(const rep& r, const tickets::origin& o);
/// Re-seals the bank details under the current key (key rotation); nothing when they already
/// are, or when `open` cannot open them.
std::vector<event_draft> decide_rekey(const rep& r, const tickets::origin& o, const opener& open,
                                      const sealer& seal, const std::string& current_version);

bool apply(rep& r, const event& e);

/// The API shape. `revealed`: the opened bank plaintext ({"accountNumber","accountHolderName"})
/// when the caller may and asked to see it.
void write_json(json::writer& w, const rep& r, const std::string* revealed = nullptr);
std::string to_json(const rep& r, const std::string* revealed = nullptr);

struct list_query {
  std::vector<std::string> territory;
  std::vector<std::string> status;
  std::vector<std::string> availability;
  std::string sort_by = "createdAt";
  bool descending = true;
  int page = 1;
  int limit = 20;
};
struct list_page {
  std::vector<rep> reps;
  std::size_t total = 0;
  int page = 1;
  int limit = 20;
};
list_page list(const roster& all, const list_query& q);

/// GET /:id/performance: folded from the company's events (oldest first) so that it never
/// drifts from the log. A ticket is credited to the rep it was assigned to when it was resolved,
/// at the commission per ticket the rep had then.
struct performance {
  std::uint64_t tickets_assigned = 0;  // assignments to the rep in the period
  std::uint64_t tickets_resolved = 0;  // resolutions credited to the rep in the period
  std::uint64_t resolved_within_sla = 0;
  std::int64_t resolution_ms_total = 0;
  std::uint64_t calls_completed = 0;
  std::uint64_t leads_won = 0;
  std::uint64_t leads_closed = 0;      // won or lost (conversionRate = won / closed)
  std::int64_t commission_paise = 0;   // the rate in force at each resolution, summed
};

/// The facts behind every rep's performance in one company, folded from its events one at a
/// time (add them in seq order, each once): kept between queries, so a query folds only the
/// events written since the last one and then looks at that rep's facts alone.
class performance_ledger {
public:
  void add(const event& e);
  /// The last seq folded (0 before any).
  std::uint64_t last_seq() const { return last_seq_; }
  performance query(const std::string& rep, std::optional<millis> from, std::optional<millis> to) const;

private:
  struct ticket_facts {
    std::string assignee;
    millis created_at = 0;
    millis sla_due_at = 0;
  };
  struct resolution {
    millis at = 0;
    millis took = 0;
    bool within_sla = false;
    std::int64_t commission_paise = 0;
  };
  struct rep_facts {
    std::int64_t rate_paise = 0; // commission per ticket now
    std::vector<millis> assigned;
    std::vector<resolution> resolved;
    std::vector<millis> calls_completed;
    std::vector<millis> leads_won, leads_lost; // leads assigned to the rep when they closed
  };
  std::unordered_map<std::string, ticket_facts> tickets_;
  std::unordered_map<std::string, std::string> call_assignee_;
  std::unordered_map<std::string, std::string> lead_assignee_;
  std::unordered_map<std::string, rep_facts> reps_;
  std::uint64_t last_seq_ = 0;
};

void write_json(json::writer& w, const performance& p);

} // namespace crm::reps
