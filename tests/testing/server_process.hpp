#pragma once
// The real crm-server binary, started on a free loopback port for black-box tests.
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace crm::testing {

class server_process {
public:
  /// Starts `build/crm-server --listen 127.0.0.1:<free port> --data-dir DIR extra...` with the
  /// given environment added, and waits until /healthz answers 200 (at most 60 s).
  /// `wrapper`: a command the server runs under (e.g. prlimit with its arguments).
  server_process(std::string data_dir, std::vector<std::string> extra_args = {},
                 std::map<std::string, std::string> env = {}, std::vector<std::string> wrapper = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  unsigned short port() const { return port_; }
  bool ready() const { return ready_; }
  /// SIGTERM and wait: the exit status (or -1 when killed by a signal).
  int terminate();
  /// SIGKILL and wait.
  void kill9();
  /// What the server wrote to stderr and stdout so far.
  std::string log() const;
  const std::string& log_path() const { return log_path_; }

private:
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  bool ready_ = false;
  std::string log_path_;
};

/// The path of a binary the build made (crm-server, crm-audit).
std::string binary(const std::string& name);

/// Runs a command, returns its exit status and what it printed on stdout.
int run_command(const std::vector<std::string>& argv, std::string& out);

} // namespace crm::testing
