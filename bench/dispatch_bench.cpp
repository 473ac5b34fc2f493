// The dispatcher's assignment policy alone (domain/dispatch.hpp): 100k calls across 1,000 reps
// in 10 territories, (a) all queued then drained at once, (b) arriving one by one with a drain
// after each (what the dispatcher actor does per message), (c) as (b) with capacities of 5 and
// completions freeing them. Prints assignments per second for each.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "domain/dispatch.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<std::string> names(const char* prefix, int n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

double per_second(std::size_t n, clock_type::duration d) {
  return static_cast<double>(n) / std::chrono::duration<double>(d).count();
}

} // namespace

int main() {
  constexpr int reps = 1000, calls = 100000, territories = 10;
  auto rep_ids = names("REP-", reps);
  auto call_ids = names("CALL-", calls);
  auto terr = names("T", territories);

  {
    crm::dispatch::board b;
    for (int i = 0; i < reps; ++i)
      b.put_rep(rep_ids[i], terr[i % territories], true, std::nullopt);
    auto t0 = clock_type::now();
    for (int i = 0; i < calls; ++i)
      b.enqueue(call_ids[i], terr[(i * 7) % territories]);
    auto n = b.drain().size();
    std::printf("DISPATCH queued-then-drained %zu %.0f\n", n, per_second(n, clock_type::now() - t0));
  }
  {
    crm::dispatch::board b;
    for (int i = 0; i < reps; ++i)
      b.put_rep(rep_ids[i], terr[i % territories], true, std::nullopt);
    std::size_t n = 0;
    auto t0 = clock_type::now();
    for (int i = 0; i < calls; ++i) {
      b.enqueue(call_ids[i], terr[(i * 7) % territories]);
      n += b.drain().size();
    }
    std::printf("DISPATCH one-by-one %zu %.0f\n", n, per_second(n, clock_type::now() - t0));
  }
  {
    crm::dispatch::board b;
    for (int i = 0; i < reps; ++i)
      b.put_rep(rep_ids[i], terr[i % territories], true, 5);
    std::mt19937 rng(7);
    std::vector<std::string> open;
    std::size_t n = 0;
    auto t0 = clock_type::now();
    for (int i = 0; i < calls; ++i) {
      b.enqueue(call_ids[i], terr[(i * 7) % territories]);
      for (auto& a : b.drain()) {
        open.push_back(a.rep);
        ++n;
      }
      if (open.size() > 4000) { // completions free capacity, in random order
        for (int k = 0; k < 100; ++k) {
          auto j = rng() % open.size();
          b.release(open[j]);
          open[j] = open.back();
          open.pop_back();
        }
        n += b.drain().size();
      }
    }
    std::printf("DISPATCH capacity-5-with-completions %zu %.0f\n", n, per_second(n, clock_type::now() - t0));
  }
  return 0;
}
