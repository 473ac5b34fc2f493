#include "http/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

namespace crm::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using beast_response = bhttp::response<bhttp::string_body>;

beast_response to_beast(response r, unsigned version, bool keep_alive) {
  beast_response res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, "crm-server");
  res.set(bhttp::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers)
    res.set(k, v);
  res.keep_alive(keep_alive);
  r.materialize();
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& s, router& r, const server_options& o, std::atomic<int>& in_flight)
    : stream_(std::move(s)), router_(r), opts_(o), in_flight_(in_flight) {}

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

private:
  struct slot {
    std::optional<beast_response> res;
    bool keep_alive = true;
  };

  void do_read() {
    if (closing_ || reading_ || queue_.size() >= opts_.pipeline_limit)
      return;
    reading_ = true;
    parser_.emplace();
    parser_->body_limit(opts_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(opts_.header_limit));
    stream_.expires_after(opts_.idle_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void fail_with(int status, const char* code, const char* message) {
    auto s = std::make_shared<slot>();
    s->keep_alive = false;
    auto body = error_response(errc::malformed, message);
    body.status = status;
    if (status == 413)
      body = error_response(errc::too_large, message);
    (void)code;
    s->res = to_beast(std::move(body), 11, false);
    queue_.push_back(s);
    closing_ = true;
    maybe_write();
  }

  void on_read(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (ec == bhttp::error::body_limit)
      return fail_with(413, "payload_too_large", "the request body is over 1 MiB");
    if (ec == bhttp::error::header_limit)
      return fail_with(431, "headers_too_large", "the request headers are too large");
    if (ec) {
      closing_ = true;
      bool protocol_error = ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category()
                            && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
      if (protocol_error)
        return fail_with(400, "bad_request", "the request is not valid HTTP");
      if (queue_.empty())
        do_close();
      return;
    }
    auto req = parser_->release();
    auto s = std::make_shared<slot>();
    s->keep_alive = req.keep_alive();
    queue_.push_back(s);
    request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.content_type = std::string(req[bhttp::field::content_type]);
    r.authorization = std::string(req[bhttp::field::authorization]);
    r.company_header = std::string(req["X-Company-Id"]);
    r.idempotency_key = std::string(req["Idempotency-Key"]);
    r.body = std::move(req.body());
    auto version = req.version();
    ++in_flight_;
    auto self = shared_from_this();
    router_.handle(std::move(r), [self, s, version](response resp) {
      net::post(self->stream_.get_executor(), [self, s, version, resp = std::move(resp)]() mutable {
        s->res = to_beast(std::move(resp), version, s->keep_alive);
        --self->in_flight_;
        self->maybe_write();
      });
    });
    if (!s->keep_alive)
      closing_ = true;
    else
      do_read();
  }

  void maybe_write() {
    if (writing_ || queue_.empty() || !queue_.front()->res)
      return;
    writing_ = true;
    bhttp::async_write(stream_, *queue_.front()->res,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec)
      return do_close();
    bool keep = queue_.front()->keep_alive && queue_.front()->res->keep_alive();
    queue_.pop_front();
    if (!keep) {
      closing_ = true;
      queue_.clear();
      return do_close();
    }
    maybe_write();
    if (closing_ && queue_.empty())
      return do_close();
    do_read();
  }

  /// Lingering close: stop sending, then read and discard what the client is still sending
  /// (an over-limit body, say) for up to two seconds, so that the answer is not lost to a reset.
  void do_close() {
    if (closed_)
      return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    if (!reading_) // a read in flight drains by itself; the session ends with it
      drain();
  }

  void drain() {
    drain_buf_.resize(16 << 10);
    stream_.async_read_some(net::buffer(drain_buf_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec)
        return self->stream_.close();
      self->drain();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  router& router_;
  const server_options& opts_;
  std::atomic<int>& in_flight_;
  std::deque<std::shared_ptr<slot>> queue_;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::vector<char> drain_buf_;
};

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(net::io_context& ioc, tcp::acceptor&& acc, router& r, const server_options& o,
           std::atomic<int>& in_flight)
    : ioc_(ioc), acceptor_(std::move(acc)), router_(r), opts_(o), in_flight_(in_flight) {}

  void run() { do_accept(); }
  void close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open())
      return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<session>(std::move(socket), router_, opts_, in_flight_)->run();
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  router& router_;
  const server_options& opts_;
  std::atomic<int>& in_flight_;
};

} // namespace

struct server::impl {
  impl(router& r, server_options o, std::shared_ptr<spdlog::logger> l)
    : router_(r), opts(std::move(o)), log(std::move(l)), ioc(o.threads) {}
  router& router_;
  server_options opts;
  std::shared_ptr<spdlog::logger> log;
  net::io_context ioc;
  std::shared_ptr<listener> lst;
  std::vector<std::thread> threads;
  std::atomic<int> in_flight{0};
  unsigned short port = 0;
  bool stopped = false;
};

server::server(router& r, server_options opts, std::shared_ptr<spdlog::logger> log)
  : impl_(std::make_unique<impl>(r, std::move(opts), std::move(log))) {}

server::~server() {
  stop(std::chrono::milliseconds(0));
}

result<bool> server::start() {
  auto& d = *impl_;
  beast::error_code ec;
  auto addr = net::ip::make_address(d.opts.address, ec);
  if (ec)
    return error{errc::invalid, "not an IP address: " + d.opts.address};
  tcp::endpoint ep{addr, d.opts.port};
  tcp::acceptor acc(net::make_strand(d.ioc));
  acc.open(ep.protocol(), ec);
  if (!ec)
    acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    acc.bind(ep, ec);
  if (!ec)
    acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return error{errc::unavailable, "cannot listen on " + d.opts.address + ":"
                                      + std::to_string(d.opts.port) + ": " + ec.message()};
  d.port = acc.local_endpoint().port();
  d.lst = std::make_shared<listener>(d.ioc, std::move(acc), d.router_, d.opts, d.in_flight);
  d.lst->run();
  for (int i = 0; i < std::max(1, d.opts.threads); ++i)
    d.threads.emplace_back([&d] { d.ioc.run(); });
  return true;
}

unsigned short server::port() const {
  return impl_->port;
}

void server::stop(std::chrono::milliseconds grace) {
  auto& d = *impl_;
  if (d.stopped)
    return;
  d.stopped = true;
  if (d.lst)
    d.lst->close();
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (d.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Let the answers just produced reach their sockets.
  if (grace.count() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  d.ioc.stop();
  for (auto& t : d.threads)
    if (t.joinable())
      t.join();
}

} // namespace crm::http
