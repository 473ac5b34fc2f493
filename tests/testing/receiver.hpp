#pragma once
// An HTTP receiver on a loopback port for black-box tests of outbound deliveries (webhooks,
// gateways): records every request it is sent and answers each with the next programmed status
// (then 200). One thread, one request per connection (what libcurl sends with its keep-alive
// connection is read request by request).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace crm::testing {

struct received {
  std::string method, target;
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point at; // when it came
};

class receiver {
public:
  /// Answers the first requests with `statuses`, in order, and every later one with 200.
  explicit receiver(std::vector<int> statuses = {});
  ~receiver();
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;
  /// Waits (at most `seconds`) until `n` requests came; all of them so far.
  std::vector<received> wait_for(std::size_t n, double seconds = 10);
  std::vector<received> all() const;

private:
  void run();
  void serve(int fd);
  int listen_fd_ = -1;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> statuses_;
  std::vector<received> got_;
  std::thread thread_;
};

} // namespace crm::testing
