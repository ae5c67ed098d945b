// PromQL functions: those over instant vectors (per step) and those over range windows.
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <numbers>
#include <unordered_map>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Vector Simple(const Vector& in, double (*f)(double)) {
  Vector out;
  out.reserve(in.size());
  for (const Sample& s : in) out.push_back(Sample{s.metric, s.t, f(s.f), true});
  return out;
}

template <typename F>
Vector SimpleFn(const Vector& in, F f) {
  Vector out;
  out.reserve(in.size());
  for (const Sample& s : in) out.push_back(Sample{s.metric, s.t, f(s.f), true});
  return out;
}

// Natural ("human") string order: digit runs compare by numeric value.
int NaturalCompare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string_view na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size() ? -1 : 1;
      if (int c = na.compare(nb); c != 0) return c < 0 ? -1 : 1;
      i = i2;
      j = j2;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
    ++i;
    ++j;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

struct tm UtcOf(double seconds) {
  time_t t = static_cast<time_t>(std::floor(seconds));
  struct tm out;
  gmtime_r(&t, &out);
  return out;
}

int DaysInMonth(int year, int month /*0-based*/) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 1) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month];
}

// Go regexp.Expand-style template expansion ($1, ${1}, $name, ${name}, $$).
std::string ExpandTemplate(const std::string& tmpl, const RE2& re,
                           const std::vector<re2::StringPiece>& groups) {
  std::string out;
  const auto& named = re.NamedCapturingGroups();
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c != '$' || i + 1 >= tmpl.size()) {
      out += c;
      continue;
    }
    if (tmpl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (tmpl[j] == '{') {
      size_t close = tmpl.find('}', j);
      if (close == std::string::npos) {
        out += c;
        continue;
      }
      name = tmpl.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      while (j < tmpl.size() && (std::isalnum(static_cast<unsigned char>(tmpl[j])) || tmpl[j] == '_')) {
        name += tmpl[j++];
      }
    }
    if (name.empty()) {
      out += c;
      continue;
    }
    i = j - 1;
    bool numeric = std::all_of(name.begin(), name.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    int idx = -1;
    if (numeric) {
      if (name.size() < 9) idx = std::stoi(name);
    } else {
      auto it = named.find(name);
      if (it != named.end()) idx = it->second;
    }
    if (idx >= 0 && idx < static_cast<int>(groups.size()) && groups[idx].data() != nullptr) {
      out.append(groups[idx].data(), groups[idx].size());
    }
  }
  return out;
}

bool ValidLabelNameUtf8(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += len;
  }
  return true;
}

struct Bucket {
  double upper;
  double count;
};

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

double ArgScalar(const std::vector<Vector>& args, size_t i, double dflt) {
  if (i >= args.size() || args[i].empty()) return dflt;
  return args[i][0].f;
}

}  // namespace

bool IsAtModifierUnsafeFunction(std::string_view n) {
  return n == "days_in_month" || n == "day_of_month" || n == "day_of_week" ||
         n == "day_of_year" || n == "hour" || n == "minute" || n == "month" || n == "year" ||
         n == "predict_linear" || n == "time" || n == "timestamp" || n == "start" ||
         n == "end" || n == "range" || n == "step";
}

const std::string& StringArg(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == Expr::Kind::kParen) p = p->args[0].get();
  return p->str;
}

void CheckNoDuplicateLabelsets(const Vector& v) {
  std::unordered_map<uint64_t, int> seen;
  for (const Sample& s : v) {
    if (seen[s.metric.Hash()]++) {
      ThrowExecution("vector cannot contain metrics with the same labelset");
    }
  }
}

