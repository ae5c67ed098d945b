// Clock: the seam through which time enters, so tests can control it.
#pragma once

#include <atomic>
#include <cstdint>

namespace abhra {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch (the unit of sample timestamps).
  virtual int64_t NowMillis() const = 0;
  // A monotonic reading in nanoseconds, for measuring durations only.
  virtual int64_t MonotonicNanos() const = 0;

  // The process-wide real clock. Thread-safe; never null.
  static const Clock& Real();
};

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 0) : now_ms_(now_ms) {}
  int64_t NowMillis() const override { return now_ms_.load(); }
  int64_t MonotonicNanos() const override { return now_ms_.load() * 1'000'000; }
  void Set(int64_t now_ms) { now_ms_.store(now_ms); }
  void Advance(int64_t delta_ms) { now_ms_.fetch_add(delta_ms); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace abhra
