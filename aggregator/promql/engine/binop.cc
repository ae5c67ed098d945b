// Binary operators between vectors and scalars, with Prometheus' matching rules.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {
namespace {

bool ShouldDropMetricName(TokenOp op) {
  switch (op) {
    case TokenOp::kAdd: case TokenOp::kSub: case TokenOp::kMul: case TokenOp::kDiv:
    case TokenOp::kMod: case TokenOp::kPow: case TokenOp::kAtan2:
      return true;
    default:
      return false;
  }
}

// Returns the value and whether the element is kept (comparisons filter).
std::pair<double, bool> ElemBinop(TokenOp op, double l, double r) {
  switch (op) {
    case TokenOp::kAdd: return {l + r, true};
    case TokenOp::kSub: return {l - r, true};
    case TokenOp::kMul: return {l * r, true};
    case TokenOp::kDiv: return {l / r, true};
    case TokenOp::kPow: return {std::pow(l, r), true};
    case TokenOp::kMod: return {std::fmod(l, r), true};
    case TokenOp::kAtan2: return {std::atan2(l, r), true};
    case TokenOp::kEql: return {l, l == r};
    case TokenOp::kNeq: return {l, l != r};
    case TokenOp::kGtr: return {l, l > r};
    case TokenOp::kLss: return {l, l < r};
    case TokenOp::kGte: return {l, l >= r};
    case TokenOp::kLte: return {l, l <= r};
    default: return {0, false};
  }
}

const VectorMatching& MatchingOf(const Expr& e) {
  static const VectorMatching kDefault;
  return e.matching ? *e.matching : kDefault;
}

Labels ResultMetric(const Labels& lhs, const Labels& rhs, const VectorMatching& m) {
  Labels out;
  if (m.card == Cardinality::kOneToOne) {
    std::vector<Label> kept;
    kept.reserve(lhs.size());
    for (const Label& l : lhs) {
      bool listed = std::find(m.matching_labels.begin(), m.matching_labels.end(), l.name) !=
                    m.matching_labels.end();
      if (listed == m.on) kept.push_back(l);
    }
    out = Labels::FromSorted(std::move(kept));
  } else {
    out = lhs;
  }
  for (const auto& n : m.include) {
    std::string_view v = rhs.Get(n);
    if (!v.empty()) {
      out.Set(n, v);
    } else {
      out.Del(n);
    }
  }
  return out;
}

// Two series of the "one" side share a signature at a step.
[[noreturn]] void ThrowDuplicateMatch(const Labels& a, const Labels& b, const VectorMatching& m,
                                      bool swap) {
  Labels matched =
      m.on ? a.Keep(m.matching_labels) : a.Without(m.matching_labels).WithoutMetricName();
  auto fmt_labels = [](const Labels& l) {
    std::string s = "{";
    for (size_t k = 0; k < l.size(); ++k) {
      if (k) s += ", ";
      s += l[k].name + "=\"" + EscapeLabelValue(l[k].value) + "\"";
    }
    return s + "}";
  };
  ThrowExecution(fmt::format(
      "found duplicate series for the match group {} on the {} hand-side of the operation: "
      "[{}, {}];many-to-many matching not allowed: matching labels must be unique on one "
      "side",
      fmt_labels(matched), swap ? "left" : "right", fmt_labels(std::min(a, b)),
      fmt_labels(std::max(a, b))));
}

}  // namespace

double ScalarBinop(TokenOp op, double l, double r) {
  auto [v, keep] = ElemBinop(op, l, r);
  if (IsComparisonOp(op)) return keep ? 1 : 0;
  return v;
}

