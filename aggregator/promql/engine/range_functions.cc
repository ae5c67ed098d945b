// Functions over range windows (rate, *_over_time, deriv, ...), one window at a time.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

RangeFn RangeFnOf(std::string_view name) {
  static const std::unordered_map<std::string_view, RangeFn> kByName = {
      {"absent_over_time", RangeFn::kAbsentOverTime},
      {"avg_over_time", RangeFn::kAvgOverTime},
      {"changes", RangeFn::kChanges},
      {"count_over_time", RangeFn::kCountOverTime},
      {"delta", RangeFn::kDelta},
      {"deriv", RangeFn::kDeriv},
      {"double_exponential_smoothing", RangeFn::kDoubleExponentialSmoothing},
      {"first_over_time", RangeFn::kFirstOverTime},
      {"holt_winters", RangeFn::kHoltWinters},
      {"idelta", RangeFn::kIdelta},
      {"increase", RangeFn::kIncrease},
      {"irate", RangeFn::kIrate},
      {"last_over_time", RangeFn::kLastOverTime},
      {"mad_over_time", RangeFn::kMadOverTime},
      {"max_over_time", RangeFn::kMaxOverTime},
      {"min_over_time", RangeFn::kMinOverTime},
      {"predict_linear", RangeFn::kPredictLinear},
      {"present_over_time", RangeFn::kPresentOverTime},
      {"quantile_over_time", RangeFn::kQuantileOverTime},
      {"rate", RangeFn::kRate},
      {"resets", RangeFn::kResets},
      {"stddev_over_time", RangeFn::kStddevOverTime},
      {"stdvar_over_time", RangeFn::kStdvarOverTime},
      {"sum_over_time", RangeFn::kSumOverTime},
      {"ts_of_first_over_time", RangeFn::kTsOfFirstOverTime},
      {"ts_of_last_over_time", RangeFn::kTsOfLastOverTime},
      {"ts_of_max_over_time", RangeFn::kTsOfMaxOverTime},
      {"ts_of_min_over_time", RangeFn::kTsOfMinOverTime},
  };
  auto it = kByName.find(name);
  return it == kByName.end() ? RangeFn::kUnknown : it->second;
}

