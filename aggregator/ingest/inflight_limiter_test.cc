#include "aggregator/ingest/inflight_limiter.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

namespace abhra::ingest {
namespace {

TEST(InflightLimiterTest, RequestLimitRefusesBeyondAndLeasesGiveSlotsBack) {
  InflightLimiter limiter({.max_requests = 2, .max_bytes = 0}, nullptr);
  auto a = limiter.TryAcquire(10);
  auto b = limiter.TryAcquire(10);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = limiter.TryAcquire(10);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().Is(Status::Code::kResourceExhausted));
  EXPECT_NE(c.status().message().find("limit 2"), std::string::npos) << c.status().message();
  EXPECT_EQ(limiter.requests(), 2u);
  EXPECT_EQ(limiter.bytes(), 20u);
  InflightLease copy = *a;  // the slot is held until the last copy goes
  a->reset();
  EXPECT_FALSE(limiter.TryAcquire(10).ok());
  copy.reset();
  EXPECT_EQ(limiter.requests(), 1u);
  EXPECT_TRUE(limiter.TryAcquire(10).ok());
}

TEST(InflightLimiterTest, ByteLimitCountsBodiesButAdmitsALoneRequestOfAnySize) {
  InflightLimiter limiter({.max_requests = 0, .max_bytes = 100}, nullptr);
  auto big = limiter.TryAcquire(500);  // nothing else in flight: admitted
  ASSERT_TRUE(big.ok());
  auto small = limiter.TryAcquire(1);
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("limit of 100"), std::string::npos)
      << small.status().message();
  big->reset();
  auto x = limiter.TryAcquire(60);
  ASSERT_TRUE(x.ok());
  EXPECT_TRUE(limiter.TryAcquire(40).ok());  // exactly at the limit, released at once
  auto y = limiter.TryAcquire(41);
  EXPECT_FALSE(y.ok());
  EXPECT_EQ(limiter.bytes(), 60u);
  EXPECT_EQ(limiter.requests(), 1u);
}

TEST(InflightLimiterTest, MoreBytesForAnAdmittedRequestCountOnlyBytes) {
  InflightLimiter limiter({.max_requests = 2, .max_bytes = 100}, nullptr);
  auto a = limiter.TryAcquire(10);
  ASSERT_TRUE(a.ok());
  // Alone in flight: its decoded bytes are granted whatever their size.
  auto decoded = limiter.TryAcquireMore(500);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(limiter.requests(), 1u);
  EXPECT_EQ(limiter.bytes(), 510u);
  decoded->reset();
  auto b = limiter.TryAcquire(10);
  ASSERT_TRUE(b.ok());
  auto more = limiter.TryAcquireMore(50);
  ASSERT_TRUE(more.ok());
  auto too_much = limiter.TryAcquireMore(31);  // 70 + 31 > 100 with two requests in flight
  ASSERT_FALSE(too_much.ok());
  EXPECT_NE(too_much.status().message().find("decoded bytes"), std::string::npos);
  more->reset();
  EXPECT_EQ(limiter.bytes(), 20u);
  EXPECT_EQ(limiter.requests(), 2u);
}

TEST(InflightLimiterTest, UnlimitedByDefaultAndMetricsFollowTheCounts) {
  prometheus::Registry registry;
  InflightLimiter limiter({}, &registry);
  std::vector<InflightLease> leases;
  for (int i = 0; i < 1000; ++i) {
    auto l = limiter.TryAcquire(1 << 20);
    ASSERT_TRUE(l.ok());
    leases.push_back(*l);
  }
  double gauge = -1;
  for (const auto& family : registry.Collect()) {
    if (family.name == "abhra_ingest_inflight_requests") gauge = family.metric.at(0).gauge.value;
  }
  EXPECT_EQ(gauge, 1000);
  leases.clear();
  EXPECT_EQ(limiter.requests(), 0u);
  EXPECT_EQ(limiter.bytes(), 0u);
}

}  // namespace
}  // namespace abhra::ingest
