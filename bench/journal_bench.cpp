// The journal writer alone, on the submissions an NDR event with a call action makes: the
// ticket's, the NDR's and the call's events (and optionally the call's assignment) with the
// ticket's SLA timer row, submitted from one thread in waves the size of a group-commit batch.
// Prints the journal's cost per NDR event. Usage:
//   crm-bench-journal --data-dir DIR [--events 200000] [--wave 50] [--assigned]
#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>

#include "domain/call.hpp"
#include "domain/ndr.hpp"
#include "storage/journal.hpp"
#include "storage/store.hpp"

int main(int argc, char** argv) {
  CLI::App app{"crm-bench-journal"};
  std::string dir;
  std::size_t n = 200000, wave = 50;
  bool assigned = false;
  app.add_option("--data-dir", dir)->required();
  app.add_option("--events", n, "NDR events to write");
  app.add_option("--wave", wave, "submissions queued before waiting for them");
  app.add_flag("--assigned", assigned, "each call's call.assigned in the same write");
  CLI11_PARSE(app, argc, argv);
  auto db = crm::storage::store::open(dir, crm::storage::open_mode::read_write);
  if (!db) {
    std::cerr << db.err().message << "\n";
    return 1;
  }
  crm::storage::journal j(*db.value(), {});
  crm::system_clock clk;
  crm::tickets::sla_policy sla;
  // Built first, so that the time is the journal's alone.
  std::vector<crm::storage::submission> subs;
  subs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    crm::ndr::ndr_event ev;
    ev.ndr_event_id = "NDR-" + std::to_string(i);
    ev.shipment_id = "SHP-" + std::to_string(i);
    ev.order_id = "ORD-" + std::to_string(i);
    ev.awb = "AWB" + std::to_string(i);
    ev.courier = "Delhivery";
    ev.reason = "Customer not available";
    ev.attempt = static_cast<std::int64_t>(i % 3 + 1);
    ev.payment_mode = "cod";
    ev.cod_paise = 149900;
    ev.cust = crm::tickets::customer{"Asha", "", "9876543210"};
    ev.action = "call";
    ev.territory = "T" + std::to_string(i % 10);
    crm::tickets::origin who{"bench", "platform", clk.wall_now()};
    char tid[32], cid[32];
    std::snprintf(tid, sizeof tid, "TKT-%06zu", i + 1);
    std::snprintf(cid, sizeof cid, "CALL-%06zu", i + 1);
    auto drafts = crm::tickets::decide_create(crm::ndr::ticket_for(ev), tid, who, sla);
    if (!drafts) {
      std::cerr << drafts.err().message << "\n";
      return 1;
    }
    crm::storage::submission s;
    s.events = std::move(drafts.value());
    s.events.push_back(crm::event_draft{"bench", ev.ndr_event_id, "ndr.received", "platform", who.now,
                                        crm::ndr::received_data(ev, tid, cid)});
    s.events.push_back(crm::calls::decide_create(cid, ev, who));
    if (assigned) {
      crm::calls::call_log c;
      c.id = cid;
      auto a = crm::calls::decide_assign(c, "REP-000001", who);
      if (a)
        s.events.push_back(std::move(a.value()));
    }
    crm::storage::timer_key t{who.now + sla.resolve, "bench", tid, "sla"};
    s.ops.push_back({crm::storage::cf::timers, false, crm::storage::encode_timer(t), {}, false});
    subs.push_back(std::move(s));
  }
  auto cpu = [](int who) {
    rusage u{};
    getrusage(who, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  auto cpu0 = cpu(RUSAGE_SELF) - cpu(RUSAGE_THREAD);
  std::atomic<std::size_t> failed{0};
  auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n;) {
    std::vector<std::future<void>> waits;
    for (std::size_t k = 0; k < wave && i < n; ++k, ++i) {
      auto p = std::make_shared<std::promise<void>>();
      waits.push_back(p->get_future());
      subs[i].done = [p, &failed](crm::result<std::vector<crm::event>> r) {
        if (!r)
          ++failed;
        p->set_value();
      };
      j.submit(std::move(subs[i]));
    }
    for (auto& w : waits)
      w.get();
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // CPU of every thread but this one: the journal's, and RocksDB's flushes.
  auto others = cpu(RUSAGE_SELF) - cpu(RUSAGE_THREAD) - cpu0;
  std::cout << "journal: " << n << " NDR events in " << secs << " s (" << n / secs << "/s), "
            << others * 1e6 / n << " us of CPU each besides the submitter\n";
  if (failed > 0) {
    std::cerr << failed << " writes failed\n";
    return 1;
  }
}
