// Functions over range vectors: a sliding window per series and step over samples loaded
// once (or over a subquery's points).
#include <algorithm>
#include <set>
#include <span>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {

Matrix Evaluator::EvalRangeFunction(const Expr& call, size_t mi) {
  // Scalar arguments, one value per step.
  std::vector<Matrix> scalar_args(call.args.size());
  for (size_t i = 0; i < call.args.size(); ++i) {
    if (i == mi || call.args[i]->Type() != ValueType::kScalar) continue;
    scalar_args[i] = std::get<Matrix>(Eval(*call.args[i]));
  }
  const Expr& arg = Unparen(*call.args[mi]);
  int64_t range = 0;
  const Expr* at_src = nullptr;
  std::vector<LoadedSeries> series;
  bool anchored = false, smoothed = false;
  const int64_t lookback = ctx_.opts->lookback_delta_ms;
  if (arg.kind == Expr::Kind::kMatrixSelector) {
    const Expr& vs = *arg.args[0];
    range = arg.range_ms;
    at_src = &vs;
    anchored = vs.anchored;
    smoothed = vs.smoothed;
    if (anchored || smoothed) {
      static const std::set<std::string> kAnchored = {"changes", "delta", "increase", "rate",
                                                     "resets"};
      static const std::set<std::string> kSmoothed = {"delta", "increase", "rate"};
      if (anchored && !kAnchored.count(call.str)) {
        ThrowExecution("anchored modifier can only be used with: changes, delta, increase, "
                       "rate, resets - not with " + call.str);
      }
      if (smoothed && !kSmoothed.count(call.str)) {
        ThrowExecution("smoothed modifier can only be used with: delta, increase, rate - not "
                       "with " + call.str);
      }
    }
    // Anchored/smoothed windows reach past the range: they need raw samples.
    const bool plain = !anchored && !smoothed;
    series = Select(vs, AtTime(vs, start_) - range + 1 - (anchored || smoothed ? lookback : 0),
                    AtTime(vs, end_) + (smoothed ? lookback : 0), plain ? call.str : "",
                    plain ? range : 0);
    for (LoadedSeries& ls : series) {
      std::erase_if(ls.points, [](const FPoint& p) { return storage::IsStaleNaN(p.f); });
    }
  } else {
    int64_t offset = 0;
    Matrix m = EvalSubqueryPoints(arg, &range, &offset, &at_src);
    for (Series& s : m) {
      LoadedSeries ls;
      ls.metric = std::move(s.metric);
      ls.drop_name = s.drop_name;
      ls.points = std::move(s.floats);
      series.push_back(std::move(ls));
    }
  }
  const std::string& fname = call.str;
  const bool drop_name = fname != "last_over_time" && fname != "first_over_time";
  const bool absent_over_time = fname == "absent_over_time";
  Matrix out;
  std::vector<double> sargs(call.args.size(), 0);
  for (LoadedSeries& ls : series) {
    CheckDeadline();
    Series s;
    s.drop_name = drop_name || ls.drop_name;
    const auto& pts = ls.points;
    size_t lo = 0, hi = 0;
    int step = 0;
    std::vector<FPoint> extended;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
      int64_t ref = AtTime(*at_src, ts);
      int64_t from = ref - range;
      // Window (from, ref], widened by the lookback delta for anchored/smoothed selectors;
      // ref never decreases from step to step.
      int64_t lo_t = from - (anchored || smoothed ? lookback : 0);
      int64_t hi_t = ref + (smoothed ? lookback : 0);
      while (lo < pts.size() && pts[lo].t <= lo_t) ++lo;
      if (hi < lo) hi = lo;
      while (hi < pts.size() && pts[hi].t <= hi_t) ++hi;
      if (hi <= lo) continue;
      std::span<const FPoint> window(pts.data() + lo, hi - lo);
      const bool rate_like = fname == "rate" || fname == "increase" || fname == "delta";
      if ((anchored || smoothed) && !rate_like) {
        extended = ExtendFloats(window, from, ref, smoothed);
        if (extended.empty()) continue;
        window = extended;
      }
      for (size_t i = 0; i < call.args.size(); ++i) {
        if (!scalar_args[i].empty() && step < static_cast<int>(scalar_args[i][0].floats.size())) {
          sargs[i] = scalar_args[i][0].floats[step].f;
        }
      }
      RangeArgs r;
      r.points = window;
      r.anchored = anchored;
      r.smoothed = smoothed;
      r.range_start = from;
      r.range_end = ref;
      r.range_ms = range;
      r.metric = &ls.metric;
      double v = 0;
      if (CallRangeFunction(*this, call, r, sargs, ts, &v)) s.floats.push_back({ts, v});
    }
    ReleaseSamples(static_cast<int64_t>(pts.size()));
    if (s.floats.empty()) continue;
    if ((fname == "rate" || fname == "increase") && !absent_over_time) {
      std::string_view mn = ls.metric.MetricName();
      auto ends = [&](std::string_view suf) {
        return mn.size() >= suf.size() && mn.substr(mn.size() - suf.size()) == suf;
      };
      if (!mn.empty() && !ends("_total") && !ends("_sum") && !ends("_count") &&
          !ends("_bucket")) {
        annos().Info(fmt::format(
                         "metric might not be a counter, name does not end in "
                         "_total/_sum/_count/_bucket: \"{}\"",
                         mn) +
                     PosSuffix(*call.args[mi]));
      }
    }
    AddSamples(static_cast<int64_t>(s.floats.size()));
    s.metric = std::move(ls.metric);
    out.push_back(std::move(s));
  }
  if (absent_over_time) {
    int steps = NumSteps();
    std::vector<bool> found(steps, false);
    for (const Series& s : out) {
      for (const FPoint& p : s.floats) found[(p.t - start_) / interval_] = true;
    }
    Series res;
    res.metric = AbsentLabels(arg);
    res.drop_name = true;
    for (int i = 0; i < steps; ++i) {
      if (!found[i]) res.floats.push_back({start_ + i * interval_, 1});
    }
    Matrix m;
    if (!res.floats.empty()) m.push_back(std::move(res));
    return m;
  }
  return out;
}

}  // namespace abhra::promql
