#include "outbound/courier.hpp"

#include <cctype>

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <variant>

namespace crm::outbound {

namespace {

constexpr std::size_t answer_limit = 64 * 1024;
constexpr std::size_t snippet_limit = 200;
constexpr std::chrono::milliseconds connect_limit{5000};
constexpr int idle_poll_ms = 1000;
// Bytes of text per RFC 2047 encoded-word: 45 bytes are 60 base64 characters, which with the
// 12 characters of "=?UTF-8?B?" and "?=" stay within the 75 RFC 2047 allows.
constexpr std::size_t word_bytes = 45;
constexpr std::size_t plain_subject_limit = 900;

std::once_flag global_once;
bool global_ok = false;

bool curl_ready() {
  std::call_once(global_once, [] { global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; });
  return global_ok;
}

outcome failure(std::string error) {
  outcome o;
  o.error = std::move(error);
  return o;
}

bool has_line_break(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           extra.find(c) != std::string_view::npos;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// "Name <a@b>" -> "a@b"; "a@b" -> "a@b".
std::string_view envelope_address(std::string_view s) {
  auto lt = s.rfind('<');
  if (lt != std::string_view::npos) {
    auto gt = s.find('>', lt);
    if (gt != std::string_view::npos)
      return trim(s.substr(lt + 1, gt - lt - 1));
  }
  return trim(s);
}

bool is_plain_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u >= 0x20 && u < 0x7f) || u == '\t';
  });
}

std::string base64(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(4 * ((in.size() + 2) / 3));
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    auto n = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
             static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (auto rest = in.size() - i; rest > 0) {
    auto n = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2)
      n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool is_utf8_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

/// RFC 2047 encoded-words (UTF-8, base64), folded onto continuation lines, never splitting a
/// UTF-8 sequence between two words.
std::string encoded_words(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto n = std::min(word_bytes, s.size() - i);
    if (i + n < s.size()) {
      auto k = n;
      while (k > 0 && is_utf8_continuation(s[i + k]))
        --k;
      if (k > 0)
        n = k;
    }
    if (!out.empty())
      out += "\r\n ";
    out += "=?UTF-8?B?";
    out += base64(s.substr(i, n));
    out += "?=";
    i += n;
  }
  return out;
}

/// An address header's value, with a display name that is not ASCII encoded.
std::string address_value(std::string_view v) {
  auto lt = v.rfind('<');
  if (lt == std::string_view::npos || is_plain_ascii(v.substr(0, lt)))
    return std::string(v);
  auto name = trim(v.substr(0, lt));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
    name = name.substr(1, name.size() - 2);
  return encoded_words(name) + " " + std::string(v.substr(lt));
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
                months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

/// The first bytes of an answer for an error message: whole UTF-8 sequences, no control
/// characters.
std::string snippet(std::string_view answer) {
  if (answer.size() > snippet_limit) {
    auto n = snippet_limit;
    while (n > 0 && is_utf8_continuation(answer[n]))
      --n;
    answer = answer.substr(0, n);
  }
  std::string out(answer);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  return std::string(trim(out));
}

struct submission {
  std::variant<http_request, mail> what;
  std::function<void(outcome)> done;
};

/// One transfer owned by the courier's thread.
struct transfer {
  std::function<void(outcome)> done;
  bool http = true;
  CURL* easy = nullptr;
  curl_slist* list = nullptr; // HTTP headers, or the mail's recipients
  std::string payload;        // the POST body, or the message
  std::size_t offset = 0;     // how much of the message libcurl has read
  std::string answer;
  char error[CURL_ERROR_SIZE] = {};

  transfer() = default;
  transfer(const transfer&) = delete;
  transfer& operator=(const transfer&) = delete;
  ~transfer() {
    if (list)
      curl_slist_free_all(list);
    if (easy)
      curl_easy_cleanup(easy);
  }
};

std::size_t on_answer(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  auto len = size * count;
  t->answer.append(data, std::min(len, answer_limit - t->answer.size()));
  return len;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  auto len = std::min(size * count, t->payload.size() - t->offset);
  std::memcpy(buffer, t->payload.data() + t->offset, len);
  t->offset += len;
  return len;
}

bool append(curl_slist*& list, const std::string& item) {
  auto* next = curl_slist_append(list, item.c_str());
  if (!next)
    return false;
  list = next;
  return true;
}

long clamp_ms(std::chrono::milliseconds d) {
  return static_cast<long>(std::clamp<std::chrono::milliseconds::rep>(d.count(), 1, 24L * 3600 * 1000));
}

} // namespace