bool CallRangeFunction(Evaluator& ev, const Expr& call, const RangeArgs& r,
                       const std::vector<double>& sargs, int64_t ts, double* out) {
  const RangeFn n = r.fn != RangeFn::kUnknown ? r.fn : RangeFnOf(call.str);
  auto pts = r.points;
  const size_t cnt = pts.size();
  if ((n == RangeFn::kRate || n == RangeFn::kIncrease || n == RangeFn::kDelta) && (r.anchored || r.smoothed)) {
    // Prometheus' extendedRate over the window widened by the lookback delta.
    const bool is_counter = n != RangeFn::kDelta;
    const bool smoothed = r.smoothed;
    if (cnt == 0) return false;
    size_t last = cnt - 1;
    size_t first = 0;
    {
      size_t i = 0, j = last;
      while (i < j) {
        size_t h = (i + j) / 2;
        if (!(pts[h].t > r.range_start)) i = h + 1; else j = h;
      }
      first = i > 0 ? i - 1 : 0;
    }
    if (smoothed) {
      size_t i = 0, j = last;
      while (i < j) {
        size_t h = (i + j) / 2;
        if (!(pts[h].t >= r.range_end)) i = h + 1; else j = h;
      }
      last = i;
    }
    if (pts[last].t <= r.range_start) return false;
    if (pts[first].t > r.range_end) return false;  // only data after the range
    auto interp = [&](const FPoint& p1, const FPoint& p2, int64_t t, bool left_edge) {
      double y1 = p1.f, y2 = p2.f;
      // A counter reset between the two samples: the counter restarted from 0.
      if (is_counter && y2 < y1) y1 = 0;
      (void)left_edge;
      return y1 + (y2 - y1) * static_cast<double>(t - p1.t) / static_cast<double>(p2.t - p1.t);
    };
    double left = (smoothed && pts[first].t < r.range_start && first + 1 < cnt)
                      ? interp(pts[first], pts[first + 1], r.range_start, true)
                      : pts[first].f;
    double right = (smoothed && last > 0 && pts[last].t > r.range_end)
                       ? interp(pts[last - 1], pts[last], r.range_end, false)
                       : pts[last].f;
    double result = right - left;
    if (is_counter) {
      int64_t lo = static_cast<int64_t>(first), hi = static_cast<int64_t>(last);
      if (pts[first].t <= r.range_start) ++lo;
      if (pts[last].t >= r.range_end) --hi;
      double correction = 0, prev = left;
      for (int64_t i = lo; i <= hi; ++i) {
        if (pts[i].f < prev) correction += prev;
        prev = pts[i].f;
      }
      if (right < prev) correction += prev;
      result += correction;
    }
    if (n == RangeFn::kRate) result /= static_cast<double>(r.range_ms) / 1000;
    *out = result;
    return true;
  }
  if (n == RangeFn::kRate || n == RangeFn::kIncrease || n == RangeFn::kDelta) {
    bool is_counter = n != RangeFn::kDelta;
    bool is_rate = n == RangeFn::kRate;
    if (cnt < 2) return false;
    double result = pts[cnt - 1].f - pts[0].f;
    if (is_counter && !r.no_resets) {
      double prev = pts[0].f;
      for (size_t i = 1; i < cnt; ++i) {
        if (pts[i].f < prev) result += prev;
        prev = pts[i].f;
      }
    }
    double to_start = static_cast<double>(pts[0].t - r.range_start) / 1000;
    double to_end = static_cast<double>(r.range_end - pts[cnt - 1].t) / 1000;
    double sampled = static_cast<double>(pts[cnt - 1].t - pts[0].t) / 1000;
    double avg = sampled / static_cast<double>(cnt - 1);
    double threshold = avg * 1.1;
    double extrapolate_to = sampled;
    if (to_start >= threshold) to_start = avg / 2;
    if (is_counter && result > 0 && pts[0].f >= 0) {
      double to_zero = sampled * (pts[0].f / result);
      if (to_zero < to_start) to_start = to_zero;
    }
    extrapolate_to += to_start;
    if (to_end >= threshold) to_end = avg / 2;
    extrapolate_to += to_end;
    double factor = extrapolate_to / sampled;
    if (is_rate) factor /= static_cast<double>(r.range_ms) / 1000;
    *out = result * factor;
    return true;
  }
  if (n == RangeFn::kIrate || n == RangeFn::kIdelta) {
    if (cnt < 2) return false;
    const FPoint& last = pts[cnt - 1];
    const FPoint& prev = pts[cnt - 2];
    int64_t interval = last.t - prev.t;
    if (interval == 0) return false;
    double v;
    if (n == RangeFn::kIrate && last.f < prev.f) {
      v = last.f;
    } else {
      v = last.f - prev.f;
    }
    if (n == RangeFn::kIrate) v /= static_cast<double>(interval) / 1000;
    *out = v;
    return true;
  }
  if (n == RangeFn::kChanges || n == RangeFn::kResets) {
    double c = 0;
    for (size_t i = 1; i < cnt; ++i) {
      double prev = pts[i - 1].f, cur = pts[i].f;
      if (n == RangeFn::kChanges) {
        if (!(cur == prev || (std::isnan(cur) && std::isnan(prev)))) c++;
      } else if (cur < prev) {
        c++;
      }
    }
    *out = c;
    return true;
  }
  if (n == RangeFn::kDeriv || n == RangeFn::kPredictLinear) {
    if (cnt < 2) return false;
    int64_t intercept_time = n == RangeFn::kDeriv ? pts[0].t : ts;
    double nn = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    double init_y = pts[0].f;
    bool const_y = true;
    for (size_t i = 0; i < cnt; ++i) {
      if (const_y && i > 0 && pts[i].f != init_y) const_y = false;
      nn += 1;
      double x = static_cast<double>(pts[i].t - intercept_time) / 1e3;
      KahanSumInc(x, &sx, &cx);
      KahanSumInc(pts[i].f, &sy, &cy);
      KahanSumInc(x * pts[i].f, &sxy, &cxy);
      KahanSumInc(x * x, &sx2, &cx2);
    }
    double slope, intercept;
    if (const_y) {
      if (std::isinf(init_y)) {
        slope = kNaN;
        intercept = kNaN;
      } else {
        slope = 0;
        intercept = init_y;
      }
    } else {
      sx += cx;
      sy += cy;
      sxy += cxy;
      sx2 += cx2;
      double cov = sxy - sx * sy / nn;
      double var = sx2 - sx * sx / nn;
      slope = cov / var;
      intercept = sy / nn - slope * sx / nn;
    }
    if (n == RangeFn::kDeriv) {
      *out = slope;
    } else {
      *out = slope * sargs[1] + intercept;
    }
    return true;
  }
  if (n == RangeFn::kDoubleExponentialSmoothing || n == RangeFn::kHoltWinters) {
    double sf = sargs[1], tf = sargs[2];
    if (sf <= 0 || sf >= 1) {
      ThrowExecution(fmt::format("invalid smoothing factor. Expected: 0 < sf < 1, got: {:f}", sf));
    }
    if (tf <= 0 || tf >= 1) {
      ThrowExecution(fmt::format("invalid trend factor. Expected: 0 < tf < 1, got: {:f}", tf));
    }
    if (cnt < 2) return false;
    double s0 = 0, s1 = pts[0].f, b = pts[1].f - pts[0].f;
    for (size_t i = 1; i < cnt; ++i) {
      double x = sf * pts[i].f;
      if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
      double y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    *out = s1;
    return true;
  }
  if (cnt == 0) return false;
  if (n == RangeFn::kSumOverTime) {
    double s = 0, c = 0;
    for (const FPoint& p : pts) KahanSumInc(p.f, &s, &c);
    *out = s + c;
    return true;
  }
  if (n == RangeFn::kAvgOverTime) {
    double sum = pts[0].f, count = 1, mean = 0, kc = 0;
    bool incremental = false;
    for (size_t i = 1; i < cnt; ++i) {
      double f = pts[i].f;
      count = static_cast<double>(i + 1);
      if (!incremental) {
        double ns = sum, nc = kc;
        KahanSumInc(f, &ns, &nc);
        if (!std::isinf(ns)) {
          sum = ns;
          kc = nc;
          continue;
        }
        incremental = true;
        mean = sum / (count - 1);
        kc /= count - 1;
      }
      if (std::isinf(mean)) {
        if (std::isinf(f) && (mean > 0) == (f > 0)) continue;
        if (!std::isinf(f) && !std::isnan(f)) continue;
      }
      double q = (count - 1) / count;
      double m = q * mean, c = q * kc;
      KahanSumInc(f / count, &m, &c);
      mean = m;
      kc = c;
    }
    *out = incremental ? mean + kc : sum / count + kc / count;
    return true;
  }
  if (n == RangeFn::kCountOverTime) {
    *out = static_cast<double>(cnt);
    return true;
  }
  if (n == RangeFn::kPresentOverTime || n == RangeFn::kAbsentOverTime) {
    *out = 1;
    return true;
  }
  if (n == RangeFn::kLastOverTime) {
    *out = pts[cnt - 1].f;
    return true;
  }
  if (n == RangeFn::kFirstOverTime) {
    *out = pts[0].f;
    return true;
  }
  if (n == RangeFn::kTsOfLastOverTime) {
    *out = static_cast<double>(pts[cnt - 1].t) / 1000;
    return true;
  }
  if (n == RangeFn::kTsOfFirstOverTime) {
    *out = static_cast<double>(pts[0].t) / 1000;
    return true;
  }
  if (n == RangeFn::kMaxOverTime || n == RangeFn::kMinOverTime || n == RangeFn::kTsOfMaxOverTime ||
      n == RangeFn::kTsOfMinOverTime) {
    bool is_max = n == RangeFn::kMaxOverTime || n == RangeFn::kTsOfMaxOverTime;
    const bool ts_of = n == RangeFn::kTsOfMaxOverTime || n == RangeFn::kTsOfMinOverTime;
    double best = pts[0].f;
    int64_t best_t = pts[0].t;
    for (size_t i = 1; i < cnt; ++i) {
      double f = pts[i].f;
      bool better = is_max ? (f > best || std::isnan(best)) : (f < best || std::isnan(best));
      if (better || (!std::isnan(f) && f == best && ts_of)) {
        if (better || f == best) {
          best = f;
          best_t = pts[i].t;
        }
      }
    }
    *out = ts_of ? static_cast<double>(best_t) / 1000 : best;
    return true;
  }
  if (n == RangeFn::kStddevOverTime || n == RangeFn::kStdvarOverTime) {
    double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
    for (const FPoint& p : pts) {
      count++;
      double delta = p.f - (mean + cmean);
      KahanSumInc(delta / count, &mean, &cmean);
      KahanSumInc(delta * (p.f - (mean + cmean)), &aux, &caux);
    }
    double var = (aux + caux) / count;
    *out = n == RangeFn::kStddevOverTime ? std::sqrt(var) : var;
    return true;
  }
  if (n == RangeFn::kQuantileOverTime) {
    double q = sargs[0];
    if (std::isnan(q) || q < 0 || q > 1) {
      ev.annos().Warn(fmt::format("quantile value should be between 0 and 1, got {}",
                                  GoFloatG(q)) + ev.PosSuffix(*call.args[0]));
    }
    std::vector<double> vals;
    for (const FPoint& p : pts) vals.push_back(p.f);
    *out = Quantile(q, std::move(vals));
    return true;
  }
  if (n == RangeFn::kMadOverTime) {
    std::vector<double> vals;
    for (const FPoint& p : pts) {
      if (std::isnan(p.f)) {
        *out = kNaN;
        return true;
      }
      vals.push_back(p.f);
    }
    double median = Quantile(0.5, vals);
    for (double& v : vals) v = std::fabs(v - median);
    *out = Quantile(0.5, std::move(vals));
    return true;
  }
  ThrowExecution("function \"" + call.str + "\" is not supported");
}

}  // namespace abhra::promql
