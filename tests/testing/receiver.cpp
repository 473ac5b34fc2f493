#include "testing/receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

namespace crm::testing {

receiver::receiver(std::vector<int> statuses) : statuses_(statuses.begin(), statuses.end()) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

receiver::~receiver() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  ::close(listen_fd_);
}

std::string receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void receiver::run() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0)
      continue;
    serve(fd);
    ::close(fd);
  }
}

void receiver::serve(int fd) {
  std::string buf;
  char chunk[8192];
  auto read_more = [&]() {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0)
      return false;
    auto n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0)
      return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  while (!stop_) { // requests on this connection, one after another
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!read_more())
        return;
    received r;
    std::string head = buf.substr(0, end);
    auto line_end = head.find("\r\n");
    auto first = head.substr(0, line_end);
    auto sp1 = first.find(' '), sp2 = first.rfind(' ');
    r.method = first.substr(0, sp1);
    r.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto next = head.find("\r\n", pos);
      if (next == std::string::npos)
        next = head.size();
      auto line = head.substr(pos, next - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers[name] = value;
      }
      pos = next + 2;
    }
    std::size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buf.size() < end + 4 + length)
      if (!read_more())
        return;
    r.body = buf.substr(end + 4, length);
    r.at = std::chrono::steady_clock::now();
    buf.erase(0, end + 4 + length);
    int status = 200;
    {
      std::lock_guard lock(mu_);
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
      got_.push_back(std::move(r));
    }
    cv_.notify_all();
    std::string answer = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
    if (::write(fd, answer.data(), answer.size()) < 0)
      return;
  }
}

std::vector<received> receiver::wait_for(std::size_t n, double seconds) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return got_.size() >= n; });
  return got_;
}

std::vector<received> receiver::all() const {
  std::lock_guard lock(mu_);
  return got_;
}

} // namespace crm::testing