Vector CallInstantFunction(Evaluator& ev, const Expr& call, std::vector<Vector>& args,
                           int64_t ts) {
  const std::string& n = call.str;
  static const Vector kEmpty;
  const Vector& v0 = args.empty() ? kEmpty : args[0];
  if (n == "abs") return Simple(v0, [](double x) { return std::fabs(x); });
  if (n == "ceil") return Simple(v0, [](double x) { return std::ceil(x); });
  if (n == "floor") return Simple(v0, [](double x) { return std::floor(x); });
  if (n == "exp") return Simple(v0, [](double x) { return std::exp(x); });
  if (n == "sqrt") return Simple(v0, [](double x) { return std::sqrt(x); });
  if (n == "ln") return Simple(v0, [](double x) { return std::log(x); });
  if (n == "log2") return Simple(v0, [](double x) { return std::log2(x); });
  if (n == "log10") return Simple(v0, [](double x) { return std::log10(x); });
  if (n == "sin") return Simple(v0, [](double x) { return std::sin(x); });
  if (n == "cos") return Simple(v0, [](double x) { return std::cos(x); });
  if (n == "tan") return Simple(v0, [](double x) { return std::tan(x); });
  if (n == "asin") return Simple(v0, [](double x) { return std::asin(x); });
  if (n == "acos") return Simple(v0, [](double x) { return std::acos(x); });
  if (n == "atan") return Simple(v0, [](double x) { return std::atan(x); });
  if (n == "sinh") return Simple(v0, [](double x) { return std::sinh(x); });
  if (n == "cosh") return Simple(v0, [](double x) { return std::cosh(x); });
  if (n == "tanh") return Simple(v0, [](double x) { return std::tanh(x); });
  if (n == "asinh") return Simple(v0, [](double x) { return std::asinh(x); });
  if (n == "acosh") return Simple(v0, [](double x) { return std::acosh(x); });
  if (n == "atanh") return Simple(v0, [](double x) { return std::atanh(x); });
  if (n == "deg") return Simple(v0, [](double x) { return x * 180 / std::numbers::pi; });
  if (n == "rad") return Simple(v0, [](double x) { return x * std::numbers::pi / 180; });
  if (n == "sgn") {
    return Simple(v0, [](double x) { return x < 0 ? -1.0 : x > 0 ? 1.0 : x; });
  }
  if (n == "pi") return {Sample{Labels(), ts, std::numbers::pi, false}};
  if (n == "time") return {Sample{Labels(), ts, static_cast<double>(ts) / 1000.0, false}};
  if (n == "step") {
    return {Sample{Labels(), ts, static_cast<double>(ev.ctx().query_step) / 1000.0, false}};
  }
  if (n == "start") {
    return {Sample{Labels(), ts, static_cast<double>(ev.ctx().query_start) / 1000.0, false}};
  }
  if (n == "end") {
    return {Sample{Labels(), ts, static_cast<double>(ev.ctx().query_end) / 1000.0, false}};
  }
  if (n == "min_of" || n == "max_of") {
    double a = ArgScalar(args, 0, kNaN), b = ArgScalar(args, 1, kNaN);
    double r = std::isnan(a) || std::isnan(b) ? kNaN : (n == "min_of" ? std::min(a, b) : std::max(a, b));
    return {Sample{Labels(), ts, r, false}};
  }
  if (n == "range") {
    return {Sample{Labels(), ts,
                   static_cast<double>(ev.ctx().query_end - ev.ctx().query_start) / 1000.0,
                   false}};
  }
  if (n == "vector") return {Sample{Labels(), ts, ArgScalar(args, 0, kNaN), false}};
  if (n == "scalar") {
    return {Sample{Labels(), ts, v0.size() == 1 ? v0[0].f : kNaN, false}};
  }
  if (n == "timestamp") {
    return SimpleFn(v0, [ts](double) { return static_cast<double>(ts) / 1000.0; });
  }
  if (n == "round") {
    double to = ArgScalar(args, 1, 1);
    double inv = 1.0 / to;
    return SimpleFn(v0, [inv](double x) { return std::floor(x * inv + 0.5) / inv; });
  }
  if (n == "clamp") {
    double lo = ArgScalar(args, 1, kNaN), hi = ArgScalar(args, 2, kNaN);
    if (hi < lo) return {};
    return SimpleFn(v0, [lo, hi](double x) { return std::fmax(lo, std::fmin(hi, x)); });
  }
  if (n == "clamp_min") {
    double lo = ArgScalar(args, 1, kNaN);
    return SimpleFn(v0, [lo](double x) { return std::fmax(lo, x); });
  }
  if (n == "clamp_max") {
    double hi = ArgScalar(args, 1, kNaN);
    return SimpleFn(v0, [hi](double x) { return std::fmin(hi, x); });
  }
  if (n == "day_of_month" || n == "day_of_week" || n == "day_of_year" || n == "days_in_month" ||
      n == "hour" || n == "minute" || n == "month" || n == "year") {
    Vector in;
    if (call.args.empty()) {
      in.push_back(Sample{Labels(), ts, static_cast<double>(ts) / 1000.0, false});
    } else {
      in = v0;
    }
    auto f = [&n](double x) -> double {
      if (std::isnan(x) || std::isinf(x)) return kNaN;
      struct tm t = UtcOf(x);
      if (n == "day_of_month") return t.tm_mday;
      if (n == "day_of_week") return t.tm_wday;
      if (n == "day_of_year") return t.tm_yday + 1;
      if (n == "days_in_month") return DaysInMonth(t.tm_year + 1900, t.tm_mon);
      if (n == "hour") return t.tm_hour;
      if (n == "minute") return t.tm_min;
      if (n == "month") return t.tm_mon + 1;
      return t.tm_year + 1900;
    };
    Vector out;
    for (const Sample& s : in) out.push_back(Sample{s.metric, s.t, f(s.f), true});
    return out;
  }
  if (n == "sort" || n == "sort_desc") {
    Vector out = v0;
    bool desc = n == "sort_desc";
    std::stable_sort(out.begin(), out.end(), [desc](const Sample& a, const Sample& b) {
      if (std::isnan(a.f)) return false;
      if (std::isnan(b.f)) return true;
      return desc ? a.f > b.f : a.f < b.f;
    });
    return out;
  }
  if (n == "sort_by_label" || n == "sort_by_label_desc") {
    Vector out = v0;
    bool desc = n == "sort_by_label_desc";
    std::vector<std::string> names;
    for (size_t i = 1; i < call.args.size(); ++i) names.push_back(StringArg(*call.args[i]));
    std::stable_sort(out.begin(), out.end(), [&](const Sample& a, const Sample& b) {
      for (const auto& l : names) {
        int c = NaturalCompare(a.metric.Get(l), b.metric.Get(l));
        if (c != 0) return desc ? c > 0 : c < 0;
      }
      int c = Compare(a.metric, b.metric);
      return desc ? c > 0 : c < 0;
    });
    return out;
  }
  if (n == "label_replace") {
    const std::string& dst = StringArg(*call.args[1]);
    const std::string& repl = StringArg(*call.args[2]);
    const std::string& src = StringArg(*call.args[3]);
    const std::string& regex = StringArg(*call.args[4]);
    RE2 re("^(?s:" + regex + ")$");
    if (!re.ok()) ThrowExecution("invalid regular expression in label_replace(): " + regex);
    if (!ValidLabelNameUtf8(dst)) {
      ThrowExecution("invalid destination label name in label_replace(): " + dst);
    }
    Vector out;
    std::vector<re2::StringPiece> groups(re.NumberOfCapturingGroups() + 1);
    for (const Sample& s : v0) {
      Sample o = s;
      std::string value(s.metric.Get(src));
      if (re.Match(value, 0, value.size(), RE2::UNANCHORED, groups.data(),
                   static_cast<int>(groups.size()))) {
        std::string res = ExpandTemplate(repl, re, groups);
        o.metric.Set(dst, res);
        if (dst == kMetricName) o.drop_name = false;
      }
      out.push_back(std::move(o));
    }
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  if (n == "label_join") {
    const std::string& dst = StringArg(*call.args[1]);
    const std::string& sep = StringArg(*call.args[2]);
    if (!ValidLabelNameUtf8(dst)) {
      ThrowExecution("invalid destination label name in label_join(): " + dst);
    }
    std::vector<std::string> srcs;
    for (size_t i = 3; i < call.args.size(); ++i) {
      const std::string& l = StringArg(*call.args[i]);
      if (!ValidLabelNameUtf8(l)) ThrowExecution("invalid source label name in label_join(): " + l);
      srcs.push_back(l);
    }
    Vector out;
    for (const Sample& s : v0) {
      Sample o = s;
      std::string joined;
      for (size_t i = 0; i < srcs.size(); ++i) {
        if (i) joined += sep;
        joined += s.metric.Get(srcs[i]);
      }
      o.metric.Set(dst, joined);
      if (dst == kMetricName) o.drop_name = false;
      out.push_back(std::move(o));
    }
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  if (n == "histogram_quantile") {
    double q = ArgScalar(args, 0, kNaN);
    if (std::isnan(q) || q < 0 || q > 1) {
      ev.annos().Warn(fmt::format("quantile value should be between 0 and 1, got {}",
                                  GoFloatG(q)) + ev.PosSuffix(*call.args[0]));
    }
    Vector out = HistogramOverBuckets(ev, args[1], n, *call.args[1], [q](std::vector<Bucket> b, bool* forced) {
      return BucketQuantile(q, std::move(b), forced);
    });
    for (Sample& s : out) s.t = ts;
    return out;
  }
  if (n == "histogram_quantiles") {
    const std::string& label = StringArg(*call.args[1]);
    Vector out;
    for (size_t i = 2; i < args.size(); ++i) {
      double q = ArgScalar(args, i, kNaN);
      if (std::isnan(q) || q < 0 || q > 1) {
        ev.annos().Warn(fmt::format("quantile value should be between 0 and 1, got {}",
                                    GoFloatG(q)) + ev.PosSuffix(*call.args[i]));
      }
      Vector part = HistogramOverBuckets(ev, args[0], "histogram_quantile", *call.args[0],
                                         [q](std::vector<Bucket> b, bool* forced) {
                                           return BucketQuantile(q, std::move(b), forced);
                                         });
      for (Sample& s : part) {
        s.t = ts;
        s.metric.Set(label, OpenMetricsFloat(q));
        out.push_back(std::move(s));
      }
    }
    CheckNoDuplicateLabelsets(out);
    return out;
  }
  if (n == "histogram_fraction") {
    double lo = ArgScalar(args, 0, kNaN), hi = ArgScalar(args, 1, kNaN);
    Vector out = HistogramOverBuckets(ev, args[2], n, *call.args[2], [lo, hi](std::vector<Bucket> b, bool*) {
      return BucketFraction(lo, hi, std::move(b));
    });
    for (Sample& s : out) s.t = ts;
    return out;
  }
  if (n == "histogram_count" || n == "histogram_sum" || n == "histogram_avg" ||
      n == "histogram_stddev" || n == "histogram_stdvar") {
    return {};  // native histograms only: float samples are ignored
  }
  ThrowExecution("function \"" + n + "\" is not supported");
}

bool CallRangeFunction(Evaluator& ev, const Expr& call, const RangeArgs& r,
                       const std::vector<double>& sargs, int64_t ts, double* out) {
  const std::string& n = call.str;
  auto pts = r.points;
  const size_t cnt = pts.size();
  if ((n == "rate" || n == "increase" || n == "delta") && (r.anchored || r.smoothed)) {
    // Prometheus' extendedRate over the window widened by the lookback delta.
    const bool is_counter = n != "delta";
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
    if (n == "rate") result /= static_cast<double>(r.range_ms) / 1000;
    *out = result;
    return true;
  }
  if (n == "rate" || n == "increase" || n == "delta") {
    bool is_counter = n != "delta";
    bool is_rate = n == "rate";
    if (cnt < 2) return false;
    double result = pts[cnt - 1].f - pts[0].f;
    if (is_counter) {
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
  if (n == "irate" || n == "idelta") {
    if (cnt < 2) return false;
    const FPoint& last = pts[cnt - 1];
    const FPoint& prev = pts[cnt - 2];
    int64_t interval = last.t - prev.t;
    if (interval == 0) return false;
    double v;
    if (n == "irate" && last.f < prev.f) {
      v = last.f;
    } else {
      v = last.f - prev.f;
    }
    if (n == "irate") v /= static_cast<double>(interval) / 1000;
    *out = v;
    return true;
  }
  if (n == "changes" || n == "resets") {
    double c = 0;
    for (size_t i = 1; i < cnt; ++i) {
      double prev = pts[i - 1].f, cur = pts[i].f;
      if (n == "changes") {
        if (!(cur == prev || (std::isnan(cur) && std::isnan(prev)))) c++;
      } else if (cur < prev) {
        c++;
      }
    }
    *out = c;
    return true;
  }
  if (n == "deriv" || n == "predict_linear") {
    if (cnt < 2) return false;
    int64_t intercept_time = n == "deriv" ? pts[0].t : ts;
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
    if (n == "deriv") {
      *out = slope;
    } else {
      *out = slope * sargs[1] + intercept;
    }
    return true;
  }
  if (n == "double_exponential_smoothing" || n == "holt_winters") {
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
  if (n == "sum_over_time") {
    double s = 0, c = 0;
    for (const FPoint& p : pts) KahanSumInc(p.f, &s, &c);
    *out = s + c;
    return true;
  }
  if (n == "avg_over_time") {
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
  if (n == "count_over_time") {
    *out = static_cast<double>(cnt);
    return true;
  }
  if (n == "present_over_time" || n == "absent_over_time") {
    *out = 1;
    return true;
  }
  if (n == "last_over_time") {
    *out = pts[cnt - 1].f;
    return true;
  }
  if (n == "first_over_time") {
    *out = pts[0].f;
    return true;
  }
  if (n == "ts_of_last_over_time") {
    *out = static_cast<double>(pts[cnt - 1].t) / 1000;
    return true;
  }
  if (n == "ts_of_first_over_time") {
    *out = static_cast<double>(pts[0].t) / 1000;
    return true;
  }
  if (n == "max_over_time" || n == "min_over_time" || n == "ts_of_max_over_time" ||
      n == "ts_of_min_over_time") {
    bool is_max = n == "max_over_time" || n == "ts_of_max_over_time";
    double best = pts[0].f;
    int64_t best_t = pts[0].t;
    for (size_t i = 1; i < cnt; ++i) {
      double f = pts[i].f;
      bool better = is_max ? (f > best || std::isnan(best)) : (f < best || std::isnan(best));
      if (better || (!std::isnan(f) && f == best && n.starts_with("ts_of"))) {
        if (better || f == best) {
          best = f;
          best_t = pts[i].t;
        }
      }
    }
    *out = n.starts_with("ts_of") ? static_cast<double>(best_t) / 1000 : best;
    return true;
  }
  if (n == "stddev_over_time" || n == "stdvar_over_time") {
    double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
    for (const FPoint& p : pts) {
      count++;
      double delta = p.f - (mean + cmean);
      KahanSumInc(delta / count, &mean, &cmean);
      KahanSumInc(delta * (p.f - (mean + cmean)), &aux, &caux);
    }
    double var = (aux + caux) / count;
    *out = n == "stddev_over_time" ? std::sqrt(var) : var;
    return true;
  }
  if (n == "quantile_over_time") {
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
  if (n == "mad_over_time") {
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
  ThrowExecution("function \"" + n + "\" is not supported");
}

}  // namespace abhra::promql
