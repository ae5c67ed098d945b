#include "probe/check/scheduler.h"

#include <gtest/gtest.h>

#include <set>

namespace abhra::probe {
namespace {

TEST(Schedule, NextDueIsAtTheTargetsPhase) {
  const int64_t interval = 15'000;
  for (int64_t now : {0LL, 1LL, 1'700'000'000'123LL, 1'700'000'014'999LL}) {
    int64_t due = NextDueMs(now, interval, "api");
    EXPECT_GE(due, now);
    EXPECT_LT(due - now, interval);
    EXPECT_EQ(due % interval, PhaseOffsetMs(interval, "api"));
  }
  // Deterministic: the same name gets the same phase in every process.
  EXPECT_EQ(PhaseOffsetMs(interval, "api"), PhaseOffsetMs(interval, "api"));
}

TEST(Schedule, ManyTargetsSpreadOverTheInterval) {
  const int64_t interval = 10'000;
  std::vector<int> buckets(10);
  for (int i = 0; i < 5000; ++i) {
    buckets[PhaseOffsetMs(interval, "target-" + std::to_string(i)) / 1000]++;
  }
  for (int b : buckets) {
    EXPECT_GT(b, 400);  // 500 expected per second-bucket
    EXPECT_LT(b, 600);
  }
}

TEST(Scheduler, UnsupportedKindIsReportedAsConfigFailure) {
  Target t;
  t.name = "s";
  t.kind = TargetKind::kScrape;
  t.interval_ms = 1000;
  t.timeout_ms = 500;
  Scheduler scheduler(Clock::Real(), MakeBuiltinCheck, nullptr);
  auto results = scheduler.RunOnce({t});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].result.success);
  EXPECT_EQ(results[0].result.failure_reason, "config");
}

}  // namespace
}  // namespace abhra::probe
