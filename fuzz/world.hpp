#pragma once
// What the fuzz targets that go through the router share: one runtime (RocksDB in a fresh
// directory under $TMPDIR, the actors, the key registry) and one router with every route, made
// once per process, with a manual clock that never moves. Setup makes an admin, a manager, an
// agent and a viewer key of company "acme", a ticket, a rep, and an NDR event with a call:
//   TKT-000001 (POST tickets), REP-000001 (POST sales-reps), TKT-000002 and CALL-000001 (the
//   NDR event N-1 with action "call").
// Every answer is checked: never a 5xx other than 503, and a JSON body whenever its type is
// application/json. A failed check or an answer that never comes aborts (a crash to libFuzzer).
#include <string>
#include <string_view>

#include "actors/runtime.hpp"
#include "http/router.hpp"

namespace crm::fuzz {

inline constexpr std::string_view platform_token = "fuzz-platform-token-0123456789";
inline constexpr std::string_view company = "acme";

struct world {
  manual_clock clk;
  std::unique_ptr<actors::runtime> rt;
  std::unique_ptr<http::router> router;
  std::string admin_key, manager_key, agent_key, viewer_key;
};

/// Started on first use (call it from LLVMFuzzerInitialize); shut down at exit.
world& the_world();

/// Makes a new key for each of the four whose key was revoked (a request may revoke one).
void heal_keys();

/// A request as the server makes it from one it read: `auth` is the whole Authorization value.
http::request make_request(std::string method, std::string target, std::string auth,
                           std::string body = {}, std::string company_header = {});
/// "Bearer " and the key of a role of acme ("platform": the platform token).
std::string bearer(std::string_view role);

/// Hands `req` to router::handle and waits for its answer (rendered, as the server writes it);
/// aborts when none comes within 30 s or when the answer fails the checks above. With
/// CRM_FUZZ_VERBOSE set, prints each request and its answer.
http::response ask(http::request req);
/// The checks alone; `what` names the request in the message.
void check_answer(const http::response& r, std::string_view what);

/// Prints `why` and the request, then aborts.
[[noreturn]] void fail(std::string_view why, std::string_view what);

} // namespace crm::fuzz
