#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "outbound/courier.hpp"
#include "outbound/signing.hpp"

namespace crm::outbound {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// How long a test waits for a message before it gives up (never a timer being waited out).
constexpr auto patience = 10s;
constexpr int patience_ms = 10000;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

/// One request as a fake receiver saw it. For SMTP: method "SMTP", the MAIL and RCPT commands as
/// headers, and the DATA section (still dot-stuffed, without the final ".") as body.
struct received {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first header of that name (any case); nullopt when missing.
  std::optional<std::string> header(std::string_view name) const {
    for (auto& [n, v] : headers)
      if (iequals(n, name))
        return v;
    return std::nullopt;
  }
};

struct receiver_options {
  bool smtp = false;
  int status = 200;
  std::string answer{};
  std::string extra_headers{}; // raw "Name: value\r\n" lines added to the HTTP answer
  bool gate_open = true;     // false: requests get no answer until open_gate() or the end
};

/// A receiver on 127.0.0.1, on a port of its own, with a thread per connection.
class fake_receiver {
public:
  explicit fake_receiver(receiver_options o = {}) : o_(std::move(o)), gate_open_(o_.gate_open) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0)
      throw std::runtime_error("socket");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 256) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("bind");
    port_ = ntohs(a.sin_port);
    if (::pipe2(stop_, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe");
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~fake_receiver() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    [[maybe_unused]] auto n = ::write(stop_[1], "x", 1);
    acceptor_.join();
    for (auto& t : sessions_)
      t.join();
    ::close(listen_fd_);
    ::close(stop_[0]);
    ::close(stop_[1]);
  }

  fake_receiver(const fake_receiver&) = delete;
  fake_receiver& operator=(const fake_receiver&) = delete;

  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::string smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  std::vector<received> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  /// Waits until `n` requests have arrived; false when they did not within the patience.
  bool wait_for_requests(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, patience, [&] { return requests_.size() >= n; });
  }
  void open_gate() {
    {
      std::lock_guard lock(mu_);
      gate_open_ = true;
    }
    cv_.notify_all();
  }
  /// The most requests that were waiting for their answer at once.
  std::size_t max_concurrent() const {
    std::lock_guard lock(mu_);
    return max_active_;
  }

