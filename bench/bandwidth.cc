// bandwidth: memory read bandwidth with N threads, the bound on CPU decode speed
// (tokens/s <= GB/s / bytes of weights read per token).
//   bandwidth [threads] [MiB per thread]   -> prints GB/s (best of 5)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

// Sums the buffer 64 bytes at a time (eight 64-bit lanes), so the loop is memory-bound.
uint64_t sum(const std::vector<uint64_t>& v) {
  uint64_t acc[8] = {};
  for (size_t i = 0; i + 8 <= v.size(); i += 8) {
    for (int l = 0; l < 8; ++l) acc[l] += v[i + static_cast<size_t>(l)];
  }
  uint64_t s = 0;
  for (uint64_t a : acc) s += a;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2;
  const size_t mib = argc > 2 ? static_cast<size_t>(std::max(16, std::atoi(argv[2]))) : 512;
  const size_t words = mib * 1024 * 1024 / sizeof(uint64_t);
  std::vector<std::vector<uint64_t>> bufs(static_cast<size_t>(threads));
  for (auto& b : bufs) b.assign(words, 1);  // touched: really resident
  double best = 0;
  volatile uint64_t sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<std::thread> pool;
    std::vector<uint64_t> out(static_cast<size_t>(threads));
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back(
          [&, t] { out[static_cast<size_t>(t)] = sum(bufs[static_cast<size_t>(t)]); });
    }
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (uint64_t o : out) sink = sink + o;
    best = std::max(best, static_cast<double>(threads) * static_cast<double>(words * 8) / s / 1e9);
  }
  std::printf("%.2f\n", best);
  return sink == 0 ? 1 : 0;
}
