#pragma once
// A company's notification outbox as last written, with the two orders it is read in: newest
// first for GET /api/v1/notifications, and by due time for the sender, which asks for the pending
// notifications whose next try is due. Plain data: one writer at a time (like call_index).
//
// Bounded: every pending message is kept (it must be delivered), but of the finished ones (sent
// or failed) only the newest `keep_finished`. A message is kept without its subject and body
// once its notification.queued is written (queued_seq): the sender reads them from the log when
// it tries, so a receiver that stays down costs a few hundred bytes per waiting message, not its
// text. The log keeps every message whole.
#include <array>
#include <cstdint>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/notification.hpp"

namespace crm::notifications {

struct list_query {
  int page = 1;  // from 1
  int limit = 20; // at least 1
  std::vector<status> statuses; // empty: any
  std::vector<channel> channels; // empty: any
};

struct list_page {
  std::vector<notification> items;
  std::size_t total = 0; // every match, not only this page's
};

class outbox_index {
public:
  explicit outbox_index(std::size_t keep_finished = 20'000) : keep_finished_(keep_finished) {}

  /// Inserts or replaces the notification (by id), keeping both orders in step; returns the ids
  /// of the finished notifications dropped to keep at most keep_finished of them.
  std::vector<std::string> put(notification n);
  /// Null when there is no notification with this id.
  const notification* find(const std::string& id) const;
  bool contains(const std::string& id) const { return find(id) != nullptr; }
  std::size_t size() const { return notifications_.size(); }

  /// The matches of the filters, newest first (createdAt, then the id's number, descending),
  /// one page of them.
  list_page list(const list_query& q) const;

  /// The ids of the pending notifications whose next try is due at `now` (next_attempt_at <=
  /// now), the longest due first (then the id's number); at most `limit` of them.
  std::vector<std::string> due(millis now, std::size_t limit = SIZE_MAX) const;
  /// The same, of one channel only.
  std::vector<std::string> due(millis now, std::size_t limit, channel ch) const;

  template <class F>
  void for_each(F&& f) const {
    for (auto& [n, x] : notifications_)
      f(x);
  }

private:
  using key = std::pair<millis, std::uint64_t>; // (time, id number)
  static bool waiting(const notification& n) { return n.st == status::pending && n.next_attempt_at; }

  std::unordered_map<std::uint64_t, notification> notifications_; // by id number
  std::map<key, const notification*> by_created_;
  std::array<std::set<key>, 4> due_; // by channel: (next_attempt_at, id number) of the pending ones
  std::set<key> finished_; // (created_at, id number) of the sent and failed ones
  std::size_t keep_finished_;
};

} // namespace crm::notifications