private:
  void accept_loop() {
    for (;;) {
      pollfd p[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR)
          continue;
        return;
      }
      if (p[1].revents)
        return;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0)
        continue;
      sessions_.emplace_back([this, fd] {
        if (o_.smtp)
          serve_smtp(fd);
        else
          serve_http(fd);
        ::close(fd);
      });
    }
  }

  /// Appends what arrives next; false on the end of the connection, the receiver's end or after
  /// the patience.
  bool read_more(int fd, std::string& buf) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    if (::poll(p, 2, patience_ms) <= 0 || p[1].revents)
      return false;
    char chunk[4096];
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0)
      return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  static void send_all(int fd, std::string_view s) {
    while (!s.empty()) {
      auto n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0)
        return;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void record(received r) {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
    cv_.notify_all();
  }

  void serve_http(int fd) {
    std::string buf;
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!read_more(fd, buf))
        return;
    received r;
    std::string_view head(buf.data(), end);
    auto line_end = head.find("\r\n");
    auto request_line = head.substr(0, line_end);
    auto sp1 = request_line.find(' ');
    auto sp2 = request_line.find(' ', sp1 + 1);
    r.method = std::string(request_line.substr(0, sp1));
    r.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
    while (!head.empty()) {
      auto e = head.find("\r\n");
      auto line = head.substr(0, e);
      head.remove_prefix(e == std::string_view::npos ? head.size() : e + 2);
      auto colon = line.find(':');
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
      r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    std::size_t length = std::stoul(r.header("Content-Length").value_or("0"));
    buf.erase(0, end + 4);
    while (buf.size() < length)
      if (!read_more(fd, buf))
        return;
    r.body = buf.substr(0, length);
    {
      std::unique_lock lock(mu_);
      requests_.push_back(std::move(r));
      max_active_ = std::max(max_active_, ++active_);
      cv_.notify_all();
      cv_.wait(lock, [&] { return gate_open_ || stopping_; });
      --active_;
      if (!gate_open_)
        return;
    }
    std::string answer = "HTTP/1.1 " + std::to_string(o_.status) + " Whatever\r\n" +
                         "Content-Type: text/plain\r\nContent-Length: " + std::to_string(o_.answer.size()) +
                         "\r\nConnection: close\r\n" + o_.extra_headers + "\r\n" + o_.answer;
    send_all(fd, answer);
  }

  void serve_smtp(int fd) {
    send_all(fd, "220 fake ESMTP\r\n");
    std::string buf;
    auto next_line = [&](std::string& line) {
      std::size_t e;
      while ((e = buf.find("\r\n")) == std::string::npos)
        if (!read_more(fd, buf))
          return false;
      line = buf.substr(0, e);
      buf.erase(0, e + 2);
      return true;
    };
    received r;
    r.method = "SMTP";
    std::string line;
    while (next_line(line)) {
      std::string verb = line.substr(0, 4);
      std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
      if (verb == "EHLO") {
        send_all(fd, "250-fake\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n");
      } else if (verb == "HELO") {
        send_all(fd, "250 fake\r\n");
      } else if (verb == "MAIL" || verb == "RCPT") {
        r.headers.emplace_back(verb, line);
        send_all(fd, "250 ok\r\n");
      } else if (verb == "DATA") {
        send_all(fd, "354 go on\r\n");
        std::size_t e;
        while ((e = buf.find("\r\n.\r\n")) == std::string::npos)
          if (!read_more(fd, buf))
            return;
        r.body = buf.substr(0, e + 2);
        buf.erase(0, e + 5);
        record(std::exchange(r, received{"SMTP", {}, {}, {}}));
        send_all(fd, "250 queued\r\n");
      } else if (verb == "QUIT") {
        send_all(fd, "221 bye\r\n");
        return;
      } else {
        send_all(fd, "502 not here\r\n");
      }
    }
  }

  receiver_options o_;
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  int port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<received> requests_;
  bool gate_open_;
  bool stopping_ = false;
  std::size_t active_ = 0;
  std::size_t max_active_ = 0;

  std::thread acceptor_;
  std::vector<std::thread> sessions_; // the acceptor's, then the destructor's
};

/// Outcomes as the courier delivers them, in order of arrival.
class collector {
public:
  struct entry {
    std::string tag;
    outcome o;
    steady::time_point at;
  };

  std::function<void(outcome)> cb(std::string tag) {
    return [this, tag = std::move(tag)](outcome o) {
      std::lock_guard lock(mu_);
      got_.push_back({tag, std::move(o), steady::now()});
      cv_.notify_all();
    };
  }
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, patience, [&] { return got_.size() >= n; });
  }
  std::vector<entry> all() const {
    std::lock_guard lock(mu_);
    return got_;
  }

private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<entry> got_;
};

TEST(courier, a_2xx_is_ok_and_the_receiver_gets_the_body_and_every_header) {
  fake_receiver receiver({.status = 200, .answer = R"({"messageId":"m-1"})"});
  collector got;
  courier c;
  const std::vector<std::pair<std::string, std::string>> headers{
    {"Content-Type", "application/json"},
    {"Authorization", "Bearer token-1"},
    {"X-CRM-Event", "ticket.escalated"},
    {"X-CRM-Delivery", "d-42"},
    {"X-CRM-Signature", "sha256=abc"},
  };
  const std::string body = R"({"to":"+911234567890","channel":"whatsapp","body":"New call request"})";
  c.post({.url = receiver.url("/send?x=1"), .headers = headers, .body = body}, got.cb("one"));
  ASSERT_TRUE(got.wait_for(1));

  auto o = got.all().at(0).o;
  EXPECT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.error, "");
  EXPECT_EQ(o.body, R"({"messageId":"m-1"})");

  auto rs = receiver.requests();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].method, "POST");
  EXPECT_EQ(rs[0].target, "/send?x=1");
  EXPECT_EQ(rs[0].body, body);
  for (auto& [name, value] : headers)
    EXPECT_EQ(rs[0].header(name), value) << name;
  EXPECT_FALSE(rs[0].header("Expect"));
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(courier, a_503_is_a_failure_naming_the_status_and_the_start_of_the_answer) {
  fake_receiver receiver({.status = 503, .answer = "overloaded\nretry later"});
  collector got;
  courier c;
  c.post({.url = receiver.url(), .body = "{}"}, got.cb("one"));
  ASSERT_TRUE(got.wait_for(1));
  auto o = got.all().at(0).o;
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.status, 503);
  EXPECT_NE(o.error.find("503"), std::string::npos);
  EXPECT_EQ(o.error, "HTTP 503: overloaded retry later");
}

