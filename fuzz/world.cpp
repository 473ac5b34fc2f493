#include "fuzz/world.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

#include "domain/text.hpp"
#include "storage/store.hpp"

namespace crm::fuzz {

namespace {

world* the = nullptr;
std::string data_dir;

void stop_world() {
  if (!the)
    return;
  the->router.reset();
  the->rt->shutdown();
  // For fuzz/make_corpus.py: the events the inputs made, as stored, one file per event.
  if (const char* dump = std::getenv("CRM_FUZZ_DUMP_EVENTS")) {
    std::filesystem::create_directories(dump);
    the->rt->store().scan_events(1, UINT64_MAX, [&](std::uint64_t seq, std::string_view bytes) {
      std::ofstream(std::filesystem::path(dump) / std::to_string(seq), std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return true;
    });
  }
  std::error_code ec;
  std::filesystem::remove_all(data_dir, ec);
}

std::string field(const http::response& r, std::string_view name) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  std::string_view s;
  if (p.parse(r.body).get(doc) || doc[name].get(s))
    return {};
  return std::string(s);
}

/// Setup: a request that must answer `status`; its answer.
http::response must(int status, http::request req) {
  auto what = req.method + " " + req.target;
  auto r = ask(std::move(req));
  if (r.status != status)
    fail("setup: expected " + std::to_string(status) + ", got " + std::to_string(r.status) + " " + r.body,
         what);
  return r;
}

std::string make_key(std::string_view role, std::string_view rep = {}) {
  std::string body = R"({"companyId":"acme","role":")" + std::string(role) + R"(","name":"fuzz )"
                     + std::string(role) + "\"" + (rep.empty() ? "" : R"(,"repId":")" + std::string(rep) + "\"")
                     + "}";
  auto r = must(201, make_request("POST", "/api/v1/admin/api-keys", bearer("platform"), body));
  return field(r, "key");
}

void start() {
  spdlog::set_level(spdlog::level::warn);
  auto tmp = std::filesystem::temp_directory_path() / "crm-fuzz-XXXXXX";
  std::string tmpl = tmp.string();
  if (!::mkdtemp(tmpl.data()))
    fail("cannot make a temp dir", tmpl);
  data_dir = tmpl;
  auto* w = new world();
  actors::runtime_options o;
  o.data_dir = data_dir + "/data";
  o.master_key = std::string(64, 'a');
  o.cfg.timer_tick = 0;  // no timers fire: the clock never moves
  o.cfg.sweep_every = 0; // no passivation sweeps
  auto rt = actors::runtime::start(o, w->clk, nullptr);
  if (!rt)
    fail("cannot start the runtime: " + rt.err().message, data_dir);
  w->rt = std::move(rt.value());
  w->router = std::make_unique<http::router>(
    *w->rt, w->clk, http::router::options{std::string(platform_token), 0, std::chrono::milliseconds(10'000)});
  http::add_system_routes(*w->router);
  http::add_ticket_routes(*w->router);
  http::add_rep_routes(*w->router);
  http::add_call_routes(*w->router);
  http::add_lead_routes(*w->router);
  http::add_dispute_routes(*w->router);
  http::add_notification_routes(*w->router);
  http::add_admin_routes(*w->router);
  w->router->set_ready(true);
  the = w;
  std::atexit(stop_world);

  w->admin_key = make_key("admin");
  w->manager_key = make_key("manager");
  w->viewer_key = make_key("viewer");
  must(201, make_request("POST", "/api/v1/support/tickets", bearer("admin"),
                         R"({"category":"billing","subject":"Refund not received"})"));
  must(201, make_request("POST", "/api/v1/crm/sales-reps", bearer("admin"),
                         R"({"name":"Asha Rao","email":"asha@x.in","phone":"+919876543210","skills":["billing"]})"));
  must(201, make_request("POST", "/api/v1/ndr/events", bearer("admin"),
                         R"({"ndrEventId":"N-1","shipmentId":"SHP-1","action":"call","territory":"north"})"));
  w->agent_key = make_key("agent", "REP-000001");
  must(201, make_request("POST", "/api/v1/crm/leads", bearer("admin"),
                         R"({"name":"Ravi","phone":"9876543210","source":"referral","territory":"north"})"));
  must(201, make_request("POST", "/api/v1/disputes", bearer("admin"),
                         R"({"type":"damaged-goods","claimAmount":1499.5,"relatedSupportTicketId":"TKT-000001"})"));
}

} // namespace

world& the_world() {
  if (!the)
    start();
  return *the;
}

void heal_keys() {
  auto& w = the_world();
  auto& keys = w.rt->keys();
  for (auto [role, key] : {std::pair{"admin", &w.admin_key}, std::pair{"manager", &w.manager_key},
                           std::pair{"viewer", &w.viewer_key}, std::pair{"agent", &w.agent_key}})
    if (!keys.authenticate(*key))
      *key = make_key(role, std::string_view(role) == "agent" ? "REP-000001" : "");
}

std::string bearer(std::string_view role) {
  if (role == "platform")
    return "Bearer " + std::string(platform_token);
  auto& w = *the;
  if (role == "admin")
    return "Bearer " + w.admin_key;
  if (role == "manager")
    return "Bearer " + w.manager_key;
  if (role == "agent")
    return "Bearer " + w.agent_key;
  if (role == "viewer")
    return "Bearer " + w.viewer_key;
  fail("no key for role", role);
}

http::request make_request(std::string method, std::string target, std::string auth,
                           std::string body, std::string company_header) {
  http::request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.authorization = std::move(auth);
  r.company_header = company_header.empty() && r.authorization == bearer("platform")
                       ? std::string(company)
                       : std::move(company_header);
  r.has_body = !body.empty();
  if (r.has_body)
    r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

void fail(std::string_view why, std::string_view what) {
  std::fprintf(stderr, "\n=== fuzz check failed: %.*s\n=== request: %s\n", static_cast<int>(why.size()),
               why.data(), printable(what, 4000).c_str());
  std::fflush(stderr);
  std::abort();
}

void check_answer(const http::response& r, std::string_view what) {
  if (r.status < 100 || r.status > 599 || (r.status >= 500 && r.status != 503))
    fail("answered " + std::to_string(r.status) + ": " + r.body, what);
  if (r.content_type != "application/json")
    return;
  thread_local simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (auto err = p.parse(r.body).get(doc))
    fail(std::string("the answer is not JSON (") + simdjson::error_message(err) + "): " + r.body, what);
}

http::response ask(http::request req) {
  auto what = req.method + " " + req.target + " [" + req.authorization + "] " + req.body;
  auto p = std::make_shared<std::promise<http::response>>();
  auto f = p->get_future();
  the_world().router->handle(std::move(req), [p](http::response r) { p->set_value(std::move(r)); });
  if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
    fail("no answer within 30 s", what);
  auto r = f.get();
  r.materialize(); // as the server does on its io thread
  static const bool verbose = std::getenv("CRM_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "%d %s\n  -> %s\n", r.status, printable(what, 300).c_str(), printable(r.body, 300).c_str());
  check_answer(r, what);
  return r;
}

} // namespace crm::fuzz
