// Crash loop: writers flood one server with tickets, notes and NDR events; the server is killed
// with SIGKILL while they are still sending, the chain on disk is verified with crm-audit, the
// server is started again on the same data dir, and every write that was ever answered 2xx is
// read back with what was written. Several cycles on one data dir, so each recovery also has to
// keep what the earlier ones recovered.
//
// Durability: the default (`--durability os`). CONTRACT section 1 promises "after kill -9, a
// restart on the same data dir holds every change that was answered 2xx" without naming a mode,
// and docs/openapi.yaml says every change "survives kill -9": `os` hands the WAL to the OS before
// answering, which a killed process cannot take back (`sync` adds fsync, for power loss, which
// this test cannot simulate).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testing/http_client.hpp"
#include "testing/server_process.hpp"
#include "testing/temp_dir.hpp"

namespace crm::blackbox {
namespace {

using testing::http_client;
using testing::http_response;
using testing::server_process;
using clock_type = std::chrono::steady_clock;

const std::string token = "crash-loop-token";
const std::string company_id = "crashloop";
const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + token},
                                                               {"X-Company-Id", company_id}};

constexpr int cycles = 6;
constexpr int writers = 6;
constexpr int checkers = 4;
// Per cycle: the flood goes on at least this long and until this many writes were answered
// (bounded, so a stalled server fails the counts below instead of hanging), then the kill.
constexpr std::size_t answered_before_kill = 600;
constexpr auto flood_cap = std::chrono::seconds(20);
// What each cycle must have had answered, so that the checks cannot pass on nothing.
constexpr std::size_t min_tickets = 60, min_notes = 60, min_ndr_new = 40, min_ndr_repeat = 40, min_idem = 5;

long ms_since(clock_type::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t).count());
}

std::string str_of(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v))
    return "<absent or not a string>";
  return std::string(v);
}

// ---- what was written and answered ----

struct ticket_rec {
  std::string id, category, priority, subject, description, order_id;
  std::string body;
  std::string idem_key, answer; // with an Idempotency-Key: the key, and the body of the answer
  int cycle = 0;
};

struct note_rec {
  std::string ticket_id, note_id, text, type;
  int cycle = 0;
};

/// One 2xx answer to POST /ndr/events.
struct ndr_answer {
  std::string ndr_id, ticket_id, call_id;
  int status = 0;
  int cycle = 0;
};

const char* categories[] = {"technical", "billing", "logistics", "other"};
const char* priorities[] = {"critical", "high", "medium", "low"};

std::uint32_t hash_of(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s)
    h = (h ^ c) * 16777619u;
  return h;
}

/// The NDR event with this id: always the same body, so a repeat is a true repeat.
std::string ndr_body(const std::string& id) {
  auto h = hash_of(id);
  std::string b = R"({"ndrEventId":")" + id + R"(","shipmentId":"SHP-)" + id + R"(","orderId":"ORD-)" + id
                  + R"(","awb":"AWB)" + std::to_string(h % 1000000) + R"(","courier":"Delhivery",)"
                  + R"("reason":"customer not available","attempt":)" + std::to_string(1 + h % 4)
                  + R"(,"paymentMode":"cod","codAmount":1499.50)";
  if (h % 4 == 0)
    b += R"(,"action":"call")";
  return b + "}";
}

std::string ndr_subject(const std::string& id) {
  return "NDR: customer not available (AWB AWB" + std::to_string(hash_of(id) % 1000000) + ")";
}

bool ndr_has_call(const std::string& id) { return hash_of(id) % 4 == 0; }

/// What one writer thread keeps across cycles: the tickets it created (it adds notes to them).
struct writer_state {
  std::vector<std::string> my_tickets;
};

/// What one writer thread got answered in one cycle.
struct writer_log {
  std::vector<ticket_rec> tickets;
  std::vector<note_rec> notes;
  std::vector<ndr_answer> ndr;
  std::size_t failed = 0; // no answer (connection refused or cut): no promise either way
  std::size_t other = 0;  // answered, but not 2xx
  std::vector<std::string> odd; // the first few non-2xx answers, for the report
};

