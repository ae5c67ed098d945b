// Range queries take whole-range fast paths (parallel series evaluation, AggregateMatrix,
// BinopMatrix) that instant queries mostly do not: a range result must equal the instant
// results at each of its steps, bit for bit, for every query here. The data has gaps, counter
// resets, staleness markers and more series than one parallel task takes.
#include <cstdio>
#include <cstring>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/promql/engine/evaluator.h"
#include "aggregator/storage/mem_storage.h"

namespace abhra::promql {
namespace {

constexpr int64_t kStep = 30'000;

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
constexpr int64_t kStart = 600'000, kEnd = 1'800'000;

class RangeConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937_64 rng(7);
    auto app = db_.MakeAppender();
    for (int i = 0; i < 700; ++i) {
      std::string inst = "i" + std::to_string(i);
      std::string env = i % 3 == 0 ? "prod" : i % 3 == 1 ? "dev" : "staging";
      Labels c{{"__name__", "req_total"}, {"env", env}, {"instance", inst},
               {"code", i % 5 == 0 ? "500" : "200"}};
      Labels g{{"__name__", "mem_bytes"}, {"env", env}, {"instance", inst}};
      Labels t{{"__name__", "mem_total"}, {"env", env}, {"instance", inst}};
      double cv = 0;
      // Series start and stop at different times; some go stale; some reset.
      int64_t first = static_cast<int64_t>(rng() % 40) * 15'000;
      int64_t last = 1'800'000 - static_cast<int64_t>(rng() % 20) * 15'000;
      for (int64_t ts = first; ts <= last; ts += 15'000) {
        if (rng() % 17 == 0) continue;  // scrape gaps
        cv += static_cast<double>(rng() % 100);
        if (rng() % 97 == 0) cv = static_cast<double>(rng() % 10);  // counter reset
        ASSERT_TRUE(app->Append(0, c, ts, cv).ok());
        ASSERT_TRUE(app->Append(0, g, ts, static_cast<double>(rng() % 1000) + 0.25).ok());
        ASSERT_TRUE(app->Append(0, t, ts, 2000.5).ok());
      }
      if (i % 11 == 0) {
        ASSERT_TRUE(app->Append(0, g, last + 15'000, storage::StaleNaN()).ok());
      }
    }
    ASSERT_TRUE(app->Commit().ok());
  }

  // Series (by label string) → step → value bits.
  using Points = std::map<std::string, std::map<int64_t, uint64_t>>;

  storage::MemStorage db_;
  Engine engine_;
  QueryOptions opts_;
};

TEST_F(RangeConsistencyTest, RangeEqualsInstantAtEveryStep) {
  const char* queries[] = {
      "req_total",
      "rate(req_total[2m])",
      "increase(req_total[5m])",
      "sum by (env) (rate(req_total[2m]))",
      "avg by (env, code) (rate(req_total[1m]))",
      "count without (instance) (mem_bytes)",
      "max by (env) (max_over_time(mem_bytes[3m]))",
      "min(mem_bytes)",
      "stddev by (env) (mem_bytes)",
      "group by (code) (req_total)",
      "avg_over_time(mem_bytes[5m]) > 400",
      "mem_bytes / mem_total",
      "1 - avg by (env) (mem_bytes / mem_total)",
      "mem_bytes > bool on (instance, env) mem_total",
      "mem_bytes >= ignoring (code) mem_total - 1500",
      "sum by (env, code) (rate(req_total{code=~\"5..\"}[2m])) / ignoring (code) group_left "
      "sum by (env) (rate(req_total[2m]))",
      "sum by (env) (rate(req_total{code=\"500\"}[2m])) / sum by (env) (rate(req_total[2m]))",
      "topk(3, rate(req_total[2m]))",
      "avg_over_time(mem_bytes[2m]) < 500",
      "2 * rate(req_total[1m])",
      "1000 - mem_bytes",
      "600 >= bool mem_bytes",
      "mem_bytes % scalar(count(mem_total))",
      "max_over_time((mem_bytes > 300)[5m:1m])",
  };
  for (const char* q : queries) {
    SCOPED_TRACE(q);
    auto range = engine_.RangeQuery(db_, q, kStart, kEnd, kStep, opts_);
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    Points got;
    for (const Series& s : std::get<Matrix>(range->value)) {
      for (const FPoint& p : s.floats) got[s.metric.ToString()][p.t] = Bits(p.f);
    }
    Points want;
    for (int64_t t = kStart; t <= kEnd; t += kStep) {
      auto inst = engine_.InstantQuery(db_, q, t, opts_);
      ASSERT_TRUE(inst.ok()) << inst.status().ToString();
      for (const Sample& s : std::get<Vector>(inst->value)) want[s.metric.ToString()][t] = Bits(s.f);
    }
    EXPECT_FALSE(want.empty());
    EXPECT_EQ(got, want);
  }
}

// max/min_over_time slide a monotonic deque over the window; quantile_over_time(1|0) sorts
// each window instead: they must agree everywhere (the data has no NaN or signed zeros).
TEST_F(RangeConsistencyTest, SlidingMinMaxEqualsSortedWindows) {
  const std::pair<const char*, const char*> pairs[] = {
      {"max_over_time(mem_bytes[3m])", "quantile_over_time(1, mem_bytes[3m])"},
      {"min_over_time(mem_bytes[10m])", "quantile_over_time(0, mem_bytes[10m])"},
      {"max_over_time(req_total[45s] offset 1m)", "quantile_over_time(1, req_total[45s] offset 1m)"},
      {"min_over_time(mem_bytes[2m] @ 900)", "quantile_over_time(0, mem_bytes[2m] @ 900)"},
  };
  for (const auto& [a, b] : pairs) {
    SCOPED_TRACE(a);
    auto ra = engine_.RangeQuery(db_, a, kStart, kEnd, kStep, opts_);
    auto rb = engine_.RangeQuery(db_, b, kStart, kEnd, kStep, opts_);
    ASSERT_TRUE(ra.ok() && rb.ok());
    Points pa, pb;
    for (const Series& s : std::get<Matrix>(ra->value)) {
      for (const FPoint& p : s.floats) pa[s.metric.ToString()][p.t] = Bits(p.f);
    }
    for (const Series& s : std::get<Matrix>(rb->value)) {
      for (const FPoint& p : s.floats) pb[s.metric.ToString()][p.t] = Bits(p.f);
    }
    EXPECT_FALSE(pa.empty());
    EXPECT_EQ(pa, pb);
  }
}

// sum/avg_over_time take prefix sums when every value is an integer (exact partial sums):
// the results must be exactly the window's sum / count, computed here naively.
TEST(ExactSumsTest, IntegerWindowsMatchNaiveSums) {
  storage::MemStorage db;
  std::mt19937_64 rng(3);
  std::map<int, std::vector<std::pair<int64_t, double>>> data;
  auto app = db.MakeAppender();
  for (int i = 0; i < 40; ++i) {
    Labels l{{"__name__", "g"}, {"i", std::to_string(i)}};
    for (int64_t t = 0; t <= 1'200'000; t += 15'000) {
      if (rng() % 9 == 0) continue;
      // Integers (negative too); series 0 mixes in a fraction, series 1 huge values: both
      // must take the scan and still agree.
      double v = static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000);
      if (i == 0 && t == 600'000) v += 0.5;
      if (i == 1) v *= 1e13;
      data[i].push_back({t, v});
      ASSERT_TRUE(app->Append(0, l, t, v).ok());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
  Engine engine;
  QueryOptions opts;
  for (const char* fn : {"sum_over_time", "avg_over_time"}) {
    auto r = engine.RangeQuery(db, std::string(fn) + "(g[2m])", 300'000, 1'200'000, 30'000, opts);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const Series& s : std::get<Matrix>(r->value)) {
      const auto& pts = data[std::stoi(std::string(s.metric.Get("i")))];
      for (const FPoint& p : s.floats) {
        double sum = 0, c = 0;
        int n = 0;
        for (const auto& [t, v] : pts) {
          if (t > p.t - 120'000 && t <= p.t) {
            KahanSumInc(v, &sum, &c);
            ++n;
          }
        }
        double want = std::string(fn) == "sum_over_time" ? sum + c : sum / n + c / n;
        ASSERT_EQ(Bits(p.f), Bits(want)) << fn << " " << s.metric.ToString() << " at " << p.t;
      }
    }
  }
}

TEST_F(RangeConsistencyTest, MatchingErrorsAreTheSameOverRanges) {
  // Several right-hand series per signature: many-to-many is an error, range or instant.
  for (const char* q : {"mem_bytes / on (env) mem_total", "mem_bytes / on (env) req_total"}) {
    SCOPED_TRACE(q);
    auto range = engine_.RangeQuery(db_, q, kStart, kEnd, kStep, opts_);
    auto inst = engine_.InstantQuery(db_, q, kStart, opts_);
    ASSERT_FALSE(range.ok());
    ASSERT_FALSE(inst.ok());
    EXPECT_EQ(range.status().message(), inst.status().message());
  }
  // Several left-hand series for one right-hand series without group_left.
  auto r = engine_.RangeQuery(db_, "mem_bytes / on (env) group_left sum by (env) (mem_total)",
                              kStart, kEnd, kStep, opts_);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  auto many = engine_.RangeQuery(db_, "mem_bytes / on (env) sum by (env) (mem_total)", kStart,
                                 kEnd, kStep, opts_);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.status().message().find("many-to-one matching must be explicit"),
            std::string::npos);
}

// Selections larger than one select batch (kSelectBatch series) are read batch by batch:
// every series comes back once, with its own labels and values, in label order.
TEST(SelectBatchesTest, LargeSelectionsKeepEverySeries) {
  storage::MemStorage db;
  const int n = 2 * 4096 + 123;
  auto app = db.MakeAppender();
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    Labels l{{"__name__", "x_total"}, {"id", id}};
    for (int k = 0; k <= 8; ++k) ASSERT_TRUE(app->Append(0, l, k * 15'000, i + k * 1.0).ok());
  }
  ASSERT_TRUE(app->Commit().ok());
  Engine engine;
  QueryOptions opts;
  auto inst = engine.InstantQuery(db, "x_total", 120'000, opts);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  const Vector& v = std::get<Vector>(inst->value);
  ASSERT_EQ(v.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    ASSERT_EQ(v[i].metric.Get("id"), id);
    ASSERT_EQ(v[i].f, i + 8.0);
  }
  auto range = engine.RangeQuery(db, "rate(x_total[1m])", 60'000, 120'000, 30'000, opts);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  const Matrix& m = std::get<Matrix>(range->value);
  ASSERT_EQ(m.size(), static_cast<size_t>(n));
  for (const Series& s : m) {
    ASSERT_EQ(s.floats.size(), 3u);
    for (const FPoint& p : s.floats) EXPECT_DOUBLE_EQ(p.f, 1.0 / 15);
  }
}

}  // namespace
}  // namespace abhra::promql
