#include "aggregator/web/status_collector.h"

#include <cmath>

#include <gtest/gtest.h>

#include "aggregator/storage/mem_storage.h"
#include "aggregator/web/status_test_data.h"

namespace abhra::web {
namespace {

using namespace testing;  // NOLINT

constexpr int64_t kNow = 100 * kHour;

const ServiceStatus* Find(const StatusPageData& d, const std::string& env, const std::string& svc) {
  for (const auto& s : d.services) {
    if (s.env == env && s.service == svc) return &s;
  }
  return nullptr;
}

class StatusCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto always = [](int64_t) { return 1.0; };
    // Up on two instances for 2 h.
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "api", "a"}, kNow - 2 * kHour, kNow - 15000, 15000, always));
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "api", "b"}, kNow - 2 * kHour, kNow - 15000, 15000, always));
    // Down for the last 10 minutes.
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "checkout", "a"}, kNow - 2 * kHour, kNow - 15000, 15000,
                           [](int64_t t) { return t < kNow - 10 * kMinute ? 1.0 : 0.0; }));
    // Flaky: one failure two minutes ago.
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "search", "a"}, kNow - 2 * kHour, kNow - 15000, 15000,
                           [](int64_t t) { return t == kNow - 2 * kMinute ? 0.0 : 1.0; }));
    // Probe died 3 minutes ago while the service was up: must not look green.
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "cart", "a"}, kNow - 2 * kHour, kNow - 3 * kMinute, 15000, always));
    // One of two probe instances went silent an hour ago: degraded, not green.
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "web", "a"}, kNow - 2 * kHour, kNow - 15000, 15000, always));
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "web", "b"}, kNow - 2 * kHour, kNow - kHour, 15000, always));
    // Probe died an hour ago (beyond the lookback): no data, and since when.
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "old", "a"}, kNow - 2 * kHour, kNow - kHour, 15000, always));
    // Sparse: four results in 24 h, one failed -> 75 %.
    ASSERT_TRUE(WriteProbe(&db_, {"staging", "api", "a"}, kNow - 20 * kHour, kNow - 20 * kHour, 1, [](int64_t) { return 0.0; }));
    ASSERT_TRUE(WriteProbe(&db_, {"staging", "api", "a"}, kNow - 10 * kHour, kNow - 10 * kHour, 1, always));
    ASSERT_TRUE(WriteProbe(&db_, {"staging", "api", "a"}, kNow - kHour, kNow - kHour, 1, always));
    ASSERT_TRUE(WriteProbe(&db_, {"staging", "api", "a"}, kNow - 30000, kNow - 30000, 1, always));
    ASSERT_TRUE(WriteTargetInfo(&db_, "prod", "api", "1.4.2", kNow - kHour, kNow - 15000, 15000));
    ASSERT_TRUE(WriteTargetInfo(&db_, "prod", "api", "1.5.0-canary", kNow - kHour, kNow - 15000, 15000));
    ASSERT_TRUE(WriteTargetInfo(&db_, "prod", "checkout", "2.0.1", kNow - kHour, kNow - 15000, 15000));
  }
  storage::MemStorage db_;
  FakeClock clock_{kNow};
};

