#pragma once
// The Beast HTTP/1.1 server: a listener that accepts and sessions that read and write with
// limits (body size, header size, idle timeout, keep-alive, pipelining with a queue limit).
// Sessions hand each request to the router and write the answers back in request order; the
// io threads never wait on an actor.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "domain/errc.hpp"
#include "http/router.hpp"

namespace crm::http {

struct server_options {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;
  int threads = 2;
  std::size_t body_limit = 1 << 20;
  std::size_t header_limit = 16 << 10;
  std::chrono::seconds idle_timeout{60};
  /// A body must arrive within this of its headers; a slower client is cut off.
  std::chrono::seconds body_timeout{10};
  /// Requests read ahead of their answers on one connection (pipelining).
  std::size_t pipeline_limit = 4;
  /// Bytes of finished answers a connection may hold for a client that does not read them;
  /// past it the server stops reading that client's requests until it reads. So a connection
  /// holds at most output_limit plus pipeline_limit answers (a page is at most ~1 MB).
  std::size_t output_limit = 1 << 20;
  /// The same across all connections: past it, no connection that holds unwritten answers
  /// reads another request.
  std::size_t total_output_limit = 64 << 20;
  /// Connections open at once; past it (or with no descriptor left) new ones are closed at once.
  std::size_t max_connections = 10000;
  /// Passed to the router: a request unanswered this long gets 503 with Retry-After.
  std::chrono::milliseconds request_timeout{5000};
};

class server {
public:
  server(router& r, server_options opts, std::shared_ptr<spdlog::logger> log);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and starts the io threads. errc::unavailable when the address cannot be bound.
  result<bool> start();
  /// The bound port (useful with port 0).
  unsigned short port() const;
  /// Stops accepting, closes idle connections, waits up to `grace` for the requests in flight
  /// to be answered and their answers written, then stops the io threads and joins them.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace crm::http
