#include "common/base/parallel.h"

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace abhra {
namespace {

TEST(ParallelForTest, CoversEveryIndexExactlyOnce) {
  for (size_t n : {0u, 1u, 7u, 1000u, 4099u}) {
    for (size_t grain : {1u, 3u, 64u, 5000u}) {
      std::vector<std::atomic<int>> hits(n);
      ParallelFor(n, grain, [&](size_t b, size_t e) {
        EXPECT_LE(e - b, grain);
        for (size_t i = b; i < e; ++i) hits[i]++;
      });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ParallelForTest, RethrowsTheFirstErrorAfterRunningRangesFinish) {
  std::atomic<int> ran{0};
  EXPECT_THROW(ParallelFor(100, 1,
                           [&](size_t b, size_t) {
                             ran++;
                             if (b == 10) throw std::runtime_error("range 10 failed");
                           }),
               std::runtime_error);
  EXPECT_GE(ran.load(), 1);
  // The pool is still usable afterwards.
  std::atomic<size_t> sum{0};
  ParallelFor(100, 7, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) sum += i;
  });
  EXPECT_EQ(sum.load(), 4950u);
}

TEST(ParallelForTest, NestedAndConcurrentLoopsComplete) {
  std::atomic<size_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      ParallelFor(20, 1, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          ParallelFor(50, 5, [&](size_t b2, size_t e2) { total += e2 - b2; });
        }
      });
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 4u * 20u * 50u);
}

}  // namespace
}  // namespace abhra
