#include "aggregator/ingest/tenant_series_limits.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "aggregator/tsdb/head/head.h"
#include "aggregator/tsdb/head/head_appender.h"

namespace abhra::ingest {
namespace {

namespace fs = std::filesystem;

std::vector<LabelView> Views(const std::vector<Label>& labels) {
  std::vector<LabelView> out;
  for (const Label& l : labels) out.push_back({l.name, l.value});
  return out;
}

TEST(TenantSeriesLimitsTest, TenantIsTheEnvLabelOrDefault) {
  std::vector<Label> with_env = {{"__name__", "up"}, {"env", "prod"}};
  std::vector<Label> without = {{"__name__", "up"}, {"job", "x"}};
  EXPECT_EQ(TenantSeriesLimits::TenantOf(Views(with_env)), "prod");
  EXPECT_EQ(TenantSeriesLimits::TenantOf(Views(without)), "default");
}

TEST(TenantSeriesLimitsTest, PerTenantLimitOverridesTheDefault) {
  TenantSeriesLimitsOptions o;
  o.default_max_series = 1;
  o.max_series = {{"prod", 3}, {"lab", 0}};
  TenantSeriesLimits limits(o, nullptr);
  EXPECT_EQ(limits.LimitOf("prod"), 3u);
  EXPECT_EQ(limits.LimitOf("lab"), 0u);
  EXPECT_EQ(limits.LimitOf("dev"), 1u);
  auto series = [](std::string env, int i) {
    return std::vector<Label>{{"env", env}, {"i", std::to_string(i)}};
  };
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limits.Acquire(Views(series("prod", i)), true).ok());
  Status refused = limits.Acquire(Views(series("prod", 3)), true);
  EXPECT_TRUE(refused.Is(Status::Code::kResourceExhausted));
  EXPECT_NE(refused.message().find("tenant \"prod\" has reached its limit of 3 series "
                                   "(tenants[].max_series)"),
            std::string::npos)
      << refused.message();
  EXPECT_TRUE(limits.Acquire(Views(series("dev", 0)), true).ok());
  EXPECT_FALSE(limits.Acquire(Views(series("dev", 1)), true).ok());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limits.Acquire(Views(series("lab", i)), true).ok());
  // Not enforced (replay): counted beyond the limit.
  EXPECT_TRUE(limits.Acquire(Views(series("dev", 1)), false).ok());
  EXPECT_EQ(limits.Series("dev"), 2u);
  limits.Release(Views(series("dev", 1)));
  limits.Release(Views(series("dev", 0)));
  EXPECT_EQ(limits.Series("dev"), 0u);
  EXPECT_TRUE(limits.Acquire(Views(series("dev", 5)), true).ok());
}

class HeadWithLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    head_.reset();
    fs::remove_all(dir_);
  }
  void Open(TenantSeriesLimits* limits) {
    head_.reset();
    tsdb::HeadOptions o;
    o.series_quota = limits;
    auto head = tsdb::Head::Open(dir_, o);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    head_ = std::move(*head);
  }
  Status Append(std::string env, int i, int64_t t) {
    auto app = head_->NewAppender();
    std::vector<Label> l = {{"__name__", "m"}, {"env", env}, {"i", std::to_string(i)}};
    auto r = app->AppendViews(Views(l), t, 1);
    if (!r.ok()) return r.status();
    return app->Commit();
  }

  std::string dir_ = (fs::temp_directory_path() / fmt::format("abhra-series-limits-{}", getpid())).string();
  std::unique_ptr<tsdb::Head> head_;
};

TEST_F(HeadWithLimitsTest, OnlyNewSeriesCountAndTruncationAndReplayKeepTheCount) {
  prometheus::Registry registry;
  TenantSeriesLimits limits({.default_max_series = 2, .max_series = {}}, &registry);
  Open(&limits);
  ASSERT_TRUE(Append("dev", 0, 1000).ok());
  ASSERT_TRUE(Append("dev", 1, 1000).ok());
  Status refused = Append("dev", 2, 1000);
  EXPECT_TRUE(refused.Is(Status::Code::kResourceExhausted)) << refused.ToString();
  EXPECT_TRUE(Append("dev", 0, 2000).ok());  // existing series: still accepted
  EXPECT_TRUE(Append("prod", 0, 2000).ok());
  EXPECT_EQ(limits.Series("dev"), 2u);
  EXPECT_EQ(head_->NumSeries(), 3u);

  // Replay counts the series again, and refuses nothing it had.
  TenantSeriesLimits after_restart({.default_max_series = 1, .max_series = {}}, nullptr);
  Open(&after_restart);
  EXPECT_EQ(after_restart.Series("dev"), 2u);
  EXPECT_EQ(after_restart.Series("prod"), 1u);
  EXPECT_TRUE(Append("dev", 1, 3000).ok());
  EXPECT_FALSE(Append("dev", 3, 3000).ok());

  // Truncation frees series whose samples are all gone, and their quota with them.
  ASSERT_TRUE(Append("dev", 1, 5000).ok());
  ASSERT_TRUE(head_->Truncate(4000).ok());
  EXPECT_EQ(after_restart.Series("dev"), 1u);
  EXPECT_EQ(after_restart.Series("prod"), 0u);
  EXPECT_TRUE(Append("prod", 7, 6000).ok());
}

}  // namespace
}  // namespace abhra::ingest