TEST(courier, the_error_quotes_at_most_200_bytes_of_the_answer) {
  fake_receiver receiver({.status = 500, .answer = std::string(1000, 'e')});
  collector got;
  courier c;
  c.post({.url = receiver.url(), .body = "{}"}, got.cb("one"));
  ASSERT_TRUE(got.wait_for(1));
  auto o = got.all().at(0).o;
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "HTTP 500: " + std::string(200, 'e'));
  EXPECT_EQ(o.body.size(), 1000u);
}

TEST(courier, a_redirect_is_not_followed) {
  fake_receiver elsewhere;
  fake_receiver receiver({.status = 302, .extra_headers = "Location: " + elsewhere.url() + "\r\n"});
  collector got;
  courier c;
  c.post({.url = receiver.url(), .body = "{}"}, got.cb("one"));
  ASSERT_TRUE(got.wait_for(1));
  auto o = got.all().at(0).o;
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.status, 302);
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_TRUE(elsewhere.requests().empty());
}

TEST(courier, a_silent_receiver_times_out_without_delaying_a_good_one) {
  fake_receiver silent({.gate_open = false});
  fake_receiver good({.answer = "fine"});
  collector got;
  courier c;
  auto start = steady::now();
  c.post({.url = silent.url(), .body = "a", .timeout = 300ms}, got.cb("silent"));
  c.post({.url = good.url(), .body = "b"}, got.cb("good"));
  ASSERT_TRUE(got.wait_for(2));

  auto all = got.all();
  EXPECT_EQ(all[0].tag, "good");
  EXPECT_TRUE(all[0].o.ok) << all[0].o.error;
  EXPECT_EQ(all[1].tag, "silent");
  EXPECT_FALSE(all[1].o.ok);
  EXPECT_EQ(all[1].o.status, 0);
  EXPECT_NE(all[1].o.error.find("timed out"), std::string::npos) << all[1].o.error;
  auto waited = all[1].at - start;
  EXPECT_GE(waited, 290ms);
  EXPECT_LT(waited, 5s);
  EXPECT_EQ(silent.requests().size(), 1u);
}

TEST(courier, a_refused_connection_is_a_failure_with_curls_message) {
  int port = 0;
  {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
    ::close(fd);
  }
  collector got;
  courier c;
  c.post({.url = "http://127.0.0.1:" + std::to_string(port) + "/", .body = "{}"}, got.cb("one"));
  ASSERT_TRUE(got.wait_for(1));
  auto o = got.all().at(0).o;
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.status, 0);
  EXPECT_FALSE(o.error.empty());
}

