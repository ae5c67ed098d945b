// Functions over instant vectors, evaluated per step (math, time, labels, sorting, histograms).
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <numbers>
#include <unordered_map>

#include "aggregator/promql/engine/evaluator.h"
#include "aggregator/promql/engine/histogram_buckets.h"

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
    if (seen[LabelsKey(s.metric)]++) {
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
    RE2::Options re_opts;
    re_opts.set_log_errors(false);
    RE2 re("^(?s:" + regex + ")$", re_opts);
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

}  // namespace abhra::promql
