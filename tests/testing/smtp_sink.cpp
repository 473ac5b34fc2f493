#include "testing/smtp_sink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

extern char** environ;

namespace crm::testing {

namespace {

// Debian's interpreter, which has the python3-aiosmtpd package: the one on PATH may be another.
const char* const python = "/usr/bin/python3";

/// A loopback port that was free a moment ago (bound to port 0, read, closed); 0 on failure.
unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  unsigned short port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

/// Whether 127.0.0.1:port accepts a connection and greets with "220" (SMTP) within 1 s.
bool greets(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return false;
  }
  std::string got;
  char buf[512];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (got.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return got.rfind("220", 0) == 0;
}

std::string describe(int status) {
  if (WIFEXITED(status))
    return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

/// The order the Maildir handler stored a file in: Python's mailbox names each file
/// "SECONDS.M<usec>P<pid>Q<count>.<host>", where <count> counts the messages of the process.
std::pair<unsigned long long, std::string> order_of(const std::string& name) {
  auto p = name.find('P');
  auto q = p == std::string::npos ? p : name.find('Q', p);
  unsigned long long n = std::numeric_limits<unsigned long long>::max();
  if (q != std::string::npos && q + 1 < name.size() && std::isdigit(static_cast<unsigned char>(name[q + 1])))
    n = std::strtoull(name.c_str() + q + 1, nullptr, 10);
  return {n, name};
}

} // namespace

mail parse_mail(const std::string& raw) {
  std::string text;
  text.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i)
    if (!(raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n'))
      text += raw[i];
  mail m;
  std::string head;
  if (!text.empty() && text.front() == '\n') {
    m.body = text.substr(1); // no headers at all
  } else if (auto split = text.find("\n\n"); split == std::string::npos) {
    head = text;
  } else {
    head = text.substr(0, split);
    m.body = text.substr(split + 2);
  }
  // Unfolding (RFC 5322 2.2.3): a line that starts with white space goes on the one before it,
  // without the line break.
  std::vector<std::pair<std::string, std::string>> fields;
  std::istringstream lines(head);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (!fields.empty())
        fields.back().second += line;
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    auto name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    fields.emplace_back(trim(name), line.substr(colon + 1));
  }
  for (auto& [name, value] : fields)
    m.headers[name] = trim(value);
  auto header = [&](const char* name) {
    auto it = m.headers.find(name);
    return it == m.headers.end() ? std::string() : it->second;
  };
  m.from = header("from");
  m.to = header("to");
  m.subject = header("subject");
  m.message_id = header("message-id");
  return m;
}

smtp_sink::smtp_sink() {
  if (::access(python, X_OK) != 0) {
    error_ = std::string(python) + " is missing: the email tests run Debian's aiosmtpd under it "
             "(apt-get install python3 python3-aiosmtpd)";
    return;
  }
  // The port is picked before aiosmtpd binds it: when another process took it meanwhile,
  // aiosmtpd exits, and another port is tried.
  for (int attempt = 0; attempt < 3 && !ready_; ++attempt) {
    auto port = free_port();
    if (port == 0) {
      error_ = "no free loopback port: " + std::string(std::strerror(errno));
      continue;
    }
    ready_ = start(port);
    if (!ready_ && log().find("No module named") != std::string::npos)
      break; // no use trying again
  }
}

smtp_sink::~smtp_sink() {
  stop();
}

std::string smtp_sink::url() const {
  return "smtp://127.0.0.1:" + std::to_string(port_);
}

std::string smtp_sink::maildir() const {
  return (dir_.path() / "Maildir").string();
}

std::string smtp_sink::log() const {
  return read_all((dir_.path() / "aiosmtpd.log").string());
}

bool smtp_sink::start(unsigned short port) {
  port_ = port;
  auto log_path = (dir_.path() / "aiosmtpd.log").string();
  std::vector<std::string> args = {python, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port),
                                   "-c", "aiosmtpd.handlers.Mailbox", maildir()};
  // Our environment without what would point Debian's interpreter at another Python's modules.
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("PYTHONPATH=") || kv.starts_with("PYTHONHOME=") || kv.starts_with("PYTHONSTARTUP="))
      continue;
    env.emplace_back(kv);
  }
  // Built before the fork: the child only calls async-signal-safe functions.
  std::vector<char*> argv, envp;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& v : env)
    envp.push_back(v.data());
  envp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) {
    error_ = "fork: " + std::string(std::strerror(errno));
    return false;
  }
  if (pid_ == 0) {
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    // Nothing of the test process (listening sockets of receivers, say) stays open in the sink.
    for (int i = 3; i < 1024; ++i)
      ::close(i);
    ::execve(argv[0], argv.data(), envp.data());
    std::_Exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      auto out = log();
      if (out.find("No module named") != std::string::npos)
        error_ = std::string(python) + " has no aiosmtpd module (apt-get install python3-aiosmtpd): " + out;
      else
        error_ = "aiosmtpd exited (" + describe(status) + ") before it listened on 127.0.0.1:"
                 + std::to_string(port) + "; its output: " + out;
      return false;
    }
    if (greets(port))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error_ = "aiosmtpd did not greet on 127.0.0.1:" + std::to_string(port) + " within 10 s; its output: " + log();
  stop();
  return false;
}

void smtp_sink::stop() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) { // should not happen: Python dies of SIGTERM
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

std::vector<mail> smtp_sink::mails() const {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::pair<unsigned long long, std::string>, fs::path>> files;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(maildir()) / "new", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec))
      files.emplace_back(order_of(it->path().filename().string()), it->path());
  }
  std::sort(files.begin(), files.end());
  std::vector<mail> out;
  for (auto& [order, path] : files) {
    auto m = parse_mail(read_all(path.string()));
    m.file = path.string();
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<mail> smtp_sink::wait_for(std::size_t n, double seconds) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                        std::chrono::duration<double>(seconds));
  auto got = mails();
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    got = mails();
  }
  return got;
}

} // namespace crm::testing
