#include "http/message.hpp"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "domain/json.hpp"
#include "domain/text.hpp"

namespace crm::http {

int status_of(errc code) {
  switch (code) {
    case errc::invalid: return 422;
    case errc::malformed: return 400;
    case errc::unauthorized: return 401;
    case errc::forbidden: return 403;
    case errc::not_found: return 404;
    case errc::conflict: return 409;
    case errc::too_large: return 413;
    case errc::unsupported_media: return 415;
    case errc::rate_limited: return 429;
    case errc::unavailable: return 503;
    case errc::internal: return 500;
  }
  return 500;
}

response error_response(const error& err) {
  auto body = json::object([&](json::writer& w) {
    json::key(w, "error");
    w.StartObject();
    json::kv(w, "code", to_code_string(err.code));
    json::kv(w, "message", printable(err.message, 1000));
    json::key(w, "details");
    w.StartArray();
    // Bounded whatever the client sent: a body of a million unknown fields gets a short answer.
    std::size_t shown = std::min(err.details.size(), max_error_details);
    for (std::size_t i = 0; i < shown; ++i) {
      w.StartObject();
      json::kv(w, "field", printable(err.details[i].field, 200));
      json::kv(w, "problem", printable(err.details[i].problem, 500));
      w.EndObject();
    }
    if (shown < err.details.size()) {
      w.StartObject();
      json::kv(w, "field", "...");
      json::kv(w, "problem", std::to_string(err.details.size() - shown) + " more problems not shown");
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
  response r{status_of(err.code), std::move(body), "application/json", {}, {}, {}};
  if (err.code == errc::unauthorized)
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (err.code == errc::unavailable)
    r.headers.emplace_back("Retry-After", "1");
  return r;
}

struct deadline_keeper::impl {
  struct entry {
    std::chrono::steady_clock::time_point due;
    std::weak_ptr<responder::state> target;
  };
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<entry> queue; // in order of `due`: every watch uses the same timeout
  bool stopping = false;
  std::thread thread;

  void run() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::milliseconds(50));
      auto now = std::chrono::steady_clock::now();
      std::vector<std::shared_ptr<responder::state>> late;
      while (!queue.empty() && queue.front().due <= now) {
        if (auto s = queue.front().target.lock())
          late.push_back(std::move(s));
        queue.pop_front();
      }
      lock.unlock();
      for (auto& s : late)
        s->answer(error_response(errc::unavailable, "the request took too long; try again"));
      late.clear();
      lock.lock();
    }
  }
};

deadline_keeper::deadline_keeper() : impl_(std::make_unique<impl>()) {
  impl_->thread = std::thread([this] {
    pthread_setname_np(pthread_self(), "crm-deadlines");
    impl_->run();
  });
}

deadline_keeper::~deadline_keeper() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->thread.join();
}

void deadline_keeper::watch(const responder& r, std::chrono::milliseconds timeout) {
  auto due = std::chrono::steady_clock::now() + timeout;
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->queue.push_back({due, r.watch()});
}

std::size_t deadline_keeper::watched() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->queue.size();
}

} // namespace crm::http
