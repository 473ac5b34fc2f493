#pragma once
// A small blocking HTTP/1.1 client for black-box tests: one keep-alive connection, requests
// with Content-Length, responses with Content-Length (what crm-server sends).
#include <simdjson.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace crm::testing {

struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;
  /// The body parsed as JSON (an error element when it is not JSON).
  simdjson::dom::element json() const;
  std::string str(const char* key) const;

private:
  mutable std::shared_ptr<simdjson::dom::parser> parser_;
  mutable simdjson::dom::element doc_;
};

class http_client {
public:
  explicit http_client(unsigned short port) : port_(port) {}
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Headers default: Content-Type: application/json when there is a body.
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});
  /// Sends raw bytes and reads one response (for malformed requests).
  http_response raw(const std::string& bytes);
  void close();
  /// Speaks to another port from now on (a restarted server).
  void retarget(unsigned short port) {
    close();
    port_ = port;
  }

private:
  bool ensure();
  http_response read_response();
  unsigned short port_;
  int fd_ = -1;
  std::string buf_;
};

} // namespace crm::testing
