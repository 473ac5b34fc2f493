#include "testing/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "testing/http_client.hpp"

#ifndef CRM_BINARY_DIR
#error "CRM_BINARY_DIR must name the build directory"
#endif

namespace crm::testing {

namespace {

/// In a forked child: runs `args` (args[0] is the path); never returns.
[[noreturn]] void exec(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  std::_Exit(127);
}

} // namespace

std::string binary(const std::string& name) {
  return std::string(CRM_BINARY_DIR) + "/" + name;
}

server_process::server_process(std::string data_dir, std::vector<std::string> extra_args,
                               std::map<std::string, std::string> env, std::vector<std::string> wrapper) {
  // The OS picks the port (:0) and the server writes it into the port file once it listens:
  // no race with another test's server for a port picked here beforehand.
  log_path_ = data_dir + ".log";
  auto port_file = data_dir + ".port";
  std::remove(port_file.c_str());
  std::vector<std::string> args = {binary("crm-server"), "--listen", "127.0.0.1:0",
                                   "--port-file", port_file, "--data-dir", data_dir};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  args.insert(args.begin(), wrapper.begin(), wrapper.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (auto& [k, v] : env)
      ::setenv(k.c_str(), v.c_str(), 1);
    exec(std::move(args));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    if (port_ == 0) {
      std::ifstream in(port_file);
      unsigned p = 0;
      if (in >> p)
        port_ = static_cast<unsigned short>(p);
    }
    if (port_ != 0) {
      http_client c(port_);
      if (c.request("GET", "/healthz").status == 200) {
        ready_ = true;
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

server_process::~server_process() {
  if (pid_ > 0)
    terminate();
}

int server_process::terminate() {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void server_process::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string server_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_command(const std::vector<std::string>& argv_in, std::string& out) {
  int pipefd[2];
  if (::pipe(pipefd) != 0)
    return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::close(pipefd[0]);
    exec(argv_in);
  }
  ::close(pipefd[1]);
  char buf[65536];
  ssize_t n;
  out.clear();
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace crm::testing
