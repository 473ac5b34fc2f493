// Writes tickets into a data dir through the real journal (the events crm-server would write),
// fast, for the list, restart and memory benches. Usage:
//   crm-bench-seed --data-dir DIR --company C --tickets N [--notes K] [--calls-every M]
//                  [--dispute-timers D] [--leads L] [--crash]
// Each ticket gets ticket.created, its SLA timer row (armed at the next start, as the server's
// own tickets) and K ticket.note_added events; every M-th ticket also gets a call log
// (call.created, as an NDR event's); the first D tickets also get their --dispute-after timer
// row (48 h). L leads follow (lead.created with one of 50 reps as assignee, and a status
// change for half of them), across 10 territories and the four sources. --crash ends as a
// kill -9 after the last answer would: the write-ahead log holds everything and no memtable is
// written out (otherwise they are, as at the server's clean stop, so the next start need not
// replay the log).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "domain/call.hpp"
#include "domain/lead.hpp"
#include "domain/json.hpp"
#include "domain/ticket.hpp"
#include "storage/journal.hpp"
#include "storage/store.hpp"

int main(int argc, char** argv) {
  CLI::App app{"crm-bench-seed"};
  std::string dir, company = "bench";
  std::size_t n = 100000, notes = 0, calls_every = 0, dispute_timers = 0, leads = 0;
  bool crash = false;
  app.add_option("--data-dir", dir)->required();
  app.add_option("--company", company);
  app.add_option("--tickets", n);
  app.add_option("--notes", notes);
  app.add_option("--calls-every", calls_every);
  app.add_option("--dispute-timers", dispute_timers);
  app.add_option("--leads", leads);
  app.add_flag("--crash", crash);
  CLI11_PARSE(app, argc, argv);
  auto db = crm::storage::store::open(dir, crm::storage::open_mode::read_write);
  if (!db) {
    std::cerr << db.err().message << "\n";
    return 1;
  }
  crm::storage::journal j(*db.value(), {});
  crm::system_clock clk;
  crm::tickets::sla_policy sla;
  const char* cats[] = {"technical", "billing", "logistics", "other"};
  const char* prios[] = {"critical", "high", "medium", "low"};
  auto last_event = db.value()->last_event();
  auto last = last_event ? last_event->first : 0;
  std::size_t first = 1, calls = 0;
  // Continue the ticket numbering after whatever the dir holds (a fresh dir in the benches).
  if (last)
    std::cerr << "warning: the data dir is not empty; ticket ids may collide\n";
  for (std::size_t i = 0; i < n; ++i) {
    crm::tickets::create_cmd c;
    c.category = cats[i % 4];
    c.priority = prios[(i / 4) % 4];
    c.subject = "Seeded ticket " + std::to_string(i) + (i % 10 == 0 ? " refund" : " parcel");
    crm::tickets::origin o{company, "system", clk.wall_now()};
    char id[32];
    std::snprintf(id, sizeof id, "TKT-%06zu", first + i);
    auto drafts = crm::tickets::decide_create(c, id, o, sla).value();
    for (std::size_t k = 0; k < notes; ++k)
      drafts.push_back(crm::event_draft{company, id, "ticket.note_added", "system", o.now,
                                        crm::json::object([&](crm::json::writer& w) {
                                          crm::json::kv(w, "noteId", std::string(id) + "-N" + std::to_string(k + 1));
                                          crm::json::kv(w, "type", "internal");
                                          crm::json::kv(w, "note", "seeded");
                                        })});
    crm::tickets::ticket t;
    for (auto& d : drafts)
      crm::tickets::apply(t, crm::event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
    std::vector<crm::storage::write_op> ops;
    ops.push_back({crm::storage::cf::timers, false,
                   crm::storage::encode_timer({t.sla_due_at, company, id, "sla"}), {}, false});
    if (i < dispute_timers)
      ops.push_back({crm::storage::cf::timers, false,
                     crm::storage::encode_timer({t.created_at + 48 * 3'600'000LL, company, id, "dispute"}), {}, false});
    if (calls_every && i % calls_every == 0) {
      char call_id[32];
      std::snprintf(call_id, sizeof call_id, "CALL-%06zu", ++calls);
      crm::ndr::ndr_event ev;
      ev.ndr_event_id = "SEED-" + std::to_string(i);
      ev.shipment_id = "SHP-" + std::to_string(i);
      ev.territory = "T" + std::to_string(i % 10);
      drafts.push_back(crm::calls::decide_create(call_id, ev, o));
    }
    j.submit({std::move(drafts), std::move(ops), {}});
  }
  const char* sources[] = {"referral", "marketing", "inbound-inquiry", "support-ticket"};
  const char* steps[] = {"qualified", "proposal", "negotiation", "won", "lost"};
  for (std::size_t i = 0; i < leads; ++i) {
    crm::leads::create_cmd c;
    c.name = "Seeded lead " + std::to_string(i);
    c.phone = std::to_string(7000000000ULL + i);
    c.source = sources[i % 4];
    c.territory = "T" + std::to_string(i % 10);
    c.estimated_value_paise = static_cast<std::int64_t>((i * 7919) % 1000) * 100000;
    crm::tickets::origin o{company, "system", clk.wall_now()};
    char id[32], rep[32];
    std::snprintf(id, sizeof id, "LEAD-%06zu", i + 1);
    std::snprintf(rep, sizeof rep, "REP-%06zu", i % 50 + 1);
    auto drafts = crm::leads::decide_create(c, id, rep, o).value();
    if (i % 2 == 1) {
      crm::leads::lead l;
      for (auto& d : drafts)
        crm::leads::apply(l, crm::event{0, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}});
      crm::leads::update_cmd u;
      u.status = steps[(i / 2) % 5];
      auto more = crm::leads::decide_update(l, u, o); // kept: the loop must not outlive it
      for (auto& d : more.value())
        drafts.push_back(std::move(d));
    }
    j.submit({std::move(drafts), {}, {}});
  }
  j.flush();
  j.stop();
  std::cout << "seeded " << n << " tickets, " << calls << " call logs, " << leads << " leads, last seq "
            << j.last_seq() << "\n";
  if (crash) {
    std::cout.flush();
    std::_Exit(0); // the store is not flushed or closed, as after kill -9
  }
  if (auto r = db.value()->flush(); !r) { // as the server's clean stop
    std::cerr << r.err().message << "\n";
    return 1;
  }
}
