#pragma once
// The assignment policy of the dispatcher (CONTRACT section 6, issue 3), as plain data so that
// it can be tested exhaustively and benchmarked alone.
//
// A rep can take work when it is active and available and has fewer open items than its
// maxOpenItems (no limit when unset). Work goes to a rep of its territory when one can take it,
// else to any rep that can; among those, the one with the fewest open items; ties go to the rep
// assigned least recently (round-robin), then to the lower id. Work no rep can take waits in a
// FIFO queue and is handed out the moment a rep can take it.
//
// Work may also need a skill (tickets, by category, where a company turns ticket dispatch on):
// it goes to the rep with that skill with the fewest open items, territory aside, and waits in
// a queue of its own skill so that it never holds up other work.
//
// Every operation is O(log reps): reps that can take work sit in ordered sets (one overall, one
// per territory) keyed by (open items, last assignment tick, id).
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace crm::dispatch {

struct assignment {
  std::string work;
  std::string rep;
};

class board {
public:
  static constexpr int skills = 4; // ticket categories

  /// Adds or updates a rep. `eligible`: active and available. `skill_mask`: bit i set when the
  /// rep takes work of skill i.
  void put_rep(const std::string& id, const std::string& territory, bool eligible,
               std::optional<std::int64_t> capacity, unsigned skill_mask = 0);
  /// Sets how many open items a rep has (recovery).
  void set_open(const std::string& rep, std::int64_t open);
  /// A rep's open item is done (completed, failed, handed back): one fewer.
  void release(const std::string& rep);
  /// A rep took an open item outside the board (assigned by hand): one more.
  void take(const std::string& rep);

  /// Queues work (ignored when already queued).
  void enqueue(const std::string& work, const std::string& territory);
  /// Queues work that needs skill `skill` (0..skills-1).
  void enqueue_skilled(const std::string& work, int skill);
  /// Takes work out of the queue (it stopped being assignable). False when it was not queued.
  bool drop(const std::string& work);

  /// Assigns queued work, oldest first, while some rep can take it. Each assignment counts as an
  /// open item of its rep at once.
  std::vector<assignment> drain();

  std::size_t queued() const { return queued_.size(); }
  bool is_queued(const std::string& work) const { return queued_.count(work) != 0; }
  std::int64_t open(const std::string& rep) const;
  /// True when some rep can take work now.
  bool any_can_take() const { return !ready_.empty(); }
  bool can_take(const std::string& rep) const;

private:
  struct rep_state {
    std::string territory;
    bool eligible = false;
    std::optional<std::int64_t> capacity;
    std::int64_t open = 0;
    std::uint64_t last = 0; // tick of the last assignment
    unsigned skill_mask = 0;
  };
  using key = std::tuple<std::int64_t, std::uint64_t, std::string>; // open, last, id
  key key_of(const std::string& id, const rep_state& r) const { return {r.open, r.last, id}; }
  bool takes(const rep_state& r) const {
    return r.eligible && (!r.capacity || r.open < *r.capacity);
  }
  void unlist(const std::string& id, const rep_state& r);
  void list(const std::string& id, const rep_state& r);
  std::optional<std::string> pick(const std::string& territory) const;
  void assign_to(const std::string& rep, std::string work, std::vector<assignment>& out);

  std::unordered_map<std::string, rep_state> reps_;
  std::set<key> ready_;
  std::unordered_map<std::string, std::set<key>> ready_by_territory_;
  std::set<key> ready_by_skill_[skills];
  struct item {
    std::string work;
    std::string territory;
  };
  std::deque<item> queue_;
  std::deque<std::string> skilled_[skills];
  std::unordered_set<std::string> queued_;
  std::unordered_set<std::string> dropped_; // still in queue_, skipped when reached
  std::uint64_t tick_ = 0;
};

} // namespace crm::dispatch