void writer(int c, int t, unsigned short port, writer_state& st, writer_log& log,
            const std::vector<std::string>& old_ndr_ids, std::atomic<bool>& stop,
            std::atomic<std::size_t>& answered) {
  http_client cl(port);
  auto odd = [&](const std::string& what, const http_response& r) {
    if (r.status == 0) {
      ++log.failed;
      return;
    }
    ++log.other;
    if (log.odd.size() < 5)
      log.odd.push_back(what + " -> " + std::to_string(r.status) + " " + r.body.substr(0, 200));
  };
  auto post_ndr = [&](const std::string& id) {
    auto r = cl.request("POST", "/api/v1/ndr/events", ndr_body(id), auth);
    if (r.status != 201 && r.status != 200)
      return odd("ndr " + id, r);
    std::string_view call;
    if (r.json()["callLogId"].get(call))
      call = {};
    log.ndr.push_back({id, r.str("ticketId"), std::string(call), r.status, c});
    ++answered;
  };
  for (int i = 0; !stop; ++i) {
    auto tag = std::to_string(c) + "-" + std::to_string(t) + "-" + std::to_string(i);
    int op = i % 8;
    if ((op == 1 || op == 3 || op == 5) && st.my_tickets.empty())
      op = 0;
    if (op == 7 && old_ndr_ids.empty())
      op = 6;
    switch (op) {
    case 0:
    case 4: { // a ticket; every other one of case 4 with an Idempotency-Key
      ticket_rec rec;
      rec.category = categories[(i / 8) % 4];
      rec.priority = priorities[(i / 32 + t) % 4];
      rec.subject = "crash loop " + tag;
      rec.description = "written in cycle " + std::to_string(c) + " by writer " + std::to_string(t);
      rec.order_id = "ORD-" + tag;
      rec.cycle = c;
      rec.body = R"({"category":")" + rec.category + R"(","priority":")" + rec.priority + R"(","subject":")"
                 + rec.subject + R"(","description":")" + rec.description + R"(","relatedOrderId":")" + rec.order_id
                 + "\"}";
      auto h = auth;
      if (i % 16 == 4) {
        rec.idem_key = "ik-" + tag;
        h.emplace_back("Idempotency-Key", rec.idem_key);
      }
      auto r = cl.request("POST", "/api/v1/support/tickets", rec.body, h);
      if (r.status != 201) {
        odd("ticket " + tag, r);
        break;
      }
      rec.id = r.str("ticketId");
      if (!rec.idem_key.empty())
        rec.answer = r.body;
      st.my_tickets.push_back(rec.id);
      log.tickets.push_back(std::move(rec));
      ++answered;
      break;
    }
    case 1:
    case 3:
    case 5: { // a note on one of this writer's tickets, of this cycle or an earlier one
      note_rec n;
      n.ticket_id = st.my_tickets[(static_cast<std::size_t>(i) * 2654435761u) % st.my_tickets.size()];
      n.text = "note " + tag;
      n.type = i % 3 == 0 ? "customer" : "internal";
      n.cycle = c;
      auto r = cl.request("POST", "/api/v1/support/tickets/" + n.ticket_id + "/notes",
                          R"({"note":")" + n.text + R"(","type":")" + n.type + "\"}", auth);
      if (r.status != 201) {
        odd("note " + tag + " on " + n.ticket_id, r);
        break;
      }
      n.note_id = r.str("noteId");
      log.notes.push_back(std::move(n));
      ++answered;
      break;
    }
    case 2: // a new NDR event of its own
      post_ndr("N-" + tag);
      break;
    case 6: // an id the writers of this cycle share: several post it at about the same time
      post_ndr("S-" + std::to_string(c) + "-" + std::to_string((i / 8) % 24));
      break;
    case 7: // an id answered in an earlier cycle, before a kill
      post_ndr(old_ndr_ids[(static_cast<std::size_t>(i) * 40503u + static_cast<std::size_t>(t) * 7919u)
                           % old_ndr_ids.size()]);
      break;
    }
  }
}

// ---- checking ----

