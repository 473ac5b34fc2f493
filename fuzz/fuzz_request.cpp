// Raw bytes as HTTP/1.1 requests on one connection, read the way http/server.cpp reads them
// (Beast's request_parser with the server's default limits, here from a buffer) and handed to
// the router as the server hands them: router::precheck when a body follows the headers (and
// then nothing more when it answers), router::handle for the whole request. Up to four
// pipelined requests per input. Besides the checks of every answer (world.hpp): a request
// refused before its body is refused with the same status by the full handling.
//
// "Authorization: Bearer @admin" (also @manager, @agent, @viewer) stands for that key of acme:
// keys are made at random at setup, so seeds cannot hold them. The platform token is
// fuzz-platform-token-0123456789.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>

#include "fuzz/world.hpp"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using parser = bhttp::request_parser<bhttp::string_body>;

/// Feeds `in` to `p` until the headers (or the whole message) are read; false on a parse
/// error. Stops when more bytes than `in` has are needed.
bool feed(parser& p, std::string_view& in, bool headers_only) {
  while (!in.empty() && !(headers_only ? p.is_header_done() : p.is_done())) {
    beast::error_code ec;
    auto n = p.put(boost::asio::buffer(in.data(), in.size()), ec);
    in.remove_prefix(n);
    if (ec == bhttp::error::need_more) {
      if (n == 0)
        break;
      continue;
    }
    if (ec)
      return false;
  }
  return true;
}

/// session::headers_of of http/server.cpp, with the key aliases resolved.
crm::http::request headers_of(const parser& p) {
  auto& req = p.get();
  crm::http::request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.content_type = std::string(req[bhttp::field::content_type]);
  r.authorization = std::string(req[bhttp::field::authorization]);
  r.company_header = std::string(req["X-Company-Id"]);
  auto idem = req.find("Idempotency-Key");
  r.has_idempotency_key = idem != req.end();
  if (r.has_idempotency_key)
    r.idempotency_key = std::string(idem->value());
  r.has_body = p.chunked() || (p.content_length() && *p.content_length() > 0);
  for (auto role : {"admin", "manager", "agent", "viewer"})
    if (r.authorization == std::string("Bearer @") + role)
      r.authorization = crm::fuzz::bearer(role);
  return r;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  crm::fuzz::the_world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& router = *crm::fuzz::the_world().router;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 4 && !in.empty(); ++i) {
    parser p;
    p.body_limit(1 << 20);     // server_options::body_limit
    p.header_limit(16 << 10);  // server_options::header_limit
    if (!feed(p, in, true) || !p.is_header_done())
      break; // the server answers 400, 413 or 431 itself, or waits for more
    if (!p.is_done()) {
      auto head = headers_of(p);
      if (auto early = router.precheck(head)) {
        auto what = head.method + " " + head.target + " (precheck)";
        crm::fuzz::check_answer(*early, what);
        auto full = crm::fuzz::ask(head);
        if (full.status != early->status)
          crm::fuzz::fail("precheck answered " + std::to_string(early->status) + " but the full handling "
                            + std::to_string(full.status) + ": " + full.body,
                          what);
        break; // the server answers and closes without reading the body
      }
      if (!feed(p, in, false) || !p.is_done())
        break;
    }
    auto req = headers_of(p);
    req.body = p.get().body();
    crm::fuzz::ask(std::move(req));
    if (!p.get().keep_alive())
      break;
  }
  crm::fuzz::heal_keys();
  return 0;
}