Vector VectorBinop(const Expr& e, const Vector& lhs_in, const Vector& rhs_in,
                   const std::vector<uint64_t>& lsig_in, const std::vector<uint64_t>& rsig_in) {
  const VectorMatching& m = MatchingOf(e);
  Vector out;
  if ((lhs_in.empty() || rhs_in.empty()) && !m.fill_left && !m.fill_right) return out;
  const bool swap = m.card == Cardinality::kOneToMany;
  const Vector& lhs = swap ? rhs_in : lhs_in;
  const Vector& rhs = swap ? lhs_in : rhs_in;
  const std::vector<uint64_t>& lsig = swap ? rsig_in : lsig_in;
  const std::vector<uint64_t>& rsig = swap ? lsig_in : rsig_in;
  // The "one" side sorted by signature: no per-step hash-node allocations.
  std::vector<std::pair<uint64_t, uint32_t>> right;
  right.reserve(rhs.size());
  for (size_t ri = 0; ri < rhs.size(); ++ri) right.push_back({rsig[ri], static_cast<uint32_t>(ri)});
  std::sort(right.begin(), right.end());
  for (size_t i = 1; i < right.size(); ++i) {
    if (right[i].first != right[i - 1].first) continue;
    ThrowDuplicateMatch(rhs[right[i].second].metric, rhs[right[i - 1].second].metric, m, swap);
  }
  auto find_right = [&](uint64_t sig) -> int64_t {
    auto it = std::lower_bound(right.begin(), right.end(), std::make_pair(sig, uint32_t{0}));
    if (it == right.end() || it->first != sig) return -1;
    return it->second;
  };
  std::vector<char> matched_one(rhs.size(), 0);  // one-to-one: right samples already matched
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> matched;
  const bool drop = ShouldDropMetricName(e.op) || e.return_bool;
  for (size_t li = 0; li < lhs.size(); ++li) {
    const Sample& ls = lhs[li];
    uint64_t sig = lsig[li];
    int64_t ri = find_right(sig);
    if (ri < 0) continue;
    const Sample& rs = rhs[ri];
    double fl = ls.f, fr = rs.f;
    if (swap) std::swap(fl, fr);
    auto [v, keep] = ElemBinop(e.op, fl, fr);
    if (m.card == Cardinality::kOneToOne) {
      // Checked before comparison filtering, as Prometheus does.
      if (matched_one[ri]++) {
        ThrowExecution(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
    }
    if (e.return_bool) {
      v = keep ? 1 : 0;
    } else if (!keep) {
      continue;
    }
    if (IsComparisonOp(e.op) && !e.return_bool) v = swap ? fr : fl;
    Labels metric = ResultMetric(ls.metric, rs.metric, m);
    if (m.card != Cardinality::kOneToOne) {
      uint64_t h = LabelsKey(metric);
      auto& set = matched[sig];
      if (!set.insert(h).second) {
        ThrowExecution("multiple matches for labels: grouping labels must ensure unique matches");
      }
    }
    out.push_back(Sample{std::move(metric), ls.t, v, drop || ls.drop_name});
  }
  // fill modifiers (in the frame where lhs is the "many" side): a missing right operand
  // takes fill_right, a missing left operand fill_left.
  std::optional<double> fill_for_rhs = m.fill_right, fill_for_lhs = m.fill_left;
  if (fill_for_rhs || fill_for_lhs) {
    auto emit = [&](const Labels& metric, double fl, double fr, bool drop_in, int64_t t) {
      if (swap) std::swap(fl, fr);
      auto [v, keep] = ElemBinop(e.op, fl, fr);
      if (e.return_bool) {
        v = keep ? 1 : 0;
      } else if (!keep) {
        return;
      }
      if (IsComparisonOp(e.op) && !e.return_bool) v = fl;
      out.push_back(Sample{metric, t, v, drop || drop_in});
    };
    if (fill_for_rhs) {
      static const Labels kNone;
      for (size_t li = 0; li < lhs.size(); ++li) {
        if (find_right(lsig[li]) >= 0) continue;
        const Sample& ls = lhs[li];
        emit(ResultMetric(ls.metric, kNone, m), ls.f, *fill_for_rhs, ls.drop_name, ls.t);
      }
    }
    if (fill_for_lhs) {
      std::unordered_set<uint64_t> left(lsig.begin(), lsig.end());
      for (size_t ri = 0; ri < rhs.size(); ++ri) {
        if (left.count(rsig[ri])) continue;
        const Sample& rs = rhs[ri];
        Labels metric = m.on ? rs.metric.Keep(m.matching_labels)
                             : rs.metric.Without(m.matching_labels).WithoutMetricName();
        emit(metric, *fill_for_lhs, rs.f, false, rs.t);
      }
    }
  }
  return out;
}

namespace {
// One element of `vector OP scalar` (swap: `scalar OP vector`): false when a comparison
// filters it out.
bool VectorScalarElem(const Expr& e, double f, double scalar, bool swap, double* out) {
  double l = f, r = scalar;
  if (swap) std::swap(l, r);
  auto [v, keep] = ElemBinop(e.op, l, r);
  if (IsComparisonOp(e.op) && swap) v = f;
  if (e.return_bool) {
    v = keep ? 1 : 0;
    keep = true;
  }
  *out = v;
  return keep;
}
}  // namespace

Vector VectorScalarBinop(const Expr& e, const Vector& vec, double scalar, bool swap) {
  Vector out;
  const bool drop = ShouldDropMetricName(e.op) || e.return_bool;
  for (const Sample& s : vec) {
    double v;
    if (!VectorScalarElem(e, s.f, scalar, swap, &v)) continue;
    out.push_back(Sample{s.metric, s.t, v, s.drop_name || drop});
  }
  return out;
}

Vector SetBinop(const Expr& e, const Vector& lhs, const Vector& rhs,
                const std::vector<uint64_t>& lsig, const std::vector<uint64_t>& rsig) {
  Vector out;
  switch (e.op) {
    case TokenOp::kLAnd: {
      if (lhs.empty() || rhs.empty()) return out;
      std::unordered_set<uint64_t> right(rsig.begin(), rsig.end());
      for (size_t i = 0; i < lhs.size(); ++i) {
        if (right.count(lsig[i])) out.push_back(lhs[i]);
      }
      return out;
    }
    case TokenOp::kLOr: {
      std::unordered_set<uint64_t> left(lsig.begin(), lsig.end());
      out = lhs;
      for (size_t i = 0; i < rhs.size(); ++i) {
        if (!left.count(rsig[i])) out.push_back(rhs[i]);
      }
      return out;
    }
    case TokenOp::kLUnless: {
      std::unordered_set<uint64_t> right(rsig.begin(), rsig.end());
      for (size_t i = 0; i < lhs.size(); ++i) {
        if (!right.count(lsig[i])) out.push_back(lhs[i]);
      }
      return out;
    }
    default:
      return out;
  }
}

bool CanBinopMatrix(const Expr& e) {
  const VectorMatching& m = MatchingOf(e);
  return !IsSetOp(e.op) && m.card == Cardinality::kOneToOne && !m.fill_left && !m.fill_right;
}

Matrix BinopMatrix(Evaluator& ev, const Expr& e, Matrix lhs, Matrix rhs) {
  const VectorMatching& m = MatchingOf(e);
  const bool drop = ShouldDropMetricName(e.op) || e.return_bool;
  std::vector<uint64_t> lsig(lhs.size()), rsig(rhs.size());
  for (size_t i = 0; i < lhs.size(); ++i) lsig[i] = SignatureOf(lhs[i].metric, m.on, m.matching_labels);
  for (size_t i = 0; i < rhs.size(); ++i) rsig[i] = SignatureOf(rhs[i].metric, m.on, m.matching_labels);
  std::vector<size_t> lcur(lhs.size(), 0), rcur(rhs.size(), 0);
  std::vector<uint32_t> lids, rids, prev_rids;           // series present at a step
  std::vector<std::pair<uint64_t, uint32_t>> right;        // (signature, rhs series), sorted
  std::vector<uint32_t> matched_at(rhs.size(), UINT32_MAX);  // step a right series last matched
  Matrix out;
  std::unordered_map<uint64_t, size_t> pair_out;                       // (li, ri) -> out
  std::unordered_map<uint64_t, size_t> label_out;                      // labels -> out
  uint32_t step = 0;
  for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval(), ++step) {
    if (step % 16 == 0) ev.CheckDeadline();
    lids.clear();
    rids.clear();
    for (size_t li = 0; li < lhs.size(); ++li) {
      size_t& c = lcur[li];
      if (c < lhs[li].floats.size() && lhs[li].floats[c].t == ts) lids.push_back(static_cast<uint32_t>(li));
    }
    for (size_t ri = 0; ri < rhs.size(); ++ri) {
      size_t& c = rcur[ri];
      if (c < rhs[ri].floats.size() && rhs[ri].floats[c].t == ts) rids.push_back(static_cast<uint32_t>(ri));
    }
    for (uint32_t li : lids) ++lcur[li];  // lcur[li] - 1 is this step's point from here on
    for (uint32_t ri : rids) ++rcur[ri];
    if (lids.empty() || rids.empty()) continue;
    // The same right series as at the step before (the common case): already sorted and checked.
    if (rids != prev_rids) {
      right.clear();
      for (uint32_t ri : rids) right.push_back({rsig[ri], ri});
      std::sort(right.begin(), right.end());
      for (size_t i = 1; i < right.size(); ++i) {
        if (right[i].first == right[i - 1].first) {
          ThrowDuplicateMatch(rhs[right[i].second].metric, rhs[right[i - 1].second].metric, m,
                              false);
        }
      }
      prev_rids = rids;
    }
    int64_t produced = 0;
    for (uint32_t li : lids) {
      const double fl = lhs[li].floats[lcur[li] - 1].f;
      auto it = std::lower_bound(right.begin(), right.end(), std::make_pair(lsig[li], uint32_t{0}));
      if (it == right.end() || it->first != lsig[li]) continue;
      const uint32_t ri = it->second;
      const double fr = rhs[ri].floats[rcur[ri] - 1].f;
      auto [v, keep] = ElemBinop(e.op, fl, fr);
      // Checked before comparison filtering, as Prometheus does.
      if (matched_at[ri] == step) {
        ThrowExecution(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
      matched_at[ri] = step;
      if (e.return_bool) {
        v = keep ? 1 : 0;
      } else if (!keep) {
        continue;
      }
      if (IsComparisonOp(e.op) && !e.return_bool) v = fl;
      const uint64_t pair = (static_cast<uint64_t>(li) << 32) | ri;
      auto [pit, added] = pair_out.emplace(pair, 0);
      if (added) {
        Labels metric = ResultMetric(lhs[li].metric, rhs[ri].metric, m);
        auto [lit, new_labels] = label_out.emplace(LabelsKey(metric), out.size());
        if (new_labels) {
          Series s;
          s.metric = std::move(metric);
          s.drop_name = drop || lhs[li].drop_name;
          out.push_back(std::move(s));
        }
        pit->second = lit->second;
      }
      Series& o = out[pit->second];
      if (!o.floats.empty() && o.floats.back().t == ts) {
        ThrowExecution("vector cannot contain metrics with the same labelset");
      }
      o.floats.push_back({ts, v});
      ++produced;
    }
    ev.AddSamples(produced);
  }
  ev.ReleaseSamples(CountPoints(lhs) + CountPoints(rhs));
  return out;
}

Matrix VectorScalarMatrix(Evaluator& ev, const Expr& e, Matrix vec, const Matrix& scalar,
                          bool swap) {
  // The scalar's value per step (a scalar has one at every step; NaN-free gaps are skipped).
  const int64_t start = ev.start(), interval = ev.interval();
  const size_t steps = static_cast<size_t>(ev.NumSteps());
  std::vector<double> sv(steps, 0);
  std::vector<char> has(steps, 0);
  if (!scalar.empty()) {
    for (const FPoint& p : scalar[0].floats) {
      size_t k = static_cast<size_t>((p.t - start) / interval);
      sv[k] = p.f;
      has[k] = 1;
    }
  }
  const bool drop = ShouldDropMetricName(e.op) || e.return_bool;
  const int64_t in_points = CountPoints(vec) + CountPoints(scalar);
  for (Series& s : vec) {
    size_t w = 0;
    for (const FPoint& p : s.floats) {
      size_t k = static_cast<size_t>((p.t - start) / interval);
      double v;
      if (!has[k] || !VectorScalarElem(e, p.f, sv[k], swap, &v)) continue;
      s.floats[w++] = {p.t, v};
    }
    s.floats.resize(w);
    s.drop_name = s.drop_name || drop;
  }
  std::erase_if(vec, [](const Series& s) { return s.floats.empty(); });
  // Step-wise evaluation lists series by the step they first appear at, then input order.
  std::stable_sort(vec.begin(), vec.end(), [](const Series& a, const Series& b) {
    return a.floats.front().t < b.floats.front().t;
  });
  ev.ReleaseSamples(in_points);
  ev.AddSamples(CountPoints(vec));
  return vec;
}

}  // namespace abhra::promql