struct problems {
  std::mutex mu;
  std::vector<std::string> list;
  void add(std::string p) {
    std::lock_guard<std::mutex> lock(mu);
    list.push_back(std::move(p));
  }
  std::string first(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < list.size() && i < n; ++i)
      out += "\n  " + list[i];
    if (list.size() > n)
      out += "\n  ... and " + std::to_string(list.size() - n) + " more";
    return out;
  }
};

/// Runs `fn(client, i)` for i in [0, n) on `checkers` threads, each with its own connection.
void in_parallel(unsigned short port, std::size_t n, const std::function<void(http_client&, std::size_t)>& fn) {
  std::vector<std::thread> ts;
  for (int k = 0; k < checkers; ++k)
    ts.emplace_back([&, k] {
      http_client cl(port);
      for (std::size_t i = static_cast<std::size_t>(k); i < n; i += checkers)
        fn(cl, i);
    });
  for (auto& t : ts)
    t.join();
}

std::int64_t ticket_total(unsigned short port) {
  http_client cl(port);
  auto r = cl.request("GET", "/api/v1/support/tickets?limit=1", {}, auth);
  std::int64_t n = -1;
  if (r.status != 200 || r.json()["total"].get(n))
    return -1;
  return n;
}

/// (field, the value written) pairs to compare with an answer.
using fields = std::initializer_list<std::pair<const char*, const std::string*>>;

struct chain_point {
  std::uint64_t seq = 0;
  std::string hash;
};

/// crm-audit verify on the data dir: empty when the chain is intact, else what it said.
std::string audit_verify(const std::string& data, chain_point& last) {
  std::string out;
  int rc = testing::run_command({testing::binary("crm-audit"), "verify", "--data-dir", data}, out);
  // OK: 1234 events, chain intact, last hash abcd...
  unsigned long long n = 0;
  char hash[129] = {};
  if (rc != 0 || std::sscanf(out.c_str(), "OK: %llu events, chain intact, last hash %128s", &n, hash) != 2)
    return "crm-audit verify exit " + std::to_string(rc) + ": " + out;
  last = {n, hash};
  return {};
}

