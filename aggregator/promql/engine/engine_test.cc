#include "aggregator/promql/engine/engine.h"

#include <gtest/gtest.h>

#include "aggregator/storage/mem_storage.h"

namespace abhra::promql {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void Add(const Labels& l, std::vector<std::pair<int64_t, double>> samples) {
    auto app = db_.MakeAppender();
    for (auto [t, v] : samples) ASSERT_TRUE(app->Append(0, l, t, v).ok());
    ASSERT_TRUE(app->Commit().ok());
  }
  Vector Instant(std::string_view q, int64_t t) {
    auto r = engine_.InstantQuery(db_, q, t, opts_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    return std::get<Vector>(r->value);
  }
  storage::MemStorage db_;
  Engine engine_;
  QueryOptions opts_;
};

TEST_F(EngineTest, LookbackAndStaleness) {
  Add(Labels{{"__name__", "m"}}, {{0, 1}, {60000, 2}, {120000, storage::StaleNaN()}});
  auto v = Instant("m", 90000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].f, 2);
  EXPECT_TRUE(Instant("m", 120000).empty());  // stale marker hides the older sample
  EXPECT_EQ(Instant("m", 60000 + 299999).size(), 0u);  // staleness wins over lookback
  Add(Labels{{"__name__", "n"}}, {{0, 5}});
  EXPECT_EQ(Instant("n", 299999).size(), 1u);
  EXPECT_EQ(Instant("n", 300000).size(), 0u);  // lookback window is left-open
}

TEST_F(EngineTest, RateExtrapolatesAndDropsName) {
  Labels l{{"__name__", "c_total"}, {"job", "a"}};
  std::vector<std::pair<int64_t, double>> s;
  for (int i = 0; i <= 10; ++i) s.push_back({i * 10000, i * 10.0});
  Add(l, s);
  auto v = Instant("rate(c_total[1m])", 100000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_DOUBLE_EQ(v[0].f, 1.0);
  EXPECT_EQ(v[0].metric.ToString(), "{job=\"a\"}");
}

TEST_F(EngineTest, BinaryMatchingAndErrors) {
  Add(Labels{{"__name__", "a"}, {"x", "1"}}, {{0, 1}});
  Add(Labels{{"__name__", "a"}, {"x", "2"}}, {{0, 2}});
  Add(Labels{{"__name__", "b"}, {"x", "1"}}, {{0, 10}});
  auto v = Instant("a + b", 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].f, 11);
  auto r = engine_.InstantQuery(db_, "b + on() a", 0, opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ClassifyQueryError(r.status()), QueryErrorType::kExecution);
  auto p = engine_.InstantQuery(db_, "a +", 0, opts_);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ClassifyQueryError(p.status()), QueryErrorType::kBadData);
}

TEST_F(EngineTest, MaxSamplesAndScalar) {
  std::vector<std::pair<int64_t, double>> s;
  for (int i = 0; i < 100; ++i) s.push_back({i * 1000, 1});
  Add(Labels{{"__name__", "m"}}, s);
  QueryOptions small = opts_;
  small.max_samples = 10;
  auto r = engine_.InstantQuery(db_, "sum_over_time(m[100s])", 99000, small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), kTooManySamplesMessage);
  auto one = engine_.InstantQuery(db_, "1+1", 4000, opts_);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(ValueToJson(one->value), R"({"resultType":"scalar","result":[4,"2"]})");
}

TEST_F(EngineTest, RangeQuerySortedMatrix) {
  Add(Labels{{"__name__", "m"}, {"i", "b"}}, {{0, 1}, {10000, 2}});
  Add(Labels{{"__name__", "m"}, {"i", "a"}}, {{0, 3}});
  auto r = engine_.RangeQuery(db_, "m * 2", 0, 10000, 5000, opts_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& m = std::get<Matrix>(r->value);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].metric.ToString(), "{i=\"a\"}");
  EXPECT_EQ(m[0].floats.size(), 3u);
  EXPECT_EQ(m[1].floats.back().f, 4);
  EXPECT_EQ(FormatSampleValue(1e-7), "1e-07");
  EXPECT_EQ(FormatSampleValue(0.5), "0.5");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
}

}  // namespace
}  // namespace abhra::promql
