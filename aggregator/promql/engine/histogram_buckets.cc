#include "aggregator/promql/engine/histogram_buckets.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace abhra::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();


void SortAndCoalesce(std::vector<Bucket>* b) {
  std::sort(b->begin(), b->end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  std::vector<Bucket> out;
  for (const Bucket& x : *b) {
    if (!out.empty() && out.back().upper == x.upper) {
      out.back().count += x.count;
    } else {
      out.push_back(x);
    }
  }
  *b = std::move(out);
}

bool AlmostEqual(double a, double b, double eps) {
  if (a == b) return true;
  double absSum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  constexpr double kMinNormal = 2.2250738585072014e-308;
  if (a == 0 || b == 0 || absSum < kMinNormal) return diff < eps * kMinNormal;
  return diff / std::min(absSum, std::numeric_limits<double>::max()) < eps;
}

}  // namespace

double BucketQuantile(double q, std::vector<Bucket> buckets, bool* forced_monotonic) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(buckets.begin(), buckets.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (buckets.empty() || !std::isinf(buckets.back().upper) || buckets.back().upper < 0) return kNaN;
  SortAndCoalesce(&buckets);
  double prev = buckets[0].count;
  for (size_t i = 1; i < buckets.size(); ++i) {
    double curr = buckets[i].count;
    if (curr == prev) continue;
    if (AlmostEqual(prev, curr, 1e-12)) {
      buckets[i].count = prev;
      continue;
    }
    if (curr < prev) {
      buckets[i].count = prev;
      *forced_monotonic = true;
      continue;
    }
    prev = curr;
  }
  if (buckets.size() < 2) return kNaN;
  double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t b = 0;
  while (b < buckets.size() - 1 && buckets[b].count < rank) ++b;
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper;
  if (b == 0 && buckets[0].upper <= 0) return buckets[0].upper;
  double start = 0, end = buckets[b].upper, count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

double BucketFraction(double lower, double upper, std::vector<Bucket> buckets) {
  std::sort(buckets.begin(), buckets.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (buckets.empty() || !std::isinf(buckets.back().upper) || buckets.back().upper < 0) return kNaN;
  SortAndCoalesce(&buckets);
  double count = buckets.back().count;
  if (count == 0 || std::isnan(lower) || std::isnan(upper)) return kNaN;
  if (lower >= upper) return 0;
  double rank = 0, lower_rank = 0, upper_rank = 0;
  bool lower_set = false, upper_set = false;
  for (size_t i = 0; i < buckets.size(); ++i) {
    const Bucket& b = buckets[i];
    double lb = -kInf;
    if (i > 0) {
      lb = buckets[i - 1].upper;
    } else if (b.upper > 0) {
      lb = 0;
    }
    double ub = b.upper;
    auto interp = [&](double v) { return rank + (b.count - rank) * (v - lb) / (ub - lb); };
    if (!lower_set && lb >= lower) {
      lower_rank = rank;
      lower_set = true;
    }
    if (!upper_set && lb >= upper) {
      upper_rank = rank;
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    // No interpolation in a bucket of infinite width: its observations are taken to sit at
    // its finite boundary.
    auto rank_at = [&](double v) {
      if (std::isinf(lb)) return b.count;
      if (std::isinf(ub)) return rank;
      return interp(v);
    };
    if (!lower_set && lb < lower && ub > lower) {
      lower_rank = rank_at(lower);
      lower_set = true;
    }
    if (!upper_set && lb < upper && ub > upper) {
      upper_rank = rank_at(upper);
      upper_set = true;
    }
    if (lower_set && upper_set) break;
    rank = b.count;
  }
  if (!lower_set || lower_rank > count) lower_rank = count;
  if (!upper_set || upper_rank > count) upper_rank = count;
  return (upper_rank - lower_rank) / count;
}


Vector HistogramOverBuckets(Evaluator& ev, const Vector& in, const std::string& fname,
                            const Expr& arg,
                            const std::function<double(std::vector<Bucket>, bool*)>& compute) {
  struct Group {
    Labels metric;
    std::vector<Bucket> buckets;
  };
  std::vector<Group> groups;
  std::unordered_map<uint64_t, size_t> index;
  static const std::vector<std::string> kLe = {"le"};
  for (const Sample& s : in) {
    std::string_view le = s.metric.Get("le");
    char* end = nullptr;
    std::string les(le);
    double upper = les.empty() ? kNaN : std::strtod(les.c_str(), &end);
    bool ok = !les.empty() && end && *end == '\0';
    if (les == "+Inf" || les == "Inf" || les == "+inf" || les == "inf") {
      upper = kInf;
      ok = true;
    }
    if (!ok || std::isnan(upper)) {
      ev.annos().Warn(fmt::format(
          "bucket label \"le\" is missing or has a malformed value of \"{}\" for metric name "
          "\"{}\"",
          le, s.metric.MetricName()) + ev.PosSuffix(arg));
      continue;
    }
    // Grouped with __name__ kept (it is dropped later), so different histograms stay apart.
    std::vector<Label> kept;
    for (const Label& l : s.metric) {
      if (l.name != "le") kept.push_back(l);
    }
    Labels key = Labels::FromSorted(std::move(kept));
    uint64_t h = key.Hash();
    auto it = index.find(h);
    if (it == index.end()) {
      index.emplace(h, groups.size());
      groups.push_back(Group{std::move(key), {}});
      it = index.find(h);
    }
    groups[it->second].buckets.push_back(Bucket{upper, s.f});
  }
  Vector out;
  for (Group& g : groups) {
    bool forced = false;
    double v = compute(std::move(g.buckets), &forced);
    if (forced) {
      ev.annos().Info(fmt::format(
          "input to {} needed to be fixed for monotonicity (see "
          "https://prometheus.io/docs/prometheus/latest/querying/functions/#{}) for metric name "
          "\"{}\"",
          fname, fname, g.metric.MetricName()) + ev.PosSuffix(arg));
    }
    out.push_back(Sample{std::move(g.metric), 0, v, true});
  }
  return out;
}

// Float formatting of OpenMetrics label values: "1.0", "0.25", "NaN", "+Inf".
std::string OpenMetricsFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace abhra::promql
