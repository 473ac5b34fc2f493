#include "storage/verify.hpp"

#include <simdjson.h>

namespace crm::storage {

chain_report verify_chain(const store& db, const std::function<void(std::uint64_t)>& progress) {
  chain_report rep;
  std::uint64_t expected = 1;
  std::string prev = genesis_hash();
  simdjson::dom::parser parser;
  auto report = [&](std::uint64_t seq, std::string why) {
    rep.breaks.push_back({seq, std::move(why)});
  };
  auto scanned = db.scan_events(0, UINT64_MAX, [&](std::uint64_t seq, std::string_view bytes) {
    ++rep.events;
    if (progress)
      progress(rep.events);
    if (seq > expected)
      report(expected, "events " + std::to_string(expected) + ".." + std::to_string(seq - 1)
                         + " are missing (removed)");
    expected = seq + 1;
    auto parts = split_stored(bytes);
    if (!parts) {
      report(seq, "the stored event is not readable");
      prev.assign(64, '?');
      return true;
    }
    simdjson::dom::element doc;
    std::uint64_t inner = 0;
    if (parser.parse(parts->canonical.data(), parts->canonical.size()).get(doc)
        || doc["seq"].get(inner))
      report(seq, "the event is not valid JSON");
    else if (inner != seq)
      report(seq, "the event says seq " + std::to_string(inner) + " (moved or reordered)");
    if (parts->prev_hash != prev)
      report(seq, "prevHash does not link to the event before it");
    if (chain_hash(parts->prev_hash, parts->canonical) != parts->hash)
      report(seq, "the hash does not match the event's content (altered)");
    prev = std::string(parts->hash);
    return true;
  });
  if (!scanned)
    report(expected, "the log cannot be read from here on: " + scanned.err().message);
  rep.last_hash = prev;
  return rep;
}

} // namespace crm::storage
