#pragma once
// An ordered set of unique keys, each with a value, kept as a sequence of sorted blocks of at
// most 2 * B entries: inserting or erasing moves at most one block's entries, and walking the
// order in either direction reads memory in sequence. std::map does the same with one node per
// key, and a walk of a page through 100k leads was a cache miss per step (the lead list's
// largest cost).
#include <algorithm>
#include <cstddef>
#include <vector>

namespace crm {

template <class K, class V, std::size_t B = 256>
class block_order {
public:
  struct entry {
    K key;
    V value;
  };

  /// Inserts the key (which is not present) with its value.
  void insert(const K& k, V v) {
    if (blocks_.empty()) { // never an empty block: block_for reads each block's last key
      blocks_.emplace_back().reserve(B);
      blocks_.back().push_back(entry{k, std::move(v)});
      ++size_;
      return;
    }
    auto b = block_for(k);
    auto& blk = *b;
    auto at = std::lower_bound(blk.begin(), blk.end(), k, [](const entry& e, const K& x) { return e.key < x; });
    blk.insert(at, entry{k, std::move(v)});
    ++size_;
    if (blk.size() > 2 * B) { // split in two halves
      std::vector<entry> upper(blk.begin() + static_cast<std::ptrdiff_t>(B), blk.end());
      blk.resize(B);
      blocks_.insert(b + 1, std::move(upper));
    }
  }

  /// Removes the key; false when it was not there.
  bool erase(const K& k) {
    if (blocks_.empty())
      return false;
    auto b = block_for(k);
    auto& blk = *b;
    auto at = std::lower_bound(blk.begin(), blk.end(), k, [](const entry& e, const K& x) { return e.key < x; });
    if (at == blk.end() || k < at->key || at->key < k)
      return false;
    blk.erase(at);
    --size_;
    if (blk.empty())
      blocks_.erase(b);
    return true;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Calls f(const entry&) in key order (descending: from the largest) until it returns false.
  template <class F>
  void each(bool descending, F&& f) const {
    if (descending) {
      for (auto b = blocks_.rbegin(); b != blocks_.rend(); ++b)
        for (auto e = b->rbegin(); e != b->rend(); ++e)
          if (!f(*e))
            return;
    } else {
      for (auto& blk : blocks_)
        for (auto& e : blk)
          if (!f(e))
            return;
    }
  }

  /// Calls f(const entry&) in ascending key order from the first key not below `from`, until it
  /// returns false.
  template <class F>
  void each_from(const K& from, F&& f) const {
    auto b = std::lower_bound(blocks_.begin(), blocks_.end(), from,
                              [](const std::vector<entry>& blk, const K& x) { return blk.back().key < x; });
    if (b == blocks_.end())
      return;
    auto e = std::lower_bound(b->begin(), b->end(), from, [](const entry& x, const K& k) { return x.key < k; });
    for (; b != blocks_.end(); ++b, e = b == blocks_.end() ? e : b->begin())
      for (; e != b->end(); ++e)
        if (!f(*e))
          return;
  }

private:
  using blocks = std::vector<std::vector<entry>>;
  /// The block that holds `k`, or where it belongs: the first whose last key is not below it
  /// (the last block when every key is below).
  typename blocks::iterator block_for(const K& k) {
    auto b = std::lower_bound(blocks_.begin(), blocks_.end(), k,
                              [](const std::vector<entry>& blk, const K& x) { return blk.back().key < x; });
    return b == blocks_.end() ? blocks_.end() - 1 : b;
  }

  blocks blocks_; // every block non-empty, blocks in key order
  std::size_t size_ = 0;
};

} // namespace crm
