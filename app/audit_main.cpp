// crm-audit: verifies the hash chain, replays the log into state, and shows an entity's history
// (CONTRACT section 9). Works on a stopped server's data dir and beside a live server (as a
// RocksDB secondary instance that never writes).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "domain/event.hpp"
#include "domain/json.hpp"
#include "domain/replay.hpp"
#include "domain/ticket_index.hpp"
#include "domain/time_format.hpp"
#include "storage/store.hpp"
#include "storage/verify.hpp"

namespace {

using namespace crm;

/// A progress bar on stderr for long runs, when stderr is a terminal.
class progress {
public:
  progress(const char* what, std::uint64_t total)
    : what_(what), total_(total), on_(total >= 20000 && ::isatty(2)) {}
  void tick(std::uint64_t done) {
    if (!on_ || (done % 5000 != 0 && done != total_))
      return;
    int width = 40;
    int filled = total_ ? static_cast<int>(width * done / total_) : width;
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %llu/%llu", what_, filled,
                 "########################################", width - filled, "",
                 static_cast<int>(total_ ? 100 * done / total_ : 100),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_));
  }
  ~progress() {
    if (on_)
      std::fprintf(stderr, "\n");
  }

private:
  const char* what_;
  std::uint64_t total_;
  bool on_;
};

std::unique_ptr<storage::store> open_store(const std::string& dir) {
  auto s = storage::store::open(dir, storage::open_mode::secondary);
  if (!s) {
    std::cerr << "crm-audit: " << s.err().message << "\n";
    return nullptr;
  }
  return std::move(s.value());
}

int verify(const std::string& dir) {
  // The files first, through a read-only open (which, unlike a secondary, checks every table
  // file against the manifest, as the server does when it starts): sizes and checksums.
  {
    auto ro = storage::store::open(dir, storage::open_mode::read_only);
    if (!ro) {
      std::cout << "BROKEN: " << ro.err().message << "\n";
      return 1;
    }
    if (auto files = ro.value()->verify_files(); !files) {
      std::cout << "BROKEN: " << files.err().message << "\n";
      return 1;
    }
  }
  auto db = open_store(dir);
  if (!db)
    return 2;
  auto last = db->last_event();
  progress bar("verify", last ? last->first : 0);
  auto rep = storage::verify_chain(*db, [&](std::uint64_t n) { bar.tick(n); });
  if (rep.ok()) {
    std::cout << "OK: " << rep.events << " events, chain intact, last hash " << rep.last_hash << "\n";
    return 0;
  }
  std::cout << "BROKEN: the chain breaks at seq " << rep.breaks.front().seq << ": "
            << rep.breaks.front().reason << "\n";
  for (std::size_t i = 1; i < rep.breaks.size() && i < 20; ++i)
    std::cout << "        also at seq " << rep.breaks[i].seq << ": " << rep.breaks[i].reason << "\n";
  std::cout << rep.breaks.size() << " break(s) in " << rep.events << " events\n";
  return 1;
}

/// `key`: the records of `all` in id order (the number in the id), each written by `write`.
template <class Map, class F>
void write_sorted(json::writer& w, const char* key, const Map& all, F&& write) {
  std::vector<const typename Map::mapped_type*> sorted;
  for (auto& [id, x] : all)
    if (!x.id.empty())
      sorted.push_back(&x);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return tickets::id_number(a->id) < tickets::id_number(b->id); });
  w.Key(key);
  w.StartArray();
  for (auto* x : sorted)
    write(*x);
  w.EndArray();
}

