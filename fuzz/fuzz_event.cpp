// The event decoder of recovery and replay: the input is a log of stored events (the bytes of
// the events column family) separated by 0x1e. Each is decoded with decode_stored and, as
// actors::runtime::recover does, given its seq and folded with replay_state::apply (tickets,
// reps, calls, NDR links, dispatch settings); an apikey.created is read with key_of, as the
// key registry recovers it, and every event goes into a performance ledger, as GET
// /sales-reps/:id/performance folds them. What the API would answer from them must be JSON: a
// decoded event as the audit log and the timeline show it, and every ticket, rep, call and
// rep performance the fold made.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>

#include "actors/key_registry.hpp"
#include "domain/replay.hpp"
#include "fuzz/world.hpp"

namespace {

void check_json(const std::string& j, std::string_view what, std::string_view input) {
  thread_local simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(j).get(doc))
    crm::fuzz::fail(std::string(what) + " is not JSON: " + j, input);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  crm::replay_state rs;
  crm::reps::performance_ledger ledger;
  std::uint64_t seq = 0;
  while (!in.empty() || seq == 0) {
    auto cut = in.find('\x1e');
    auto stored = in.substr(0, cut);
    in.remove_prefix(cut == std::string_view::npos ? in.size() : cut + 1);
    ++seq;
    auto e = crm::decode_stored(stored);
    if (!e)
      continue;
    e->seq = seq;
    check_json(crm::event_to_json(*e), "the event's API form", stored);
    rs.apply(*e);
    if (auto k = crm::actors::key_of(*e); k && k->id != e->entity)
      crm::fuzz::fail("key_of names another key", stored);
    ledger.add(*e);
  }
  auto input = std::string_view(reinterpret_cast<const char*>(data), size);
  for (auto& [id, t] : rs.tickets)
    check_json(crm::tickets::to_json(t, true), "a replayed ticket", input);
  for (auto& [id, r] : rs.reps) {
    check_json(crm::reps::to_json(r), "a replayed rep", input);
    rapidjson::StringBuffer sb;
    crm::json::writer w(sb);
    crm::reps::write_json(w, ledger.query(id, std::nullopt, std::nullopt));
    check_json(std::string(sb.GetString(), sb.GetSize()), "a rep's performance", input);
  }
  for (auto& [id, c] : rs.calls)
    check_json(crm::calls::to_json(c), "a replayed call", input);
  return 0;
}
