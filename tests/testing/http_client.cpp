#include "testing/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace crm::testing {

simdjson::dom::element http_response::json() const {
  if (!parser_) {
    parser_ = std::make_shared<simdjson::dom::parser>();
    if (parser_->parse(body).get(doc_))
      doc_ = simdjson::dom::element();
  }
  return doc_;
}

std::string http_response::str(const char* key) const {
  std::string_view v;
  if (json()[key].get(v))
    return {};
  return std::string(v);
}

namespace {

/// With CRM_OPENAPI_CAPTURE set, appends each exchange as one JSON line to that file, for
/// tools/openapi/validate.mjs to check every answer against docs/openapi.yaml. One write() per
/// line on an O_APPEND descriptor: lines of parallel test processes do not interleave.
void capture(const std::string& request_bytes, const http_response& r) {
  static const char* path = std::getenv("CRM_OPENAPI_CAPTURE");
  if (!path || !*path || r.status == 0)
    return;
  auto line_end = request_bytes.find("\r\n");
  std::string_view first(request_bytes.data(), std::min(line_end, request_bytes.size()));
  auto sp1 = first.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : first.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos)
    return;
  auto method = first.substr(0, sp1);
  auto target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  auto utf8 = [](std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); };
  if (!utf8(method) || !utf8(target))
    return; // a deliberately broken request line: nothing to look up in the document
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto str = [&](std::string_view v) { w.String(v.data(), static_cast<rapidjson::SizeType>(v.size())); };
  w.StartObject();
  w.Key("method");
  str(method);
  w.Key("target");
  str(target);
  w.Key("status");
  w.Int(r.status);
  w.Key("headers");
  w.StartObject();
  for (auto& [k, v] : r.headers)
    if (utf8(k) && utf8(v)) {
      w.Key(k.c_str());
      str(v);
    }
  w.EndObject();
  w.Key("body");
  if (utf8(r.body))
    str(r.body);
  else
    w.Null(); // not UTF-8: the validator reports it
  w.EndObject();
  std::string out(sb.GetString(), sb.GetSize());
  out.push_back('\n');
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    return;
  auto n = ::write(fd, out.data(), out.size());
  (void)n;
  ::close(fd);
}

} // namespace

http_client::~http_client() {
  close();
}

void http_client::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

bool http_client::ensure() {
  if (fd_ >= 0)
    return true;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close();
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return true;
}

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body,
                                   const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  bool has_ct = false;
  for (auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    std::string lk = k;
    std::transform(lk.begin(), lk.end(), lk.begin(), ::tolower);
    has_ct = has_ct || lk == "content-type";
  }
  if (!body.empty() && !has_ct)
    req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  return raw(req);
}

http_response http_client::raw(const std::string& bytes) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ensure())
      return {};
    size_t sent = 0;
    bool ok = true;
    while (sent < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        ok = false;
        break;
      }
      sent += static_cast<size_t>(n);
    }
    if (ok) {
      auto r = read_response();
      if (r.status != 0) {
        capture(bytes, r);
        return r;
      }
    }
    close(); // a kept-alive connection the server closed: once more on a new one
  }
  return {};
}

http_response http_client::read_response() {
  http_response r;
  auto fill = [&]() {
    char tmp[65536];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0)
      return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  };
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!fill())
      return r;
  std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  auto line_end = head.find("\r\n");
  auto status_line = head.substr(0, line_end);
  r.status = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos)
      e = head.size();
    auto line = head.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto k = line.substr(0, colon);
      std::transform(k.begin(), k.end(), k.begin(), ::tolower);
      auto v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      r.headers[k] = v;
    }
    pos = e + 2;
  }
  size_t len = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  while (buf_.size() < len)
    if (!fill())
      return http_response{};
  r.body = buf_.substr(0, len);
  buf_.erase(0, len);
  if (r.headers["connection"] == "close")
    close();
  return r;
}

} // namespace crm::testing