int replay(const std::string& dir, const std::string& until) {
  std::optional<millis> limit;
  if (!until.empty()) {
    limit = parse_time(until);
    if (!limit) {
      std::cerr << "crm-audit: --until is not a time: " << until << "\n";
      return 2;
    }
  }
  auto db = open_store(dir);
  if (!db)
    return 2;
  auto last = db->last_event();
  progress bar("replay", last ? last->first : 0);
  replay_state rs;
  std::uint64_t n = 0;
  bool bad = false;
  auto scanned = db->scan_events(0, UINT64_MAX, [&](std::uint64_t seq, std::string_view bytes) {
    bar.tick(++n);
    auto e = decode_stored(bytes);
    if (!e) {
      std::cerr << "crm-audit: event " << seq << " is not readable; stopping there\n";
      bad = true;
      return false;
    }
    e->seq = seq;
    if (limit && e->at > *limit)
      return true;
    rs.apply(*e);
    return true;
  });
  if (!scanned) {
    std::cerr << "crm-audit: " << scanned.err().message << "; stopping there\n";
    bad = true;
  }
  std::vector<const tickets::ticket*> ts;
  for (auto& [id, t] : rs.tickets)
    if (!t.id.empty())
      ts.push_back(&t);
  std::sort(ts.begin(), ts.end(), [](auto* a, auto* b) { return a->id < b->id; });
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  w.StartObject();
  json::kv_time(w, "asOf", limit);
  w.Key("events");
  w.Uint64(rs.events);
  w.Key("lastSeq");
  w.Uint64(rs.last_seq);
  w.Key("tickets");
  w.StartArray();
  for (auto* t : ts)
    tickets::write_json(w, *t, true);
  w.EndArray();
  std::vector<const reps::rep*> rs_sorted;
  for (auto& [id, r] : rs.reps)
    if (!r.id.empty())
      rs_sorted.push_back(&r);
  std::sort(rs_sorted.begin(), rs_sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
  w.Key("reps"); // bank details masked: the audit tool never opens them
  w.StartArray();
  for (auto* r : rs_sorted)
    reps::write_json(w, *r);
  w.EndArray();
  std::vector<const calls::call_log*> cs;
  for (auto& [id, c] : rs.calls)
    if (!c.id.empty())
      cs.push_back(&c);
  std::sort(cs.begin(), cs.end(), [](auto* a, auto* b) { return a->id < b->id; });
  w.Key("callLogs");
  w.StartArray();
  for (auto* c : cs)
    calls::write_json(w, *c);
  w.EndArray();
  write_sorted(w, "leads", rs.leads, [&](const leads::lead& l) { leads::write_json(w, l, true); });
  write_sorted(w, "disputes", rs.disputes, [&](const disputes::dispute& x) { disputes::write_json(w, x, true); });
  w.EndObject();
  std::cout << std::string_view(sb.GetString(), sb.GetSize()) << "\n";
  return bad ? 1 : 0;
}

int history(const std::string& dir, const std::string& entity) {
  auto db = open_store(dir);
  if (!db)
    return 2;
  auto seqs = db->entity_seqs(entity);
  if (!seqs) {
    std::cerr << "crm-audit: " << seqs.err().message << "\n";
    return 1;
  }
  if (seqs->empty()) {
    std::cerr << "crm-audit: no events for " << entity << "\n";
    return 1;
  }
  for (auto seq : *seqs) {
    auto e = db->event_at(seq);
    if (!e) {
      std::cerr << "crm-audit: " << e.err().message << "\n";
      return 1;
    }
    std::cout << event_to_json(*e) << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"crm-audit: verify, replay and inspect the CRM event log"};
  app.require_subcommand(1);
  std::string dir = "./crm-data", until, entity;
  auto* v = app.add_subcommand("verify", "walk the whole hash chain and say where it breaks");
  v->add_option("--data-dir", dir, "data directory")->envname("CRM_DATA_DIR");
  auto* r = app.add_subcommand("replay", "rebuild every entity from the log alone and print it");
  r->add_option("--data-dir", dir, "data directory")->envname("CRM_DATA_DIR");
  r->add_option("--until", until, "state as of this time (ISO 8601)");
  auto* h = app.add_subcommand("history", "one entity's events, oldest first");
  h->add_option("--data-dir", dir, "data directory")->envname("CRM_DATA_DIR");
  h->add_option("entity", entity, "entity id, like TKT-000001")->required();
  CLI11_PARSE(app, argc, argv);
  if (v->parsed())
    return verify(dir);
  if (r->parsed())
    return replay(dir, until);
  return history(dir, entity);
}
