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
  EXPECT_EQ(std::get<Scalar>(one->value).v, 2);
  EXPECT_EQ(std::get<Scalar>(one->value).t, 4000);
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
}

TEST_F(EngineTest, SubqueryAtAndOffset) {
  std::vector<std::pair<int64_t, double>> s;
  for (int i = 0; i <= 60; ++i) s.push_back({i * 10000, static_cast<double>(i)});
  Add(Labels{{"__name__", "m"}}, s);
  // Subquery steps are aligned to multiples of the step: (600-60, 600] at 10s -> 6 points.
  auto v = Instant("count_over_time(m[1m:10s])", 600000);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].f, 6);
  auto at = Instant("m @ 100", 600000);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].f, 10);
  EXPECT_EQ(at[0].t, 600000);  // instant vector samples carry the evaluation time
  auto off = Instant("m offset 1m", 600000);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0].f, 54);
  auto neg = Instant("m offset -1m", 0);
  ASSERT_EQ(neg.size(), 1u);
  EXPECT_EQ(neg[0].f, 6);
  auto ts = Instant("timestamp(m @ 95)", 600000);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].f, 90);
}

TEST_F(EngineTest, LabelFunctionsAndAbsent) {
  Add(Labels{{"__name__", "up"}, {"job", "api-1"}}, {{0, 1}});
  auto v = Instant("label_replace(up, \"svc\", \"$1\", \"job\", \"(.*)-(\\\\d)\")", 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].metric.Get("svc"), "api");
  EXPECT_EQ(v[0].metric.MetricName(), "up");  // label_replace keeps the name
  auto j = Instant("label_join(up, \"x\", \"/\", \"job\", \"__name__\")", 0);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].metric.Get("x"), "api-1/up");
  auto a = Instant("absent(nope{job=\"x\", env=~\"p.*\"})", 0);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].metric.ToString(), "{job=\"x\"}");
  EXPECT_TRUE(Instant("absent(up)", 0).empty());
}

TEST_F(EngineTest, AggregationsAndOrdering) {
  for (int i = 0; i < 5; ++i) {
    Add(Labels{{"__name__", "m"}, {"i", std::to_string(i)}, {"g", i % 2 ? "odd" : "even"}},
        {{0, static_cast<double>(i)}});
  }
  auto top = Instant("topk(2, m)", 0);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].f, 4);  // highest first
  EXPECT_EQ(top[0].metric.MetricName(), "m");
  auto by = Instant("sum by (g) (m)", 0);
  ASSERT_EQ(by.size(), 2u);
  double even = by[0].metric.Get("g") == "even" ? by[0].f : by[1].f;
  EXPECT_EQ(even, 6);
  auto q = Instant("quantile(0.5, m)", 0);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].f, 2);
  auto cv = Instant("count_values(\"v\", m)", 0);
  EXPECT_EQ(cv.size(), 5u);
  auto sorted = Instant("sort_desc(m)", 0);
  ASSERT_EQ(sorted.size(), 5u);
  EXPECT_EQ(sorted.front().f, 4);
  EXPECT_EQ(sorted.back().f, 0);
}

TEST_F(EngineTest, HistogramQuantileClassic) {
  const char* les[] = {"0.1", "1", "+Inf"};
  double counts[] = {10, 90, 100};
  for (int i = 0; i < 3; ++i) {
    Add(Labels{{"__name__", "h_bucket"}, {"le", les[i]}}, {{0, counts[i]}});
  }
  auto v = Instant("histogram_quantile(0.5, h_bucket)", 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NEAR(v[0].f, 0.1 + 0.9 * (40.0 / 80.0), 1e-12);
  EXPECT_TRUE(v[0].metric.empty());
}

TEST_F(EngineTest, SetOperatorsAndNameCollision) {
  Add(Labels{{"__name__", "a"}, {"x", "1"}}, {{0, 1}});
  Add(Labels{{"__name__", "b"}, {"x", "1"}}, {{0, 2}});
  Add(Labels{{"__name__", "b"}, {"x", "2"}}, {{0, 3}});
  EXPECT_EQ(Instant("b and a", 0).size(), 1u);
  EXPECT_EQ(Instant("b unless a", 0).size(), 1u);
  EXPECT_EQ(Instant("a or b", 0).size(), 2u);
  // Dropping __name__ makes a and b collide only when their other labels agree.
  auto r = engine_.InstantQuery(db_, "-{x=\"1\"}", 0, opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "vector cannot contain metrics with the same labelset");
}

TEST_F(EngineTest, RangeQueryErrorsAndTimeout) {
  Add(Labels{{"__name__", "m"}}, {{0, 1}});
  auto bad = engine_.RangeQuery(db_, "m[5m]", 0, 1000, 100, opts_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(ClassifyQueryError(bad.status()), QueryErrorType::kBadData);
  auto step = engine_.RangeQuery(db_, "m", 0, 1000, 0, opts_);
  EXPECT_FALSE(step.ok());
  QueryOptions no_time = opts_;
  no_time.timeout = std::chrono::milliseconds(-1);
  auto t = engine_.InstantQuery(db_, "m", 0, no_time);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(ClassifyQueryError(t.status()), QueryErrorType::kTimeout);
}

}  // namespace
}  // namespace abhra::promql
