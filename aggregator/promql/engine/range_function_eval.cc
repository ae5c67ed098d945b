// Functions over range vectors: a sliding window per series and step over samples loaded
// once (or over a subquery's points).
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <set>
#include <span>

#include "aggregator/promql/engine/evaluator.h"
#include "common/base/parallel.h"

namespace abhra::promql {

Matrix Evaluator::EvalRangeFunction(const Expr& call, size_t mi) {
  // Scalar arguments, one value per step.
  std::vector<Matrix> scalar_args(call.args.size());
  for (size_t i = 0; i < call.args.size(); ++i) {
    if (i == mi || call.args[i]->Type() != ValueType::kScalar) continue;
    scalar_args[i] = std::get<Matrix>(Eval(*call.args[i]));
  }
  const Expr& arg = Unparen(*call.args[mi]);
  const std::string& fname = call.str;
  const bool drop_name = fname != "last_over_time" && fname != "first_over_time";
  const bool absent_over_time = fname == "absent_over_time";
  const bool rate_like = fname == "rate" || fname == "increase" || fname == "delta";
  const bool counter_fn = fname == "rate" || fname == "increase";
  const RangeFn fn_id = RangeFnOf(fname);
  // (anchored/smoothed are only allowed with rate-like functions and changes/resets.)
  const bool min_max = fn_id == RangeFn::kMaxOverTime || fn_id == RangeFn::kMinOverTime;
  const bool sum_avg = fn_id == RangeFn::kSumOverTime || fn_id == RangeFn::kAvgOverTime;
  const int64_t lookback = ctx_.opts->lookback_delta_ms;
  int64_t range = 0;
  const Expr* at_src = nullptr;
  bool anchored = false, smoothed = false;

  // One series' steps: a sliding window over its points. Thread-safe (parallel workers).
  auto compute = [&](const Labels& metric, std::span<const FPoint> pts, Series* s) {
    size_t lo = 0, hi = 0;
    int step = 0;
    std::vector<FPoint> extended;
    // Counter resets before each point (prefix counts): windows without one skip the scan.
    thread_local std::vector<uint32_t> resets;
    resets.clear();
    if (counter_fn && !anchored && !smoothed) {
      resets.resize(pts.size());
      uint32_t n = 0;
      for (size_t i = 0; i < pts.size(); ++i) {
        if (i > 0 && pts[i].f < pts[i - 1].f) ++n;
        resets[i] = n;
      }
    }
    // sum_over_time/avg_over_time over integer values whose magnitudes sum below 2^53: every
    // partial sum is exact, so Prometheus' Kahan sum equals a difference of prefix sums (the
    // compensation stays 0) and each window costs O(1). Other data takes the scan.
    thread_local std::vector<double> prefix;
    bool exact_sums = false;
    if (sum_avg && !anchored && !smoothed) {
      exact_sums = true;
      double magnitude = 0;
      for (const FPoint& p : pts) {
        if (p.f != std::trunc(p.f) || (p.f == 0 && std::signbit(p.f))) {
          exact_sums = false;
          break;
        }
        magnitude += std::fabs(p.f);
      }
      exact_sums = exact_sums && magnitude <= 9007199254740992.0;  // 2^53
      if (exact_sums) {
        prefix.resize(pts.size() + 1);
        prefix[0] = 0;
        for (size_t i = 0; i < pts.size(); ++i) prefix[i + 1] = prefix[i] + pts[i].f;
      }
    }
    // max_over_time/min_over_time: a monotonic deque of point indices over the sliding
    // window (amortised O(1) per step instead of a scan). Non-NaN values only; among equal
    // values the earliest stays in front, as Prometheus keeps the first of equal maxima.
    thread_local std::deque<size_t> extreme;
    extreme.clear();
    size_t pushed = 0;
    std::vector<double> sargs(call.args.size(), 0);
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
      if (exact_sums) {
        const double sum = prefix[hi] - prefix[lo];
        s->floats.push_back(
            {ts, fn_id == RangeFn::kAvgOverTime ? sum / static_cast<double>(hi - lo) : sum});
        continue;
      }
      if (min_max) {
        for (; pushed < hi; ++pushed) {
          const double f = pts[pushed].f;
          if (std::isnan(f)) continue;
          while (!extreme.empty() && (fn_id == RangeFn::kMaxOverTime ? f > pts[extreme.back()].f
                                                                     : f < pts[extreme.back()].f)) {
            extreme.pop_back();
          }
          extreme.push_back(pushed);
        }
        while (!extreme.empty() && extreme.front() < lo) extreme.pop_front();
        s->floats.push_back({ts, extreme.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                 : pts[extreme.front()].f});
        continue;
      }
      std::span<const FPoint> window(pts.data() + lo, hi - lo);
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
      r.metric = &metric;
      r.no_resets = !resets.empty() && resets[hi - 1] == resets[lo];
      r.fn = fn_id;
      double v = 0;
      if (CallRangeFunction(*this, call, r, sargs, ts, &v)) s->floats.push_back({ts, v});
    }
  };

  Matrix out;
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
        ThrowExecution(
            "anchored modifier can only be used with: changes, delta, increase, "
            "rate, resets - not with " +
            call.str);
      }
      if (smoothed && !kSmoothed.count(call.str)) {
        ThrowExecution(
            "smoothed modifier can only be used with: delta, increase, rate - not "
            "with " +
            call.str);
      }
    }
    // Anchored/smoothed windows reach past the range: they need raw samples.
    const bool plain = !anchored && !smoothed;
    const int64_t mint = AtTime(vs, start_) - range + 1 - (anchored || smoothed ? lookback : 0);
    const int64_t maxt = AtTime(vs, end_) + (smoothed ? lookback : 0);
    out = MapSelectedSeries(vs, mint, maxt, plain ? call.str : "", plain ? range : 0,
                            /*drop_stale=*/true,
                            [&](const Labels& metric, std::span<const FPoint> pts, Series* s) {
                              s->drop_name = drop_name;
                              compute(metric, pts, s);
                            });
  } else {
    int64_t offset = 0;
    Matrix m = EvalSubqueryPoints(arg, &range, &offset, &at_src);
    for (Series& in : m) {
      CheckDeadline();
      Series s;
      s.drop_name = drop_name || in.drop_name;
      compute(in.metric, in.floats, &s);
      ReleaseSamples(static_cast<int64_t>(in.floats.size()));
      if (s.floats.empty()) continue;
      AddSamples(static_cast<int64_t>(s.floats.size()));
      s.metric = std::move(in.metric);
      out.push_back(std::move(s));
    }
  }
  if ((fname == "rate" || fname == "increase") && !absent_over_time) {
    for (const Series& s : out) {
      std::string_view mn = s.metric.MetricName();
      auto ends = [&](std::string_view suf) {
        return mn.size() >= suf.size() && mn.substr(mn.size() - suf.size()) == suf;
      };
      if (!mn.empty() && !ends("_total") && !ends("_sum") && !ends("_count") && !ends("_bucket")) {
        annos().Info(fmt::format("metric might not be a counter, name does not end in "
                                 "_total/_sum/_count/_bucket: \"{}\"",
                                 mn) +
                     PosSuffix(*call.args[mi]));
      }
    }
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