TEST_F(StatusCollectorTest, StatesVersionsUptimeAndLatency) {
  StatusCollector collector(&db_, {}, &clock_);
  StatusPageData d = collector.Collect();
  ASSERT_TRUE(d.errors.empty()) << d.errors[0];
  ASSERT_EQ(d.services.size(), 7u);

  const ServiceStatus* web = Find(d, "prod", "web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->state, ServiceState::kDegraded);
  EXPECT_EQ(web->instances_total, 1);
  EXPECT_EQ(web->instances_known, 2);
  const ServiceStatus* old = Find(d, "prod", "old");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->state, ServiceState::kNoData);
  EXPECT_EQ(old->last_sample_ms, kNow - kHour);

  const ServiceStatus* api = Find(d, "prod", "api");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->state, ServiceState::kUp);
  EXPECT_EQ(api->instances_up, 2);
  EXPECT_EQ(api->instances_total, 2);
  EXPECT_EQ(api->versions, (std::vector<std::string>{"1.4.2", "1.5.0-canary"}));
  ASSERT_TRUE(api->uptime_24h.has_value());
  EXPECT_DOUBLE_EQ(*api->uptime_24h, 1.0);
  ASSERT_TRUE(api->latency_now_seconds.has_value());
  EXPECT_DOUBLE_EQ(*api->latency_now_seconds, 0.2);
  EXPECT_EQ(api->latency_seconds.size(), 61u);

  const ServiceStatus* checkout = Find(d, "prod", "checkout");
  ASSERT_NE(checkout, nullptr);
  EXPECT_EQ(checkout->state, ServiceState::kDown);
  EXPECT_EQ(checkout->versions, (std::vector<std::string>{"2.0.1"}));
  // 480 results in 2 h, the last 40 failed (10 min at 15 s).
  ASSERT_TRUE(checkout->uptime_24h.has_value());
  EXPECT_NEAR(*checkout->uptime_24h, 440.0 / 480.0, 1e-9);

  EXPECT_EQ(Find(d, "prod", "search")->state, ServiceState::kDegraded);

  const ServiceStatus* cart = Find(d, "prod", "cart");
  ASSERT_NE(cart, nullptr);
  EXPECT_EQ(cart->state, ServiceState::kNoData);
  EXPECT_EQ(cart->last_sample_ms, kNow - 3 * kMinute);
  EXPECT_FALSE(cart->latency_now_seconds.has_value());

  const ServiceStatus* sparse = Find(d, "staging", "api");
  ASSERT_NE(sparse, nullptr);
  EXPECT_EQ(sparse->state, ServiceState::kUp);
  ASSERT_TRUE(sparse->uptime_24h.has_value());
  EXPECT_DOUBLE_EQ(*sparse->uptime_24h, 0.75);
  EXPECT_DOUBLE_EQ(*sparse->uptime_7d, 0.75);
  EXPECT_DOUBLE_EQ(*sparse->uptime_30d, 0.75);
  EXPECT_TRUE(sparse->versions.empty());
}

TEST_F(StatusCollectorTest, ProbeGoneForADayStaysListedAsNoData) {
  clock_.Set(kNow + 20 * kHour);
  StatusCollector collector(&db_, {}, &clock_);
  StatusPageData d = collector.Collect();
  ASSERT_EQ(d.services.size(), 7u);
  for (const auto& s : d.services) {
    EXPECT_EQ(s.state, ServiceState::kNoData) << s.env << "/" << s.service;
  }
  clock_.Set(kNow + 30 * kHour);
  EXPECT_TRUE(StatusCollector(&db_, {}, &clock_).Collect().services.empty());
}

TEST_F(StatusCollectorTest, QueryCountDoesNotGrowWithServices) {
  StatusCollector collector(&db_, {}, &clock_);
  int before = collector.Collect().queries;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "svc" + std::to_string(i), "a"}, kNow - kHour,
                           kNow - 15000, 15000, [](int64_t) { return 1.0; }));
  }
  StatusPageData d = collector.Collect();
  EXPECT_EQ(d.services.size(), 47u);
  EXPECT_EQ(d.queries, before);
  EXPECT_LE(d.queries, 12);
}

TEST(StatusCollectorEmptyTest, NoDataNoServicesNoErrors) {
  storage::MemStorage db;
  FakeClock clock(kNow);
  StatusPageData d = StatusCollector(&db, {}, &clock).Collect();
  EXPECT_TRUE(d.services.empty());
  EXPECT_TRUE(d.errors.empty()) << d.errors[0];
}

}  // namespace
}  // namespace abhra::web
