// Aggregation operators (sum, avg, topk, quantile, count_values, limitk, ...) for one step.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "aggregator/promql/engine/evaluator.h"
#include "common/labels/hash.h"

namespace abhra::promql {
namespace {

struct Group {
  Labels labels;
  bool drop_name = false;
  double value = 0, kahan = 0, mean = 0, count = 0;
  bool incremental_mean = false;
  std::vector<double> values;      // quantile
  std::vector<const Sample*> members;  // topk/bottomk/limitk/limit_ratio
};

bool ValidLabelName(std::string_view s) {
  // UTF-8 label names are valid in Prometheus 3 as long as the bytes are valid UTF-8.
  if (s.empty()) return false;
  size_t i = 0;
  while (i < s.size()) {
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

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

double Quantile(double q, std::vector<double> values) {
  if (values.empty() || std::isnan(q)) return std::nan("");
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  // As Prometheus' vectorByValueHeap: NaN sorts first.
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

Vector Aggregate(Evaluator& ev, const Expr& e, const Vector& in, double param,
                 const std::string& string_param, const std::vector<uint64_t>* group_hash) {
  const AggOp op = e.agg;
  std::vector<std::string> grouping = e.grouping;
  if (op == AggOp::kCountValues) {
    if (!ValidLabelName(string_param)) {
      ThrowExecution("invalid label name " + GoQuote(string_param));
    }
    if (!e.without) grouping.push_back(string_param);
  }
  std::sort(grouping.begin(), grouping.end());

  int64_t k = 0;
  double ratio = 0;
  if (op == AggOp::kTopK || op == AggOp::kBottomK || op == AggOp::kLimitK) {
    if (std::isnan(param)) ThrowExecution("Parameter value is NaN");
    if (param >= 9.2e18 || param <= -9.2e18) {
      ThrowExecution(fmt::format("Scalar value {} overflows int64", param));
    }
    k = static_cast<int64_t>(param);
    if (k <= 0) return {};
  } else if (op == AggOp::kLimitRatio) {
    if (std::isnan(param)) ThrowExecution("Ratio value is NaN");
    ratio = param;
    if (ratio == 0) return {};
    if (ratio < -1) {
      ev.annos().Warn(fmt::format("ratio value should be between -1 and 1, got {}, capping to {}",
                                  GoFloatG(param), -1) +
                      ev.PosSuffix(*e.agg_param()));
      ratio = -1;
    } else if (ratio > 1) {
      ev.annos().Warn(fmt::format("ratio value should be between -1 and 1, got {}, capping to {}",
                                  GoFloatG(param), 1) +
                      ev.PosSuffix(*e.agg_param()));
      ratio = 1;
    }
  } else if (op == AggOp::kQuantile) {
    if (std::isnan(param) || param < 0 || param > 1) {
      ev.annos().Warn(fmt::format("quantile value should be between 0 and 1, got {}",
                                  GoFloatG(param)) +
                      ev.PosSuffix(*e.agg_param()));
    }
  }

  // count_values rewrites each input sample's labels first.
  Vector rewritten;
  const Vector* input = &in;
  if (op == AggOp::kCountValues) {
    rewritten = in;
    for (Sample& s : rewritten) s.metric.Set(string_param, FormatFloatFixed(s.f));
    input = &rewritten;
  }

  std::unordered_map<uint64_t, size_t> index;
  std::vector<Group> groups;
  std::vector<std::string> without_names = grouping;
  without_names.push_back(std::string(kMetricName));
  for (size_t si = 0; si < input->size(); ++si) {
    const Sample& s = (*input)[si];
    uint64_t h;
    if (group_hash) {
      h = (*group_hash)[si];
    } else if (e.without) {
      h = s.metric.HashWithoutLabels(without_names);
    } else {
      h = s.metric.HashForLabels(grouping);
    }
    auto it = index.find(h);
    if (it == index.end()) {
      Group g;
      if (e.without) {
        g.labels = s.metric.Without(without_names);
      } else {
        g.labels = s.metric.Keep(grouping);
      }
      g.drop_name = s.drop_name && g.labels.Has(kMetricName);
      g.value = s.f;
      g.mean = s.f;
      g.count = 1;
      switch (op) {
        case AggOp::kStddev: case AggOp::kStdvar:
          g.value = std::isnan(s.f) || std::isinf(s.f) ? std::nan("") : 0;
          break;
        case AggOp::kQuantile: g.values.push_back(s.f); break;
        case AggOp::kGroup: g.value = 1; break;
        case AggOp::kTopK: case AggOp::kBottomK: case AggOp::kLimitK:
        case AggOp::kLimitRatio:
          g.members.push_back(&s);
          break;
        default: break;
      }
      index.emplace(h, groups.size());
      groups.push_back(std::move(g));
      continue;
    }
    Group& g = groups[it->second];
    if (s.drop_name && g.labels.Has(kMetricName)) g.drop_name = true;
    switch (op) {
      case AggOp::kSum:
        KahanSumInc(s.f, &g.value, &g.kahan);
        break;
      case AggOp::kAvg: {
        g.count++;
        if (!g.incremental_mean) {
          double nv = g.value, nc = g.kahan;
          KahanSumInc(s.f, &nv, &nc);
          if (!std::isinf(nv)) {
            g.value = nv;
            g.kahan = nc;
            break;
          }
          g.incremental_mean = true;
          g.mean = g.value / (g.count - 1);
          g.kahan /= g.count - 1;
        }
        if (std::isinf(g.mean)) {
          if (std::isinf(s.f) && (g.mean > 0) == (s.f > 0)) break;
          if (!std::isinf(s.f) && !std::isnan(s.f)) break;
        }
        double q = (g.count - 1) / g.count;
        double m = q * g.mean, c = q * g.kahan;
        KahanSumInc(s.f / g.count, &m, &c);
        g.mean = m;
        g.kahan = c;
        break;
      }
      case AggOp::kMax:
        if (g.value < s.f || std::isnan(g.value)) g.value = s.f;
        break;
      case AggOp::kMin:
        if (g.value > s.f || std::isnan(g.value)) g.value = s.f;
        break;
      case AggOp::kCount:
      case AggOp::kCountValues:
        g.count++;
        break;
      case AggOp::kGroup:
        break;
      case AggOp::kStddev:
      case AggOp::kStdvar: {
        g.count++;
        double delta = s.f - g.mean;
        g.mean += delta / g.count;
        g.value += delta * (s.f - g.mean);
        break;
      }
      case AggOp::kQuantile:
        g.values.push_back(s.f);
        break;
      case AggOp::kTopK: case AggOp::kBottomK: case AggOp::kLimitK: case AggOp::kLimitRatio:
        g.members.push_back(&s);
        break;
    }
  }

  Vector out;
  int64_t ts = in.empty() ? 0 : in[0].t;
  for (Group& g : groups) {
    switch (op) {
      case AggOp::kTopK:
      case AggOp::kBottomK: {
        bool top = op == AggOp::kTopK;
        // NaN sorts last in both directions.
        std::stable_sort(g.members.begin(), g.members.end(),
                         [top](const Sample* a, const Sample* b) {
                           if (std::isnan(a->f)) return false;
                           if (std::isnan(b->f)) return true;
                           return top ? a->f > b->f : a->f < b->f;
                         });
        size_t n = std::min<size_t>(g.members.size(), static_cast<size_t>(k));
        for (size_t i = 0; i < n; ++i) out.push_back(*g.members[i]);
        continue;
      }
      case AggOp::kLimitK: {
        size_t n = std::min<size_t>(g.members.size(), static_cast<size_t>(k));
        for (size_t i = 0; i < n; ++i) out.push_back(*g.members[i]);
        continue;
      }
      case AggOp::kLimitRatio: {
        for (const Sample* s : g.members) {
          double offset = static_cast<double>(s->metric.Hash()) /
                          static_cast<double>(std::numeric_limits<uint64_t>::max());
          if ((ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1.0 + ratio)) {
            out.push_back(*s);
          }
        }
        continue;
      }
      default:
        break;
    }
    double v = g.value;
    switch (op) {
      case AggOp::kSum: v = g.value + g.kahan; break;
      case AggOp::kAvg:
        v = g.incremental_mean ? g.mean + g.kahan : (g.value + g.kahan) / g.count;
        break;
      case AggOp::kCount: case AggOp::kCountValues: v = g.count; break;
      case AggOp::kStdvar: v = g.value / g.count; break;
      case AggOp::kStddev: v = std::sqrt(g.value / g.count); break;
      case AggOp::kQuantile: v = Quantile(param, g.values); break;
      default: break;
    }
    out.push_back(Sample{std::move(g.labels), ts, v, g.drop_name});
  }
  return out;
}

}  // namespace abhra::promql
