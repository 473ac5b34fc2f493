#pragma once
// One page of an already sorted list (page from 1).
#include <cstddef>
#include <vector>

namespace crm {

template <class T>
std::vector<T> page_of(const std::vector<const T*>& sorted, int page, int limit) {
  std::vector<T> out;
  auto from = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(limit);
  for (auto i = from; i < sorted.size() && i < from + static_cast<std::size_t>(limit); ++i)
    out.push_back(*sorted[i]);
  return out;
}

} // namespace crm
