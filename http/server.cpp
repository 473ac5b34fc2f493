#include "http/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <boost/asio/steady_timer.hpp>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace crm::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using beast_response = bhttp::response<bhttp::string_body>;
/// Each connection runs on a strand of the one io_context, named by its concrete type: the
/// async operations then carry the executor as it is rather than type-erased (any_io_executor
/// copies, moves and `prefer`s it on every operation).
using strand_t = net::strand<net::io_context::executor_type>;
using socket_t = tcp::socket::rebind_executor<strand_t>::other;
using stream_t = beast::basic_stream<tcp, strand_t>;

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

class session;

/// What the listener, the sessions and stop() share.
struct shared_state {
  shared_state(router& r, const server_options& o, http_metrics& m, std::shared_ptr<spdlog::logger> l)
    : rt(r), opts(o), metrics(m), log(std::move(l)) {}
  router& rt;
  const server_options& opts;
  http_metrics& metrics;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<long> in_flight{0}; // requests read whose answers are not yet written
  std::atomic<bool> stopping{false};
  std::mutex mu;
  /// Every session, registered by itself and taken out by its destructor under `mu`: under the
  /// lock a listed session is alive (at worst its destructor waits for the lock).
  std::list<session*> sessions;

  /// Runs `f` on each live session's strand.
  template <class F>
  void each_session(F f);
  /// Closes (on their strands) the sessions past their deadline.
  void sweep();
};

class session : public std::enable_shared_from_this<session> {
public:
  session(socket_t&& s, shared_state& st) : stream_(std::move(s)), st_(st) {
    ++st_.metrics.open_connections;
  }
  ~session() {
    --st_.metrics.open_connections;
    st_.in_flight -= pending_;
    st_.metrics.buffered_output_bytes -= static_cast<long>(queued_bytes_);
    std::lock_guard<std::mutex> lock(st_.mu);
    st_.sessions.erase(registered_);
  }

  void run() {
    {
      std::lock_guard<std::mutex> lock(st_.mu);
      registered_ = st_.sessions.insert(st_.sessions.end(), this);
    }
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

  auto executor() { return stream_.get_executor(); }

  /// Whether the deadline of a pending read (a request, a body, the lingering close) or write
  /// has passed at `now` (steady milliseconds). Read by the sweeper under the session list's
  /// lock, from any thread.
  bool past_deadline(std::int64_t now) const {
    return passed(read_deadline_, now) || passed(write_deadline_, now);
  }

  /// On the session's strand, after the sweeper saw a deadline pass: closes the socket, so that
  /// what is pending completes (the late direction as a timeout, the other as aborted), unless
  /// the operation finished or its deadline moved meanwhile.
  void on_deadline() {
    auto now = steady_ms();
    bool read_late = passed(read_deadline_, now), write_late = passed(write_deadline_, now);
    if (!read_late && !write_late)
      return;
    read_timed_out_ = read_timed_out_ || read_late; // never unset: the aborted operations
    write_timed_out_ = write_timed_out_ || write_late; // complete after this
    read_deadline_.store(0, std::memory_order_relaxed);
    write_deadline_.store(0, std::memory_order_relaxed);
    beast::error_code ec;
    stream_.socket().close(ec);
  }

  /// Whether a deadline (0: none armed) has passed at `now`.
  static bool passed(const std::atomic<std::int64_t>& deadline, std::int64_t now) {
    auto d = deadline.load(std::memory_order_relaxed);
    return d != 0 && d <= now;
  }

  static std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
  }

  /// Closes the connection when it waits for a new request with nothing buffered: at shutdown
  /// (`for_good`: and reads no further request) or to free a descriptor at the limit.
  void shed_if_idle(bool for_good) {
    if (for_good)
      closing_ = true;
    if (reading_ && !in_body_ && buffer_.size() == 0 && queue_.empty()) {
      // No answer is owed: the descriptor is freed now, with no lingering close.
      closing_ = true;
      closed_ = true;
      beast::error_code ec;
      stream_.socket().close(ec);
    }
  }

private:
  struct slot {
    std::optional<beast_response> res;
    bool keep_alive = true;
    bool counted = false; // a request handed to the router (not an error of the read itself)
    std::size_t bytes = 0;
  };

