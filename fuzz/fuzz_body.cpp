// Every JSON body reader of the API: the first byte picks a route that reads a body (its
// handler turns the body into a command), the rest is the body, sent with a key allowed there.
// The readers live in the handlers, so the body goes through router::handle: a body the reader
// refuses is answered 400 or 422 at once; one it turns into a command reaches the actors, whose
// answer is 2xx or 4xx. Never a 5xx other than 503, never a crash; 4xx answers carry an error.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <iterator>

#include "fuzz/world.hpp"

namespace {

struct reader {
  const char* method;
  const char* target;
  const char* role;
};

// The entities setup made (world.hpp): the readers' commands reach real state.
constexpr reader readers[] = {
  {"POST", "/api/v1/support/tickets", "admin"},                        // create ticket
  {"PUT", "/api/v1/support/tickets/TKT-000001", "admin"},              // update ticket
  {"POST", "/api/v1/support/tickets/TKT-000001/notes", "admin"},       // note
  {"POST", "/api/v1/ndr/events", "admin"},                             // NDR event
  {"POST", "/api/v1/crm/sales-reps", "admin"},                         // create rep
  {"PUT", "/api/v1/crm/sales-reps/REP-000001", "admin"},               // update rep
  {"PUT", "/api/v1/crm/sales-reps/REP-000001", "agent"},               // ... as its agent
  {"PUT", "/api/v1/crm/call-logs/CALL-000001", "admin"},               // update call
  {"POST", "/api/v1/crm/call-logs/CALL-000001/callback", "admin"},     // callback
  {"POST", "/api/v1/admin/api-keys", "platform"},                      // API key
  {"PUT", "/api/v1/crm/dispatcher/settings", "admin"},                 // dispatch settings
  {"POST", "/api/v1/crm/leads", "agent"},                              // create lead
  {"PUT", "/api/v1/crm/leads/LEAD-000001", "admin"},                   // update lead
  {"POST", "/api/v1/crm/leads/LEAD-000001/convert", "admin"},          // convert lead
  {"POST", "/api/v1/disputes", "agent"},                               // create dispute
  {"PUT", "/api/v1/disputes/DSP-000001", "agent"},                     // update dispute
  {"POST", "/api/v1/disputes/DSP-000001/resolve", "agent"},            // resolve dispute
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  crm::fuzz::the_world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  auto& r = readers[data[0] % std::size(readers)];
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto req = crm::fuzz::make_request(r.method, r.target, crm::fuzz::bearer(r.role), body);
  req.has_body = true; // an empty body too is read (and refused) by the reader
  req.content_type = "application/json";
  auto what = std::string(r.method) + " " + r.target + " " + body;
  auto res = crm::fuzz::ask(std::move(req));
  if (res.status >= 400 && res.status < 500) {
    thread_local simdjson::dom::parser p;
    simdjson::dom::element doc;
    std::string_view code;
    if (p.parse(res.body).get(doc) || doc["error"]["code"].get(code))
      crm::fuzz::fail("a " + std::to_string(res.status) + " without an error code: " + res.body, what);
  } else if (res.status >= 300 && res.status != 503) {
    crm::fuzz::fail("answered " + std::to_string(res.status), what);
  }
  return 0;
}
