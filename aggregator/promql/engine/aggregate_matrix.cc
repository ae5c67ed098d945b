// sum/avg/count/min/max/group/stddev/stdvar over a whole range at once: each input series is
// assigned its group once, and its points are folded straight into per-group, per-step
// accumulators, instead of gathering a Vector per step (Aggregate in aggregation.cc). Values
// are folded in the same order as step-wise evaluation (input series order), so results are
// bit-identical to it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {
namespace {

struct Acc {
  double value = 0, kahan = 0, mean = 0, count = 0;
  bool incremental_mean = false;
};

void Fold(AggOp op, double f, Acc* g) {
  if (g->count == 0) {
    g->value = f;
    g->mean = f;
    g->count = 1;
    if (op == AggOp::kStddev || op == AggOp::kStdvar) {
      g->value = std::isnan(f) || std::isinf(f) ? std::nan("") : 0;
    } else if (op == AggOp::kGroup) {
      g->value = 1;
    }
    return;
  }
  switch (op) {
    case AggOp::kSum:
      KahanSumInc(f, &g->value, &g->kahan);
      break;
    case AggOp::kAvg: {
      g->count++;
      if (!g->incremental_mean) {
        double nv = g->value, nc = g->kahan;
        KahanSumInc(f, &nv, &nc);
        if (!std::isinf(nv)) {
          g->value = nv;
          g->kahan = nc;
          break;
        }
        g->incremental_mean = true;
        g->mean = g->value / (g->count - 1);
        g->kahan /= g->count - 1;
      }
      if (std::isinf(g->mean)) {
        if (std::isinf(f) && (g->mean > 0) == (f > 0)) break;
        if (!std::isinf(f) && !std::isnan(f)) break;
      }
      double q = (g->count - 1) / g->count;
      double m = q * g->mean, c = q * g->kahan;
      KahanSumInc(f / g->count, &m, &c);
      g->mean = m;
      g->kahan = c;
      break;
    }
    case AggOp::kMax:
      if (g->value < f || std::isnan(g->value)) g->value = f;
      break;
    case AggOp::kMin:
      if (g->value > f || std::isnan(g->value)) g->value = f;
      break;
    case AggOp::kCount:
      g->count++;
      break;
    case AggOp::kStddev:
    case AggOp::kStdvar: {
      g->count++;
      double delta = f - g->mean;
      g->mean += delta / g->count;
      g->value += delta * (f - g->mean);
      break;
    }
    default:
      break;
  }
}

double Result(AggOp op, const Acc& g) {
  switch (op) {
    case AggOp::kSum: return g.value + g.kahan;
    case AggOp::kAvg:
      return g.incremental_mean ? g.mean + g.kahan : (g.value + g.kahan) / g.count;
    case AggOp::kCount: return g.count;
    case AggOp::kStdvar: return g.value / g.count;
    case AggOp::kStddev: return std::sqrt(g.value / g.count);
    default: return g.value;
  }
}

}  // namespace

bool CanAggregateMatrix(const Expr& e) {
  switch (e.agg) {
    case AggOp::kSum: case AggOp::kAvg: case AggOp::kCount: case AggOp::kMin:
    case AggOp::kMax: case AggOp::kGroup: case AggOp::kStddev: case AggOp::kStdvar:
      break;
    default:
      return false;
  }
  // by (__name__) keeps the name: whether to drop it then depends on members per step.
  return e.without ||
         std::find(e.grouping.begin(), e.grouping.end(), kMetricName) == e.grouping.end();
}

Matrix AggregateMatrix(Evaluator& ev, const Expr& e, Matrix in) {
  std::vector<std::string> grouping = e.grouping;
  std::sort(grouping.begin(), grouping.end());
  std::vector<std::string> without_names = grouping;
  without_names.push_back(std::string(kMetricName));

  const int64_t start = ev.start(), interval = ev.interval();
  const size_t steps = static_cast<size_t>(ev.NumSteps());
  struct GroupState {
    Labels labels;
    std::vector<Acc> acc;  // per step
    size_t first_step = std::numeric_limits<size_t>::max();
    size_t first_series = 0;  // at first_step: step-wise evaluation's output order
  };
  std::vector<GroupState> groups;
  std::unordered_map<uint64_t, size_t> index;
  for (size_t si = 0; si < in.size(); ++si) {
    const Series& s = in[si];
    if (s.floats.empty()) continue;
    uint64_t h = e.without ? s.metric.HashWithoutLabels(without_names)
                           : s.metric.HashForLabels(grouping);
    auto [it, added] = index.emplace(h, groups.size());
    if (added) {
      GroupState g;
      g.labels = e.without ? s.metric.Without(without_names) : s.metric.Keep(grouping);
      g.acc.resize(steps);
      groups.push_back(std::move(g));
    }
    GroupState& g = groups[it->second];
    size_t step0 = static_cast<size_t>((s.floats.front().t - start) / interval);
    if (step0 < g.first_step) {
      g.first_step = step0;
      g.first_series = si;
    }
    for (const FPoint& p : s.floats) {
      Fold(e.agg, p.f, &g.acc[static_cast<size_t>((p.t - start) / interval)]);
    }
  }
  ev.ReleaseSamples(CountPoints(in));
  in.clear();
  std::sort(groups.begin(), groups.end(), [](const GroupState& a, const GroupState& b) {
    return a.first_step != b.first_step ? a.first_step < b.first_step
                                        : a.first_series < b.first_series;
  });
  Matrix out;
  out.reserve(groups.size());
  for (GroupState& g : groups) {
    Series s;
    s.metric = std::move(g.labels);
    for (size_t k = 0; k < steps; ++k) {
      if (g.acc[k].count == 0) continue;
      s.floats.push_back({start + static_cast<int64_t>(k) * interval, Result(e.agg, g.acc[k])});
    }
    ev.AddSamples(static_cast<int64_t>(s.floats.size()));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace abhra::promql
