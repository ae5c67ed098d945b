// Benchmarks of typical dashboard queries over an in-memory storage:
// 1000 series (10 jobs x 100 instances), one sample every 15 s over 6 hours.
#include <benchmark/benchmark.h>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/storage/mem_storage.h"

namespace abhra::promql {
namespace {

constexpr int64_t kHour = 3600 * 1000;

storage::MemStorage& Db() {
  static storage::MemStorage* db = [] {
    auto* d = new storage::MemStorage();
    auto app = d->MakeAppender();
    for (int j = 0; j < 10; ++j) {
      for (int i = 0; i < 100; ++i) {
        Labels l{{"__name__", "http_requests_total"},
                 {"job", "job" + std::to_string(j)},
                 {"instance", "inst" + std::to_string(i)}};
        double v = 0;
        for (int64_t t = 0; t <= 6 * kHour; t += 15000) {
          v += (i % 7) + 1;
          (void)app->Append(0, l, t, v);
        }
      }
    }
    (void)app->Commit();
    return d;
  }();
  return *db;
}

void RunRange(benchmark::State& state, const char* query) {
  Engine engine;
  QueryOptions opts;
  auto& db = Db();
  for (auto _ : state) {
    auto r = engine.RangeQuery(db, query, 1 * kHour, 6 * kHour, 60000, opts);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    benchmark::DoNotOptimize(r);
  }
}

void BM_SumRate(benchmark::State& s) { RunRange(s, "sum by (job) (rate(http_requests_total[5m]))"); }
void BM_Selector(benchmark::State& s) { RunRange(s, "http_requests_total{job=\"job1\"}"); }
void BM_Binop(benchmark::State& s) {
  RunRange(s, "rate(http_requests_total[5m]) / on(job, instance) http_requests_total");
}
void BM_Quantile(benchmark::State& s) {
  RunRange(s, "quantile_over_time(0.9, http_requests_total{job=\"job2\"}[10m])");
}
BENCHMARK(BM_SumRate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Selector)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Binop)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Quantile)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace abhra::promql

BENCHMARK_MAIN();
