// A one-byte lock for per-series state: uncontended acquire is one atomic exchange, and a
// series is almost always touched by one writer at a time. Spins briefly, then yields.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace abhra::tsdb {

class SpinLock {
 public:
  void lock() {
    for (int spins = 0; flag_.exchange(1, std::memory_order_acquire) != 0; ++spins) {
      while (flag_.load(std::memory_order_relaxed) != 0) {
        if (++spins > 64) std::this_thread::yield();
#if defined(__x86_64__)
        else __builtin_ia32_pause();
#endif
      }
    }
  }
  void unlock() { flag_.store(0, std::memory_order_release); }

 private:
  std::atomic<uint8_t> flag_{0};
};

}  // namespace abhra::tsdb