  void do_read() {
    if (closing_ || reading_ || queue_.size() >= st_.opts.pipeline_limit
        || queued_bytes_ >= st_.opts.output_limit)
      return;
    if (!queue_.empty()
        && static_cast<std::size_t>(st_.metrics.buffered_output_bytes.load()) >= st_.opts.total_output_limit)
      return; // on_write reads again once this client takes its answers
    if (st_.stopping) {
      closing_ = true;
      if (queue_.empty())
        do_close();
      return;
    }
    reading_ = true;
    in_body_ = false;
    parser_.emplace();
    head_.reset();
    parser_->body_limit(st_.opts.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(st_.opts.header_limit));
    arm_read(st_.opts.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void fail_with(response body) {
    auto s = std::make_shared<slot>();
    s->keep_alive = false;
    s->res = to_beast(std::move(body), 11, false);
    s->bytes = s->res->body().size();
    queued_bytes_ += s->bytes;
    st_.metrics.buffered_output_bytes += static_cast<long>(s->bytes);
    queue_.push_back(s);
    closing_ = true;
    maybe_write();
  }

  /// A read error: an answer for what is not HTTP or too large, else a quiet close.
  void read_failed(beast::error_code ec) {
    read_done();
    ec = timed(ec, read_timed_out_);
    reading_ = false;
    if (ec == bhttp::error::body_limit)
      return fail_with(error_response(errc::too_large, "the request body is over 1 MiB"));
    if (ec == bhttp::error::header_limit) {
      auto r = error_response(errc::malformed, "the request headers are too large");
      r.status = 431;
      return fail_with(std::move(r));
    }
    closing_ = true;
    if (ec == beast::error::timeout && in_body_)
      ++st_.metrics.timed_out_connections;
    bool protocol_error = ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category()
                          && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (protocol_error)
      return fail_with(error_response(errc::malformed, "the request is not valid HTTP"));
    if (queue_.empty())
      do_close();
  }

  static bool has_body(const bhttp::request_parser<bhttp::string_body>& p) {
    return p.chunked() || (p.content_length() && *p.content_length() > 0);
  }

  request headers_of(const bhttp::request<bhttp::string_body>& req) const {
    request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.content_type = std::string(req[bhttp::field::content_type]);
    r.authorization = std::string(req[bhttp::field::authorization]);
    r.company_header = std::string(req["X-Company-Id"]);
    auto idem = req.find("Idempotency-Key");
    r.has_idempotency_key = idem != req.end();
    if (r.has_idempotency_key)
      r.idempotency_key = std::string(idem->value());
    r.has_body = has_body(*parser_);
    return r;
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec)
      return read_failed(ec);
    read_done();
    if (parser_->is_done())
      return on_read({}, 0);
    in_body_ = true;
    // Whatever the body, the headers may already settle the answer: no key, no role, a bad
    // header. Then the body is not read (nor buffered) at all.
    head_ = headers_of(parser_->get()); // kept for on_read: the same headers, read once
    if (auto early = st_.rt.precheck(*head_)) {
      reading_ = false;
      return fail_with(std::move(*early));
    }
    arm_read(st_.opts.body_timeout); // the body's time runs from its headers, 100 Continue included
    // 100 Continue only when nothing else is on the wire or waiting for it: an interim answer
    // may not overtake the answers of earlier requests. Otherwise the body is simply read (a
    // client waits a moment for the 100, then sends it anyway). Nor when the client has sent
    // body bytes already (they are in the buffer): it did not wait, and a 100 would be noise.
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue") && queue_.empty() && !writing_
        && buffer_.size() == 0) {
      writing_ = true;
      arm_write(st_.opts.body_timeout);
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      return bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
        self->writing_ = false;
        self->write_done();
        ec = timed(ec, self->write_timed_out_);
        if (ec)
          return self->read_failed(ec);
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return read_failed(ec);
    read_done();
    if (closed_) { // read while closing: its answer could not be sent, so it is not run
      reading_ = false;
      return;
    }
    reading_ = false;
    in_body_ = false;
    auto r = head_ ? std::move(*head_) : headers_of(parser_->get());
    head_.reset();
    auto req = parser_->release();
    auto s = std::make_shared<slot>();
    s->keep_alive = req.keep_alive();
    s->counted = true;
    queue_.push_back(s);
    r.body = std::move(req.body());
    auto version = req.version();
    ++st_.in_flight;
    ++pending_;
    auto self = shared_from_this();
    // dispatch: an answer made at once on this strand (a read from the read model) is queued
    // for writing here and now, without a second trip through the io_context.
    st_.rt.handle(std::move(r), [self, s, version](response resp) {
      net::dispatch(self->stream_.get_executor(), [self, s, version, resp = std::move(resp)]() mutable {
        bool keep = s->keep_alive && !self->st_.stopping;
        s->res = to_beast(std::move(resp), version, keep);
        s->bytes = s->res->body().size();
        self->queued_bytes_ += s->bytes;
        self->st_.metrics.buffered_output_bytes += static_cast<long>(s->bytes);
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
    arm_write(st_.opts.idle_timeout);
    bhttp::async_write(stream_, *queue_.front()->res,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    write_done();
    ec = timed(ec, write_timed_out_);
    if (ec) {
      if (ec == beast::error::timeout)
        ++st_.metrics.timed_out_connections;
      return do_close();
    }
    auto& front = *queue_.front();
    bool keep = front.keep_alive && front.res->keep_alive();
    queued_bytes_ -= front.bytes;
    st_.metrics.buffered_output_bytes -= static_cast<long>(front.bytes);
    if (front.counted) {
      --pending_;
      --st_.in_flight;
    }
    queue_.pop_front();
    if (!keep) {
      closing_ = true;
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
    stream_.socket().shutdown(net::socket_base::shutdown_send, ec);
    arm_read(std::chrono::seconds(2)); // the drain, or the read in flight
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

  /// Timeouts without a timer per operation: each direction's deadline is set when its
  /// operation starts and cleared when it ends (atomic stores), and the server's sweeper
  /// (every 100 ms) closes the connections with a pending operation past its deadline, as a
  /// beast stream's expiry did, with its read and write timers apart. Arming that expiry
  /// locked the reactor's timer queue twice per operation.
  void arm_read(std::chrono::milliseconds d) { read_deadline_.store(steady_ms() + d.count(), std::memory_order_relaxed); }
  void arm_write(std::chrono::milliseconds d) { write_deadline_.store(steady_ms() + d.count(), std::memory_order_relaxed); }
  void read_done() { read_deadline_.store(0, std::memory_order_relaxed); }
  void write_done() { write_deadline_.store(0, std::memory_order_relaxed); }
  /// The error of an operation the sweeper cut short for its lateness reads as a timeout.
  static beast::error_code timed(beast::error_code ec, bool late) {
    return late && ec == net::error::operation_aborted ? beast::error_code(beast::error::timeout) : ec;
  }

  stream_t stream_;
  std::atomic<std::int64_t> read_deadline_{0}, write_deadline_{0}; // steady milliseconds; 0: none
  bool read_timed_out_ = false, write_timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<request> head_; // the headers of a request with a body, taken before the body
  shared_state& st_;
  std::list<session*>::iterator registered_;
  std::deque<std::shared_ptr<slot>> queue_;
  std::size_t queued_bytes_ = 0;
  long pending_ = 0; // requests handed to the router and not yet written back
  bool reading_ = false;
  bool in_body_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::vector<char> drain_buf_;
};

template <class F>
void shared_state::each_session(F f) {
  std::vector<std::shared_ptr<session>> live; // released after the lock: a last reference runs ~session
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto* p : sessions)
      if (auto s = p->weak_from_this().lock())
        live.push_back(std::move(s));
  }
  for (auto& s : live)
    net::post(s->executor(), [s, f] { f(*s); });
}

void shared_state::sweep() {
  auto now = session::steady_ms();
  std::vector<std::shared_ptr<session>> late; // released after the lock, as above
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto* p : sessions)
      if (p->past_deadline(now))
        if (auto s = p->weak_from_this().lock())
          late.push_back(std::move(s));
  }
  for (auto& s : late)
    net::post(s->executor(), [s] { s->on_deadline(); });
}

class listener : public std::enable_shared_from_this<listener> {
public:
  listener(net::io_context& ioc, tcp::acceptor&& acc, shared_state& st)
    : ioc_(ioc), acceptor_(std::move(acc)), st_(st), backoff_(acceptor_.get_executor()) {}

  void run() { do_accept(); }
  void close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
    });
  }

private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }
  void on_accept(beast::error_code ec, socket_t socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open())
      return;
    if (ec == net::error::no_descriptors || ec.value() == ENFILE || ec == net::error::no_buffer_space) {
      // Out of descriptors: retrying at once spins. Free idle connections, wait, then go on.
      ++st_.metrics.refused_connections;
      if (!warned_.exchange(true))
        st_.log->warn("accept: {}; shedding idle connections and backing off", ec.message());
      st_.each_session([](session& s) { s.shed_if_idle(false); });
      backoff_.expires_after(std::chrono::milliseconds(50));
      backoff_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e)
          self->do_accept();
      });
      return;
    }
    if (!ec) {
      if (static_cast<std::size_t>(st_.metrics.open_connections.load()) >= st_.opts.max_connections
          || st_.stopping) {
        ++st_.metrics.refused_connections;
        socket.close(ec);
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<session>(std::move(socket), st_)->run();
      }
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  shared_state& st_;
  net::steady_timer backoff_;
  std::atomic<bool> warned_{false};
};

} // namespace