std::string build_message(const mail& m, std::chrono::system_clock::time_point date,
                          std::string_view message_id) {
  std::string subject = m.subject;
  std::replace_if(subject.begin(), subject.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  std::string out;
  out.reserve(m.body.size() + m.body.size() / 32 + 512);
  out += "From: " + address_value(m.from) + "\r\n";
  out += "To: " + address_value(m.to) + "\r\n";
  if (is_plain_ascii(subject) && subject.size() <= plain_subject_limit)
    out += "Subject: " + subject + "\r\n";
  else
    out += "Subject: " + encoded_words(subject) + "\r\n";
  out += "Date: " + rfc5322_date(date) + "\r\n";
  out += "Message-ID: " + std::string(message_id) + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  for (std::size_t i = 0; i < m.body.size(); ++i) {
    char c = m.body[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < m.body.size() && m.body[i + 1] == '\n')
        ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!m.body.empty() && !out.ends_with("\r\n"))
    out += "\r\n";
  return out;
}

struct courier::impl {
  explicit impl(std::size_t max_in_flight) : max_(std::max<std::size_t>(max_in_flight, 1)) {
    if (curl_ready())
      multi_ = curl_multi_init();
    if (multi_)
      thread_ = std::thread([this] { run(); });
  }

  ~impl() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    if (multi_)
      curl_multi_wakeup(multi_);
    if (thread_.joinable())
      thread_.join();
    if (multi_)
      curl_multi_cleanup(multi_);
  }

  void submit(submission s) {
    ++in_flight_;
    {
      std::unique_lock lock(mu_);
      if (!stopping_ && multi_) {
        waiting_.push_back(std::move(s));
        lock.unlock();
        curl_multi_wakeup(multi_);
        return;
      }
    }
    deliver(s.done, failure(multi_ ? "shut down" : "libcurl unavailable"));
  }

  void deliver(std::function<void(outcome)>& done, outcome o) {
    --in_flight_;
    if (!done)
      return;
    try {
      done(std::move(o));
    } catch (...) {
    }
  }

  void run() {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (stopping_)
          break;
      }
      start_waiting();
      int running = 0;
      curl_multi_perform(multi_, &running);
      if (finish_done())
        continue;
      curl_multi_poll(multi_, nullptr, 0, idle_poll_ms, nullptr);
    }
    fail_everything();
  }

  void start_waiting() {
    while (running_.size() < max_) {
      submission s;
      {
        std::lock_guard lock(mu_);
        if (waiting_.empty())
          return;
        s = std::move(waiting_.front());
        waiting_.pop_front();
      }
      start(std::move(s));
    }
  }

  void start(submission s) {
    auto t = std::make_unique<transfer>();
    t->done = std::move(s.done);
    t->easy = curl_easy_init();
    std::string refused = t->easy ? std::visit([&](auto& what) { return configure(*t, what); }, s.what)
                                  : std::string("curl_easy_init failed");
    if (refused.empty() && curl_multi_add_handle(multi_, t->easy) != CURLM_OK)
      refused = "curl_multi_add_handle failed";
    if (!refused.empty()) {
      deliver(t->done, failure(std::move(refused)));
      return;
    }
    auto* easy = t->easy;
    running_.emplace(easy, std::move(t));
  }

  /// Sets `t` up; returns why it may not be sent, or "".
  static std::string common(transfer& t, const std::string& url, std::chrono::milliseconds timeout,
                            const char* protocols) {
    auto total = clamp_ms(timeout);
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK)
        rc = curl_easy_setopt(t.easy, option, value);
    };
    set(CURLOPT_URL, url.c_str());
    set(CURLOPT_PROTOCOLS_STR, protocols);
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_ERRORBUFFER, t.error);
    set(CURLOPT_TIMEOUT_MS, total);
    set(CURLOPT_CONNECTTIMEOUT_MS, std::min(total, static_cast<long>(connect_limit.count())));
    return rc == CURLE_OK ? std::string() : std::string(curl_easy_strerror(rc));
  }

  std::string configure(transfer& t, http_request& r) {
    t.http = true;
    t.payload = std::move(r.body);
    bool has_expect = false;
    for (auto& [name, value] : r.headers) {
      if (!is_token(name) || has_line_break(value))
        return "invalid header " + (is_token(name) ? name : std::string("name"));
      has_expect = has_expect || iequals(name, "Expect");
      if (!append(t.list, name + ": " + value))
        return "out of memory";
    }
    if (!has_expect && !append(t.list, "Expect:"))
      return "out of memory";
    if (auto e = common(t, r.url, r.timeout, "http,https"); !e.empty())
      return e;
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK)
        rc = curl_easy_setopt(t.easy, option, value);
    };
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.payload.size()));
    set(CURLOPT_POSTFIELDS, t.payload.data());
    set(CURLOPT_HTTPHEADER, t.list);
    set(CURLOPT_WRITEFUNCTION, &on_answer);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    return rc == CURLE_OK ? std::string() : std::string(curl_easy_strerror(rc));
  }

  std::string configure(transfer& t, mail& m) {
    t.http = false;
    auto from = envelope_address(m.from);
    auto to = envelope_address(m.to);
    if (from.empty() || has_line_break(m.from) || has_line_break(from) || from.find_first_of("<> ") != std::string_view::npos)
      return "invalid address from";
    if (to.empty() || has_line_break(m.to) || has_line_break(to) || to.find_first_of("<> ") != std::string_view::npos)
      return "invalid address to";
    if (!append(t.list, "<" + std::string(to) + ">"))
      return "out of memory";
    auto at = from.rfind('@');
    auto domain = at == std::string_view::npos ? std::string_view("localhost") : from.substr(at + 1);
    if (domain.empty())
      domain = "localhost";
    std::string id;
    for (char c : m.message_id)
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')
        id.push_back(c);
    if (id.empty()) {
      char random[64];
      std::snprintf(random, sizeof random, "%016llx%016llx", static_cast<unsigned long long>(rng_()),
                    static_cast<unsigned long long>(rng_()));
      id = random;
    }
    t.payload = build_message(m, std::chrono::system_clock::now(), "<" + std::string(id) + "@" + std::string(domain) + ">");
    if (auto e = common(t, m.smtp_url, m.timeout, "smtp,smtps"); !e.empty())
      return e;
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK)
        rc = curl_easy_setopt(t.easy, option, value);
    };
    set(CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    if (!m.user.empty()) {
      set(CURLOPT_USERNAME, m.user.c_str());
      set(CURLOPT_PASSWORD, m.password.c_str());
    }
    std::string envelope_from = "<" + std::string(from) + ">";
    set(CURLOPT_MAIL_FROM, envelope_from.c_str());
    set(CURLOPT_MAIL_RCPT, t.list);
    set(CURLOPT_UPLOAD, 1L);
    set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.payload.size()));
    set(CURLOPT_READFUNCTION, &on_read);
    set(CURLOPT_READDATA, static_cast<void*>(&t));
    return rc == CURLE_OK ? std::string() : std::string(curl_easy_strerror(rc));
  }

  static outcome outcome_of(transfer& t, CURLcode rc) {
    outcome o;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &o.status);
    if (t.http)
      o.body = std::move(t.answer);
    if (rc != CURLE_OK) {
      o.error = t.error[0] ? std::string(trim(t.error)) : std::string(curl_easy_strerror(rc));
      return o;
    }
    if (!t.http || (o.status >= 200 && o.status < 300)) {
      o.ok = true;
      return o;
    }
    o.error = "HTTP " + std::to_string(o.status);
    if (auto s = snippet(o.body); !s.empty())
      o.error += ": " + s;
    return o;
  }

  /// Hands finished transfers to their callbacks; true when any finished.
  bool finish_done() {
    bool any = false;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      CURL* easy = msg->easy_handle;
      CURLcode rc = msg->data.result;
      auto it = running_.find(easy);
      if (it == running_.end())
        continue;
      auto t = std::move(it->second);
      running_.erase(it);
      curl_multi_remove_handle(multi_, easy);
      auto o = outcome_of(*t, rc);
      auto done = std::move(t->done);
      t.reset();
      deliver(done, std::move(o));
      any = true;
    }
    return any;
  }

  void fail_everything() {
    auto running = std::move(running_);
    running_.clear();
    for (auto& [easy, t] : running)
      curl_multi_remove_handle(multi_, easy);
    for (auto& [easy, t] : running)
      deliver(t->done, failure("shut down"));
    for (;;) {
      std::deque<submission> waiting;
      {
        std::lock_guard lock(mu_);
        waiting.swap(waiting_);
      }
      if (waiting.empty())
        return;
      for (auto& s : waiting)
        deliver(s.done, failure("shut down"));
    }
  }

  const std::size_t max_;
  CURLM* multi_ = nullptr;
  std::atomic<std::size_t> in_flight_{0};

  std::mutex mu_;
  std::deque<submission> waiting_; // guarded by mu_
  bool stopping_ = false;          // guarded by mu_

  // Used by the courier's thread only.
  std::unordered_map<CURL*, std::unique_ptr<transfer>> running_;
  std::mt19937_64 rng_{std::random_device{}()};

  std::thread thread_; // last: starts after everything above exists
};

courier::courier(std::size_t max_in_flight) : impl_(std::make_unique<impl>(max_in_flight)) {}

courier::~courier() = default;

void courier::post(http_request r, std::function<void(outcome)> done) {
  impl_->submit(submission{std::move(r), std::move(done)});
}

void courier::send(mail m, std::function<void(outcome)> done) {
  impl_->submit(submission{std::move(m), std::move(done)});
}

std::size_t courier::in_flight() const {
  return impl_->in_flight_.load();
}

} // namespace crm::outbound