TEST(courier, a_header_with_a_line_break_or_another_scheme_is_refused) {
  fake_receiver receiver;
  collector got;
  courier c;
  c.post({.url = receiver.url(), .headers = {{"X-A", "1\r\nX-Injected: 2"}}, .body = "{}"}, got.cb("value"));
  c.post({.url = receiver.url(), .headers = {{"X A", "1"}}, .body = "{}"}, got.cb("name"));
  c.post({.url = "file:///etc/passwd", .body = "{}"}, got.cb("scheme"));
  ASSERT_TRUE(got.wait_for(3));
  for (auto& e : got.all()) {
    EXPECT_FALSE(e.o.ok) << e.tag;
    EXPECT_FALSE(e.o.error.empty()) << e.tag;
  }
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(courier, many_posts_all_complete_and_nothing_stays_in_flight) {
  fake_receiver receiver({.answer = "ok"});
  collector got;
  courier c;
  constexpr int n = 200;
  for (int i = 0; i < n; ++i)
    c.post({.url = receiver.url(), .body = std::to_string(i)}, got.cb(std::to_string(i)));
  ASSERT_TRUE(got.wait_for(n));

  auto all = got.all();
  EXPECT_EQ(all.size(), static_cast<std::size_t>(n));
  EXPECT_TRUE(std::all_of(all.begin(), all.end(), [](auto& e) { return e.o.ok; }));
  EXPECT_EQ(c.in_flight(), 0u);
  std::set<std::string> bodies;
  for (auto& r : receiver.requests())
    bodies.insert(r.body);
  EXPECT_EQ(bodies.size(), static_cast<std::size_t>(n));
  EXPECT_LE(receiver.max_concurrent(), 64u);
}

TEST(courier, at_most_max_in_flight_transfers_run_at_once) {
  fake_receiver gated({.gate_open = false});
  collector got;
  courier c(4);
  for (int i = 0; i < 10; ++i)
    c.post({.url = gated.url(), .body = std::to_string(i)}, got.cb(std::to_string(i)));
  ASSERT_TRUE(gated.wait_for_requests(4));
  EXPECT_EQ(c.in_flight(), 10u);
  gated.open_gate();
  ASSERT_TRUE(got.wait_for(10));
  EXPECT_EQ(gated.max_concurrent(), 4u);
  EXPECT_EQ(gated.requests().size(), 10u);
  EXPECT_EQ(c.in_flight(), 0u);
}

TEST(courier, destroying_it_fails_running_and_waiting_transfers_with_shut_down) {
  fake_receiver silent({.gate_open = false});
  collector got;
  auto c = std::make_unique<courier>(1);
  c->post({.url = silent.url(), .body = "running"}, got.cb("running"));
  c->post({.url = silent.url(), .body = "waiting"}, got.cb("waiting"));
  ASSERT_TRUE(silent.wait_for_requests(1));
  EXPECT_EQ(c->in_flight(), 2u);

  auto start = steady::now();
  c.reset();
  EXPECT_LT(steady::now() - start, 5s);

  auto all = got.all(); // the destructor has run every callback
  ASSERT_EQ(all.size(), 2u);
  for (auto& e : all) {
    EXPECT_FALSE(e.o.ok) << e.tag;
    EXPECT_EQ(e.o.error, "shut down") << e.tag;
  }
  EXPECT_EQ(silent.requests().size(), 1u);
}

TEST(courier, a_callback_may_post_again) {
  fake_receiver receiver;
  collector got;
  courier c;
  auto second = got.cb("second");
  c.post({.url = receiver.url(), .body = "1"}, [&, second](outcome o) {
    got.cb("first")(std::move(o));
    c.post({.url = receiver.url(), .body = "2"}, second);
  });
  ASSERT_TRUE(got.wait_for(2));
  for (auto& e : got.all())
    EXPECT_TRUE(e.o.ok) << e.tag << ": " << e.o.error;
}

TEST(courier, a_mail_reaches_the_smtp_server_stuffed_once) {
  fake_receiver smtp({.smtp = true});
  collector got;
  courier c;
  c.send({.smtp_url = smtp.smtp_url(),
          .from = "CRM <crm@example.com>",
          .to = "Asha <asha@example.org>",
          .subject = "Ticket TCK-1 résolu",
          .body = "Hello,\n.hidden line\nlast"},
         got.cb("mail"));
  ASSERT_TRUE(got.wait_for(1));
  auto o = got.all().at(0).o;
  EXPECT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.status, 250);

  auto rs = smtp.requests();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].header("MAIL").value_or("").rfind("MAIL FROM:<crm@example.com>", 0), 0u);
  EXPECT_EQ(rs[0].header("RCPT"), "RCPT TO:<asha@example.org>");
  const auto& data = rs[0].body;
  EXPECT_NE(data.find("From: CRM <crm@example.com>\r\n"), std::string::npos) << data;
  EXPECT_NE(data.find("To: Asha <asha@example.org>\r\n"), std::string::npos) << data;
  EXPECT_NE(data.find("Subject: =?UTF-8?B?"), std::string::npos) << data;
  EXPECT_NE(data.find("Message-ID: <"), std::string::npos) << data;
  EXPECT_NE(data.find("@example.com>\r\n"), std::string::npos) << data;
  // libcurl stuffs the dot once; the courier must not stuff it again.
  EXPECT_NE(data.find("\r\nHello,\r\n..hidden line\r\nlast\r\n"), std::string::npos) << data;
  EXPECT_EQ(data.find("...hidden"), std::string::npos) << data;
}

