// abhra-query-30d-bench DATA_DIR: a Grafana-style 30-day panel through the PromQL engine, on
// raw data and on 1h-downsampled data, in one run.
//
//   build/bin/abhra-db-bench 30d /tmp/abhra-30d     # writes 30 days of raw + 5m + 1h blocks
//   build/bin/abhra-query-30d-bench /tmp/abhra-30d
//
// The same queries run twice over the same DB: once with the engine's hints (function and
// range: the DB answers from the coarsest resolution that keeps enough points per window),
// once through an adapter that drops those hints, so every sample is read raw. Prints the
// best of 3 per query and path, the speedup, and the largest relative difference between the
// two results.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/tsdb/db/db.h"

using namespace abhra;

namespace {

// Forwards to a Queryable with the function/range hints removed: storage must read raw.
class RawOnly final : public storage::Queryable {
 public:
  explicit RawOnly(storage::Queryable& q) : q_(q) {}
  Result<std::unique_ptr<storage::Querier>> MakeQuerier(int64_t mint, int64_t maxt) override {
    auto q = q_.MakeQuerier(mint, maxt);
    if (!q.ok()) return q.status();
    return std::unique_ptr<storage::Querier>(new Querier(std::move(*q)));
  }

 private:
  class Querier final : public storage::Querier {
   public:
    explicit Querier(std::unique_ptr<storage::Querier> q) : q_(std::move(q)) {}
    std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                               const std::vector<Matcher>& m) override {
      storage::SelectHints raw = hints;
      raw.func.clear();
      raw.range = 0;
      raw.step = 0;
      return q_->Select(sorted, raw, m);
    }
    Result<std::vector<std::string>> LabelValues(const std::string& n,
                                                 const std::vector<Matcher>& m) override {
      return q_->LabelValues(n, m);
    }
    Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& m) override {
      return q_->LabelNames(m);
    }

   private:
    std::unique_ptr<storage::Querier> q_;
  };
  storage::Queryable& q_;
};

// Series labels → step → value.
using Values = std::map<std::string, std::map<int64_t, double>>;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: %s DATA_DIR  (DATA_DIR written by `abhra-db-bench 30d DATA_DIR`)\n",
                 argv[0]);
    return 2;
  }
  tsdb::DBOptions o;
  o.background_interval_ms = 0;
  auto db = tsdb::DB::Open(argv[1], o);
  if (!db.ok()) {
    std::fprintf(stderr, "open %s: %s\n", argv[1], db.status().ToString().c_str());
    return 1;
  }
  constexpr int64_t kH = 3600 * 1000, kDay = 24 * kH;
  const int64_t start = 6 * kH, end = 30 * kDay, step = 6 * kH;
  RawOnly raw(**db);
  promql::Engine engine;
  promql::QueryOptions opts;
  const char* queries[] = {
      "sum(rate(http_requests_total[6h]))",
      "max by (instance) (increase(http_requests_total[6h]))",
      "avg(max_over_time(http_requests_total[6h]))",
  };
  std::printf("%-56s %10s %10s %8s %12s\n", "query (30 days, step 6h)", "raw ms", "1h ms",
              "speedup", "max rel diff");
  for (const char* q : queries) {
    auto run = [&](storage::Queryable& src, Values* out) {
      double best = 1e9;
      for (int rep = 0; rep < 3; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = engine.RangeQuery(src, q, start, end, step, opts);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!r.ok()) {
          std::fprintf(stderr, "%s: %s\n", q, r.status().ToString().c_str());
          std::exit(1);
        }
        best = std::min(best, ms);
        out->clear();
        for (const auto& s : std::get<promql::Matrix>(r->value)) {
          for (const auto& p : s.floats) (*out)[s.metric.ToString()][p.t] = p.f;
        }
      }
      return best;
    };
    Values vr, vd;
    double tr = run(raw, &vr), td = run(**db, &vd);
    double diff = 0;
    size_t missing = 0;
    for (const auto& [series, pts] : vr) {
      for (const auto& [t, v] : pts) {
        auto s = vd.find(series);
        if (s == vd.end() || !s->second.count(t)) {
          ++missing;
          continue;
        }
        double d = s->second.at(t);
        if (v != 0) diff = std::max(diff, std::abs(d - v) / std::abs(v));
      }
    }
    std::printf("%-56s %10.2f %10.2f %7.1fx %12.2e%s\n", q, tr, td, tr / td, diff,
                missing ? " (points missing on 1h!)" : "");
  }
  return 0;
}