TEST(CrashLoop, kill_9_mid_flood_loses_no_answered_ticket_note_or_ndr_event) {
  auto test_start = clock_type::now();
  testing::temp_dir dir;
  auto data = (dir.path() / "data").string();
  const std::map<std::string, std::string> env = {{"CRM_PLATFORM_TOKEN", token}};
  auto server = std::make_unique<server_process>(data, std::vector<std::string>{}, env);
  ASSERT_TRUE(server->ready()) << server->log();

  std::vector<writer_state> states(writers);
  std::vector<ticket_rec> tickets;                       // every ticket created and answered 201
  std::map<std::string, std::vector<note_rec>> notes;    // ticket id -> its notes answered 201
  std::map<std::string, std::vector<ndr_answer>> ndr;    // ndrEventId -> every 2xx answer
  std::vector<std::string> ndr_ids;                      // the keys of ndr, for the writers
  std::vector<chain_point> chain;                        // the chain's end after each kill
  std::size_t notes_total = 0;

  for (int c = 0; c < cycles; ++c) {
    SCOPED_TRACE("cycle " + std::to_string(c));
    // ---- flood, then SIGKILL while the writers are still sending ----
    std::vector<writer_log> logs(writers);
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> answered{0};
    auto port = server->port();
    auto flood_start = clock_type::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < writers; ++t)
      ts.emplace_back(writer, c, t, port, std::ref(states[t]), std::ref(logs[t]), std::cref(ndr_ids),
                      std::ref(stop), std::ref(answered));
    // A different moment in each cycle, between 1.0 and 1.6 s.
    auto planned = std::chrono::milliseconds(1000 + (c * 347) % 600);
    while ((clock_type::now() - flood_start < planned || answered < answered_before_kill)
           && clock_type::now() - flood_start < flood_cap)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto answered_at_kill = answered.load();
    server->kill9(); // the writers are mid-request: some requests are lost unanswered
    auto flood_ms = ms_since(flood_start);
    // A moment for each writer to find the server gone (refused at once) before they stop.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
    for (auto& t : ts)
      t.join();
    server.reset();

    // ---- what this cycle had answered (answers read after the kill count: they were sent) ----
    std::size_t c_tickets = 0, c_idem = 0, c_notes = 0, c_ndr_new = 0, c_ndr_repeat = 0, c_failed = 0,
                c_other = 0, c_events = 0;
    std::set<std::string> seen_ticket_ids;
    for (auto& t : tickets)
      seen_ticket_ids.insert(t.id);
    std::vector<std::string> odd;
    for (auto& l : logs) {
      for (auto& t : l.tickets) {
        EXPECT_TRUE(seen_ticket_ids.insert(t.id).second) << t.id << " was answered for two creates";
        c_idem += !t.idem_key.empty();
        tickets.push_back(t);
      }
      c_tickets += l.tickets.size();
      for (auto& n : l.notes)
        notes[n.ticket_id].push_back(n);
      c_notes += l.notes.size();
      for (auto& a : l.ndr) {
        auto& all = ndr[a.ndr_id];
        if (all.empty())
          ndr_ids.push_back(a.ndr_id);
        all.push_back(a);
        (a.status == 201 ? c_ndr_new : c_ndr_repeat) += 1;
      }
      c_failed += l.failed;
      c_other += l.other;
      odd.insert(odd.end(), l.odd.begin(), l.odd.end());
    }
    notes_total += c_notes;
    c_events = c_tickets + c_notes + c_ndr_new; // each made at least one event of its own
    std::string odd_text;
    for (auto& o : odd)
      odd_text += "\n  " + o;
    // Only 2xx answers were expected before the kill (no input here is invalid).
    EXPECT_EQ(c_other, 0u) << "answers that were not 2xx:" << odd_text;
    EXPECT_GE(c_tickets, min_tickets);
    EXPECT_GE(c_notes, min_notes);
    EXPECT_GE(c_ndr_new, min_ndr_new);
    EXPECT_GE(c_ndr_repeat, min_ndr_repeat);
    EXPECT_GE(c_idem, min_idem);
    EXPECT_GE(c_failed, static_cast<std::size_t>(writers)) << "every writer was sending when the server died";

    // ---- the chain on disk, as the kill left it ----
    auto verify_start = clock_type::now();
    chain_point end;
    auto broken = audit_verify(data, end);
    ASSERT_EQ(broken, "") << "after the kill of cycle " << c;
    auto before = chain.empty() ? 0 : chain.back().seq;
    EXPECT_GE(end.seq, before + c_events) << "fewer events on disk than answered writes of cycle " << c;
    chain.push_back(end);
    auto verify_ms = ms_since(verify_start);

    // ---- restart on the same data dir ----
    auto restart_start = clock_type::now();
    server = std::make_unique<server_process>(data, std::vector<std::string>{}, env);
    ASSERT_TRUE(server->ready()) << server->log();
    auto restart_ms = ms_since(restart_start);
    port = server->port();

    // ---- every answered write of every cycle so far ----
    auto check_start = clock_type::now();
    problems p;
    // Tickets (with their notes): the fields written, and each note answered 201.
    in_parallel(port, tickets.size(), [&](http_client& cl, std::size_t i) {
      auto& t = tickets[i];
      auto r = cl.request("GET", "/api/v1/support/tickets/" + t.id, {}, auth);
      if (r.status != 200)
        return p.add(t.id + " (cycle " + std::to_string(t.cycle) + ") answered 201, now GET " + std::to_string(r.status));
      auto j = r.json();
      static const std::string open = "open";
      for (auto [field, want] : fields{{"companyId", &company_id}, {"status", &open}, {"category", &t.category},
                                       {"priority", &t.priority}, {"subject", &t.subject},
                                       {"description", &t.description}, {"relatedOrderId", &t.order_id}})
        if (str_of(j, field) != *want)
          p.add(t.id + "." + field + " is " + str_of(j, field) + ", was written " + *want);
      auto it = notes.find(t.id);
      if (it == notes.end())
        return;
      std::map<std::string, std::pair<std::string, std::string>> have; // noteId -> text, type
      simdjson::dom::array arr;
      if (!j["notes"].get(arr))
        for (auto n : arr)
          have[str_of(n, "noteId")] = {str_of(n, "note"), str_of(n, "type")};
      for (auto& n : it->second) {
        auto h = have.find(n.note_id);
        if (h == have.end())
          p.add(t.id + ": note " + n.note_id + " (\"" + n.text + "\", cycle " + std::to_string(n.cycle)
                + ") answered 201, now missing");
        else if (h->second != std::pair{n.text, n.type})
          p.add(t.id + ": note " + n.note_id + " is \"" + h->second.first + "\"/" + h->second.second
                + ", was written \"" + n.text + "\"/" + n.type);
      }
    });
    // Idempotency-Keys: the same request again answers the first answer, creating nothing.
    std::vector<const ticket_rec*> keyed;
    for (auto& t : tickets)
      if (!t.idem_key.empty())
        keyed.push_back(&t);
    // NDR events: every answer of an id named the same ticket (and call); at most one created it;
    // the ticket is there with the event's fields; posting it again answers 200 with the same ids.
    auto total_before = ticket_total(port);
    in_parallel(port, keyed.size(), [&](http_client& cl, std::size_t i) {
      auto& t = *keyed[i];
      auto h = auth;
      h.emplace_back("Idempotency-Key", t.idem_key);
      auto r = cl.request("POST", "/api/v1/support/tickets", t.body, h);
      if (r.status != 201 || r.str("ticketId") != t.id || r.headers["idempotent-replayed"] != "true")
        p.add("Idempotency-Key " + t.idem_key + " answered " + t.id + " before the kill, now " + std::to_string(r.status)
              + " " + r.str("ticketId") + " replayed=" + r.headers["idempotent-replayed"]);
      else if (r.body != t.answer) // docs/openapi.yaml: the first answer again, status and body
        p.add("Idempotency-Key " + t.idem_key + " replayed another body:\n    first " + t.answer + "\n    now   " + r.body);
    });
    in_parallel(port, ndr_ids.size(), [&](http_client& cl, std::size_t i) {
      auto& id = ndr_ids[i];
      auto& all = ndr.at(id);
      int created = 0;
      for (auto& a : all) {
        created += a.status == 201;
        if (a.ticket_id != all.front().ticket_id || a.call_id != all.front().call_id)
          p.add("NDR " + id + " answered " + a.ticket_id + "/" + a.call_id + " in cycle " + std::to_string(a.cycle)
                + " and " + all.front().ticket_id + "/" + all.front().call_id + " in cycle "
                + std::to_string(all.front().cycle));
      }
      if (created > 1)
        p.add("NDR " + id + " answered 201 (created) " + std::to_string(created) + " times");
      auto& want = all.front();
      if (want.ticket_id.empty() || ndr_has_call(id) == want.call_id.empty())
        p.add("NDR " + id + " answered ticket '" + want.ticket_id + "' call '" + want.call_id + "'");
      auto g = cl.request("GET", "/api/v1/support/tickets/" + want.ticket_id, {}, auth);
      if (g.status != 200)
        return p.add("NDR " + id + " -> " + want.ticket_id + " answered, now GET " + std::to_string(g.status));
      auto j = g.json();
      std::string ship = "SHP-" + id, order = "ORD-" + id, subject = ndr_subject(id), logistics = "logistics";
      for (auto [field, want_v] : fields{{"relatedNDREventId", &id}, {"shipmentId", &ship},
                                         {"relatedOrderId", &order}, {"subject", &subject}, {"category", &logistics}})
        if (str_of(j, field) != *want_v)
          p.add("NDR " + id + " -> " + want.ticket_id + "." + field + " is " + str_of(j, field) + ", not " + *want_v);
      if (!want.call_id.empty()) {
        auto cg = cl.request("GET", "/api/v1/crm/call-logs/" + want.call_id, {}, auth);
        if (cg.status != 200 || cg.str("ndrEventId") != id)
          p.add("NDR " + id + " -> call " + want.call_id + " answered, now GET " + std::to_string(cg.status) + " "
                + cg.body.substr(0, 200));
      }
      auto again = cl.request("POST", "/api/v1/ndr/events", ndr_body(id), auth);
      std::string_view call;
      if (again.json()["callLogId"].get(call))
        call = {};
      if (again.status != 200 || again.str("ticketId") != want.ticket_id || call != want.call_id)
        p.add("NDR " + id + " posted again: " + std::to_string(again.status) + " " + again.body.substr(0, 200)
              + ", first answered " + want.ticket_id);
    });
    auto total_after = ticket_total(port);
    EXPECT_GE(total_before, static_cast<std::int64_t>(seen_ticket_ids.size() + ndr_ids.size()));
    EXPECT_EQ(total_after, total_before) << "posting known NDR events and keyed requests again created tickets";
    // The chain: each end seen after a kill is still where it was, with the same hash.
    http_client cl(port);
    for (std::size_t k = 0; k < chain.size(); ++k) {
      auto r = cl.request("GET", "/api/v1/audit/events?limit=1&after=" + std::to_string(chain[k].seq - 1), {}, auth);
      std::uint64_t seq = 0;
      simdjson::dom::element e;
      if (r.status != 200 || r.json()["events"].at(0).get(e) || e["seq"].get(seq) || seq != chain[k].seq
          || str_of(e, "hash") != chain[k].hash)
        p.add("event " + std::to_string(chain[k].seq) + " (the end after kill " + std::to_string(k)
              + ") is not as crm-audit saw it: " + r.body.substr(0, 300));
    }
    auto check_ms = ms_since(check_start);
    EXPECT_TRUE(p.list.empty()) << p.list.size() << " problem(s) after the restart of cycle " << c << ":"
                                << p.first(30);
    std::printf("[ crash loop ] cycle %d: flood %ld ms, killed at %zu answered; answered tickets %zu (%zu keyed), "
                "notes %zu, NDR created %zu, NDR repeated %zu; %zu requests unanswered after the kill; "
                "verify %ld ms (%llu events); restart %ld ms; checked %zu tickets, %zu notes, %zu NDR ids in %ld ms\n",
                c, flood_ms, answered_at_kill, c_tickets, c_idem, c_notes, c_ndr_new, c_ndr_repeat, c_failed,
                verify_ms, static_cast<unsigned long long>(end.seq), restart_ms, tickets.size(), notes_total,
                ndr_ids.size(), check_ms);
    std::fflush(stdout);
    if (HasFailure())
      return; // later cycles would only repeat what this one lost

  }

  // ---- the whole chain as served: seq 1..N with no gap, each event linked to the one before ----
  {
    http_client cl(server->port());
    std::uint64_t after = 0, expect = 1, n = 0;
    std::string prev_hash;
    problems p;
    for (;;) {
      auto r = cl.request("GET", "/api/v1/audit/events?limit=1000&after=" + std::to_string(after), {}, auth);
      ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
      simdjson::dom::array evs;
      ASSERT_FALSE(r.json()["events"].get(evs)) << r.body.substr(0, 300);
      for (auto e : evs) {
        std::uint64_t seq = 0;
        if (e["seq"].get(seq) || seq != expect)
          p.add("seq " + std::to_string(seq) + " where " + std::to_string(expect) + " was due");
        if (expect > 1 && str_of(e, "prevHash") != prev_hash)
          p.add("event " + std::to_string(seq) + " does not link to the one before");
        prev_hash = str_of(e, "hash");
        expect = seq + 1;
        ++n;
      }
      std::uint64_t next = 0;
      if (r.json()["nextAfter"].get(next) || next == 0)
        break;
      after = next;
    }
    EXPECT_TRUE(p.list.empty()) << p.first(20);
    EXPECT_GE(n, chain.back().seq);
    EXPECT_EQ(prev_hash.empty(), false);
  }
  // A clean stop after all that, and the chain on disk once more.
  EXPECT_EQ(server->terminate(), 0) << server->log();
  chain_point end;
  EXPECT_EQ(audit_verify(data, end), "");
  EXPECT_GE(end.seq, chain.back().seq);
  std::printf("[ crash loop ] %d kills, %zu tickets, %zu notes, %zu NDR ids answered; %llu events; %ld ms in all\n",
              cycles, tickets.size(), notes_total, ndr_ids.size(), static_cast<unsigned long long>(end.seq),
              ms_since(test_start));
}

} // namespace
} // namespace crm::blackbox
