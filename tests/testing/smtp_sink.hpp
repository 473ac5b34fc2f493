#pragma once
// A real SMTP server on a loopback port for black-box tests of email: Debian's aiosmtpd
// (package python3-aiosmtpd), run as
//   /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox MAILDIR
// Its Mailbox handler stores every message it accepts as one file in MAILDIR/new (written to
// tmp/ and renamed, so a file seen there is whole), with the headers X-Peer, X-MailFrom and
// X-RcptTo added after the message's own and "\n" line ends. The process lives as long as the
// object: SIGTERM and waitpid in the destructor.
#include <sys/types.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "testing/temp_dir.hpp"

namespace crm::testing {

/// One message as the sink stored it.
struct mail {
  std::string from, to, subject, message_id;  // the header values, unfolded (not RFC 2047 decoded)
  std::map<std::string, std::string> headers; // every header: lower-case name, unfolded value (the last one of a name)
  std::string body;                           // everything after the blank line, with "\n" line ends
  std::string file;                           // the Maildir file it was read from
};

class smtp_sink {
public:
  /// Picks a free loopback port, starts aiosmtpd on it with a fresh Maildir, and waits (at most
  /// 10 s) until it greets on the port. When it cannot (no /usr/bin/python3, no aiosmtpd
  /// module, it exited), ready() is false and error() says why.
  smtp_sink();
  ~smtp_sink();
  smtp_sink(const smtp_sink&) = delete;
  smtp_sink& operator=(const smtp_sink&) = delete;

  bool ready() const { return ready_; }
  const std::string& error() const { return error_; }
  unsigned short port() const { return port_; }
  /// smtp://127.0.0.1:PORT, for the server's --smtp-url.
  std::string url() const;
  std::string maildir() const;
  /// The messages stored so far, in the order the sink took them.
  std::vector<mail> mails() const;
  /// Polls the Maildir (at most `seconds`) until `n` messages are there; all of them so far.
  std::vector<mail> wait_for(std::size_t n, double seconds = 15) const;
  /// What aiosmtpd wrote to stdout and stderr so far.
  std::string log() const;

private:
  bool start(unsigned short port);
  void stop();
  temp_dir dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  bool ready_ = false;
  std::string error_;
};

/// Parses one stored message (headers, a blank line, the body); "\r\n" is read as "\n".
mail parse_mail(const std::string& text);

} // namespace crm::testing
