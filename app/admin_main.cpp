// crm-admin: maintenance of a stopped server's data dir.
//
//   crm-admin rotate-key --data-dir DIR
//     With CRM_MASTER_KEY set to the new key and CRM_MASTER_KEY_PREVIOUS to the old one,
//     re-encrypts every rep's bank details under the new key, each as a new
//     `rep.bank_details_rekeyed` event (the log is never rewritten). Values already under the new
//     key are left alone, so a second run changes nothing. The server must be stopped: RocksDB
//     lets one process write a data dir.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "domain/replay.hpp"
#include "domain/time_format.hpp"
#include "storage/crypto.hpp"
#include "storage/journal.hpp"
#include "storage/store.hpp"

namespace {

using namespace crm;

millis wall_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

int rotate_key(const std::string& dir) {
  auto keys = storage::load_master_keys(dir, false);
  if (!keys) {
    std::cerr << "crm-admin: " << keys.err().message << "\n";
    return 2;
  }
  auto cipher = storage::field_cipher::make(keys->current_hex, keys->previous_hex);
  if (!cipher) {
    std::cerr << "crm-admin: " << cipher.err().message << "\n";
    return 2;
  }
  auto db = storage::store::open(dir, storage::open_mode::read_write);
  if (!db) {
    std::cerr << "crm-admin: cannot open " << dir << " for writing (" << db.err().message
              << "); stop the server first\n";
    return 2;
  }
  replay_state rs;
  bool bad = false;
  auto scanned = db.value()->scan_events(1, UINT64_MAX, [&](std::uint64_t seq, std::string_view bytes) {
    auto e = decode_stored(bytes);
    if (!e) {
      std::cerr << "crm-admin: event " << seq << " cannot be read; run crm-audit verify\n";
      bad = true;
      return false;
    }
    e->seq = seq;
    rs.apply(*e);
    return true;
  });
  if (!scanned) {
    std::cerr << "crm-admin: " << scanned.err().message << "; run crm-audit verify\n";
    return 1;
  }
  if (bad)
    return 1;
  storage::journal j(*db.value(), storage::journal_options{true, 4096, {}});
  auto& c = cipher.value();
  auto seal = [&](std::string_view p) { return c.seal(p); };
  auto open = [&](std::string_view s) { return c.open(s); };
  std::vector<const reps::rep*> all;
  for (auto& [id, r] : rs.reps)
    if (!r.id.empty())
      all.push_back(&r);
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::size_t rekeyed = 0, current = 0, unreadable = 0;
  for (auto* r : all) {
    if (!r->bank)
      continue;
    if (storage::field_cipher::version_of(r->bank->sealed) == c.version()) {
      ++current;
      continue;
    }
    auto drafts = reps::decide_rekey(*r, {r->company_id, "crm-admin", wall_now()}, open, seal, c.version());
    if (drafts.empty()) {
      std::cerr << "crm-admin: " << r->id << ": bank details sealed under key version "
                << storage::field_cipher::version_of(r->bank->sealed)
                << ", which neither CRM_MASTER_KEY nor CRM_MASTER_KEY_PREVIOUS opens\n";
      ++unreadable;
      continue;
    }
    auto written = storage::submit_and_wait(j, storage::submission{std::move(drafts), {}, {}});
    if (!written) {
      std::cerr << "crm-admin: writing failed: " << written.err().message << "\n";
      j.stop();
      return 1;
    }
    ++rekeyed;
  }
  j.stop();
  std::cout << "rotate-key: " << rekeyed << " re-encrypted under key version " << c.version() << ", "
            << current << " already under it, " << unreadable << " unreadable\n";
  return unreadable ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"crm-admin: maintenance of a stopped CRM server's data dir"};
  app.require_subcommand(1);
  std::string dir = "./crm-data";
  auto* rot = app.add_subcommand("rotate-key", "re-encrypt sensitive fields under CRM_MASTER_KEY");
  rot->add_option("--data-dir", dir, "the server's data dir")->envname("CRM_DATA_DIR");
  CLI11_PARSE(app, argc, argv);
  if (rot->parsed())
    return rotate_key(dir);
  return 2;
}