struct server::impl {
  impl(router& r, server_options o, std::shared_ptr<spdlog::logger> l)
    : opts(std::move(o)), log(std::move(l)), st(r, opts, r.metrics(), log), ioc(opts.threads) {}
  server_options opts;
  std::shared_ptr<spdlog::logger> log;
  shared_state st;    // outlives the io_context: sessions its handlers still hold use it
  net::io_context ioc;
  net::steady_timer sweeper{ioc}; // session deadlines (session::arm)
  std::shared_ptr<listener> lst;
  std::vector<std::thread> threads;
  unsigned short port = 0;
  bool stopped = false;

  void sweep_every(std::chrono::milliseconds period) {
    sweeper.expires_after(period);
    sweeper.async_wait([this, period](beast::error_code ec) {
      if (ec)
        return;
      st.sweep();
      sweep_every(period);
    });
  }
};

server::server(router& r, server_options opts, std::shared_ptr<spdlog::logger> log)
  : impl_(std::make_unique<impl>(r, std::move(opts), log ? std::move(log) : spdlog::default_logger())) {}

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
  d.lst = std::make_shared<listener>(d.ioc, std::move(acc), d.st);
  d.lst->run();
  d.sweep_every(std::chrono::milliseconds(100)); // timeouts are whole seconds: within 0.1 s
  for (int i = 0; i < std::max(1, d.opts.threads); ++i)
    d.threads.emplace_back([&d] {
      pthread_setname_np(pthread_self(), "crm-io");
      d.ioc.run();
    });
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
  d.st.stopping = true;
  if (d.lst)
    d.lst->close();
  // Idle keep-alive connections close now; busy ones after their answers are written.
  d.st.each_session([](session& s) { s.shed_if_idle(true); });
  auto deadline = std::chrono::steady_clock::now() + grace;
  while ((d.st.in_flight.load() > 0 || d.st.metrics.open_connections.load() > 0)
         && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (d.st.in_flight.load() == 0) // the rest only linger to drain: no answer is owed
      break;
  }
  d.ioc.stop();
  for (auto& t : d.threads)
    if (t.joinable())
      t.join();
}

} // namespace crm::http