TEST(courier, a_mail_with_a_line_break_in_an_address_is_refused) {
  fake_receiver smtp({.smtp = true});
  collector got;
  courier c;
  c.send({.smtp_url = smtp.smtp_url(), .from = "crm@example.com", .to = "a@example.org\r\nBcc: b@example.org"},
         got.cb("mail"));
  ASSERT_TRUE(got.wait_for(1));
  auto o = got.all().at(0).o;
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "invalid address to");
  EXPECT_TRUE(smtp.requests().empty());
}

std::chrono::system_clock::time_point at_2024_01_02_03_04_05() {
  using namespace std::chrono;
  return sys_days{year{2024} / January / 2} + 3h + 4min + 5s;
}

TEST(build_message, writes_the_headers_and_the_body_with_crlf) {
  mail m{.from = "crm@example.com", .to = "asha@example.org", .subject = "Status changed", .body = "a\nb\r\nc\rd"};
  EXPECT_EQ(build_message(m, at_2024_01_02_03_04_05(), "<id-1@example.com>"),
            "From: crm@example.com\r\n"
            "To: asha@example.org\r\n"
            "Subject: Status changed\r\n"
            "Date: Tue, 02 Jan 2024 03:04:05 +0000\r\n"
            "Message-ID: <id-1@example.com>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            "a\r\nb\r\nc\r\nd\r\n");
}

TEST(build_message, leaves_dots_to_libcurl_and_keeps_a_final_line_break) {
  mail m{.from = "a@x", .to = "b@y", .subject = "s", .body = ".\n..x\n"};
  auto text = build_message(m, at_2024_01_02_03_04_05(), "<i@x>");
  EXPECT_TRUE(text.ends_with("\r\n\r\n.\r\n..x\r\n")) << text;
}

TEST(build_message, encodes_a_subject_that_is_not_ascii_and_flattens_line_breaks) {
  mail m{.from = "a@x", .to = "b@y", .subject = "Résolu ✓"};
  auto text = build_message(m, at_2024_01_02_03_04_05(), "<i@x>");
  // base64("Résolu ✓") in UTF-8
  EXPECT_NE(text.find("Subject: =?UTF-8?B?UsOpc29sdSDinJM=?=\r\n"), std::string::npos) << text;

  m.subject = "one\r\nBcc: evil@example.com";
  text = build_message(m, at_2024_01_02_03_04_05(), "<i@x>");
  EXPECT_NE(text.find("Subject: one  Bcc: evil@example.com\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("\nBcc"), std::string::npos);
}

TEST(build_message, splits_a_long_encoded_subject_between_characters) {
  std::string subject;
  for (int i = 0; i < 40; ++i)
    subject += "é"; // 80 bytes
  mail m{.from = "a@x", .to = "b@y", .subject = subject};
  auto text = build_message(m, at_2024_01_02_03_04_05(), "<i@x>");
  auto start = text.find("Subject: ");
  auto end = text.find("\r\nDate:");
  auto header = text.substr(start, end - start);
  // 44 bytes (22 characters) per word, not 45: a word never ends inside a character.
  EXPECT_EQ(header, "Subject: =?UTF-8?B?" + std::string("w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6k=") +
                      "?=\r\n =?UTF-8?B?" + "w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOp" + "?=");
}

TEST(hmac_sha256_hex, matches_rfc_4231) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(hmac_sha256_hex, signs_empty_input) {
  EXPECT_EQ(hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

} // namespace
} // namespace crm::outbound
