// The ceiling for the benches: a minimal Beast server with the same JSON work as crm-server
// (simdjson parses a POST body, RapidJSON writes the answer) and nothing else: no actors, no
// storage, no auth. Usage: crm-bench-raw PORT [THREADS]
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "domain/json.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

thread_local simdjson::dom::parser parser;

std::string answer(const http::request<http::string_body>& req, http::status& st) {
  return crm::json::object([&](crm::json::writer& w) {
    if (req.method() == http::verb::post) {
      simdjson::dom::element doc;
      std::string_view subject;
      if (parser.parse(req.body()).get(doc) || doc["subject"].get(subject)) {
        st = http::status::bad_request;
        crm::json::kv(w, "error", "bad body");
        return;
      }
      st = http::status::created;
      crm::json::kv(w, "ticketId", "TKT-000001");
      crm::json::kv(w, "subject", subject);
    } else {
      st = http::status::ok;
      crm::json::kv(w, "ticketId", "TKT-000001");
      crm::json::kv(w, "subject", "Refund not received for order ORD-1");
    }
    crm::json::kv(w, "status", "open");
    crm::json::kv(w, "createdAt", "2026-11-24T10:00:00.000Z");
  });
}

class session : public std::enable_shared_from_this<session> {
public:
  explicit session(tcp::socket s) : stream_(std::move(s)) {}
  void run() { read(); }

private:
  void read() {
    req_ = {};
    http::async_read(stream_, buf_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec)
        return;
      http::status st;
      auto body = answer(self->req_, st);
      self->res_ = http::response<http::string_body>{st, self->req_.version()};
      self->res_.set(http::field::content_type, "application/json");
      self->res_.keep_alive(self->req_.keep_alive());
      self->res_.body() = std::move(body);
      self->res_.prepare_payload();
      http::async_write(self->stream_, self->res_, [self](beast::error_code ec, std::size_t) {
        if (!ec && self->res_.keep_alive())
          self->read();
      });
    });
  }
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

void accept(tcp::acceptor& acc, net::io_context& ioc) {
  acc.async_accept(net::make_strand(ioc), [&](beast::error_code ec, tcp::socket s) {
    if (!ec) {
      s.set_option(tcp::no_delay(true));
      std::make_shared<session>(std::move(s))->run();
    }
    accept(acc, ioc);
  });
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: crm-bench-raw PORT [THREADS]\n";
    return 2;
  }
  int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  net::io_context ioc(threads);
  tcp::acceptor acc(ioc, {net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::atoi(argv[1]))});
  accept(acc, ioc);
  std::vector<std::thread> ts;
  for (int i = 1; i < threads; ++i)
    ts.emplace_back([&] { ioc.run(); });
  ioc.run();
}
