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
  std::size_t pipeline_limit = 16;
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
  /// Stops accepting, waits up to `grace` for in-flight requests, then stops the io threads
  /// and joins them.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace crm::http
