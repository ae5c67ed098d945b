#include "aggregator/promql/engine/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <unordered_map>

#include "common/base/parallel.h"

namespace abhra::promql {

void ThrowExecution(std::string msg) { throw EvalError{Status::OutOfBounds(std::move(msg))}; }

void Annotations::Warn(std::string msg) {
  msg = "PromQL warning: " + msg;
  std::lock_guard<std::mutex> l(*mu_);
  if (std::find(warnings.begin(), warnings.end(), msg) == warnings.end()) {
    warnings.push_back(std::move(msg));
  }
}
void Annotations::Info(std::string msg) {
  msg = "PromQL info: " + msg;
  std::lock_guard<std::mutex> l(*mu_);
  if (std::find(infos.begin(), infos.end(), msg) == infos.end()) infos.push_back(std::move(msg));
}

namespace {

Matrix ScalarMatrix(const Evaluator& ev, double v) {
  Series s;
  s.floats.reserve(ev.NumSteps());
  for (int64_t ts = ev.start(); ts <= ev.end(); ts += ev.interval()) s.floats.push_back({ts, v});
  Matrix m;
  m.push_back(std::move(s));
  return m;
}

}  // namespace

std::string Evaluator::PosSuffix(const Expr& e) const {
  int line = 1;
  size_t last_break = static_cast<size_t>(-1);
  for (size_t i = 0; i < e.pos && i < ctx_.query.size(); ++i) {
    if (ctx_.query[i] == '\n') {
      line++;
      last_break = i;
    }
  }
  return fmt::format(" ({}:{})", line, e.pos - last_break);
}

std::string GoFloatG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  int exp = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  std::string s = fmt::format("{}", v);
  if (exp < -4 || exp >= 21 || (exp >= 6 && s.find('e') == std::string::npos && s.size() > 0)) {
    if (exp >= -4 && exp < 6) return s;
    std::string e = fmt::format("{:e}", v);  // fixed 6 digits; trim to shortest
    // Shortest mantissa from the round-trip digits.
    std::string digits;
    for (char c : s) {
      if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
      if (c == 'e' || c == 'E') break;
    }
    while (digits.size() > 1 && digits[0] == '0') digits.erase(0, 1);
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    std::string mant = digits.substr(0, 1);
    if (digits.size() > 1) mant += "." + digits.substr(1);
    return fmt::format("{}{}e{}{:02d}", v < 0 ? "-" : "", mant, exp < 0 ? '-' : '+', std::abs(exp));
  }
  return s;
}

uint64_t SignatureOf(const Labels& l, bool on, const std::vector<std::string>& names) {
  return on ? l.HashForLabels(names) : l.HashWithoutLabels(names);
}

void Evaluator::CheckDeadline() const {
  if (std::chrono::steady_clock::now() > ctx_.deadline) {
    throw EvalError{Status::Timeout("query timed out in expression evaluation")};
  }
}

void Evaluator::AddSamples(int64_t n) {
  AddSamplesShared(n);
  if (++deadline_counter_ % 64 == 0) CheckDeadline();
}

void Evaluator::AddSamplesShared(int64_t n) const {
  int64_t now = ctx_.current_samples->fetch_add(n, std::memory_order_relaxed) + n;
  if (now > ctx_.opts->max_samples) {
    throw EvalError{Status::ResourceExhausted(std::string(kTooManySamplesMessage))};
  }
}

int64_t Evaluator::AtTime(const Expr& e, int64_t ts) const {
  int64_t t = ts;
  switch (e.at) {
    case AtKind::kTime:
      t = e.at_ms;
      break;
    case AtKind::kStart:
      t = ctx_.query_start;
      break;
    case AtKind::kEnd:
      t = ctx_.query_end;
      break;
    case AtKind::kNone:
      break;
  }
  return t - e.offset_ms;
}

void Evaluator::SelectIteratorBatches(const Expr& vs, int64_t mint, int64_t maxt,
                                      const std::string& func, int64_t range_ms,
                                      const std::function<void(std::vector<SelectedSeries>&)>& fn) {
  CheckDeadline();
  storage::SelectHints hints;
  hints.start = mint;
  hints.end = maxt;
  hints.step = interval_;
  hints.func = func;
  hints.range = range_ms;
  auto set = ctx_.querier->Select(true, hints, vs.matchers);
  std::vector<SelectedSeries> batch;
  while (set->Next()) {
    const storage::Series& s = set->At();
    batch.push_back({s.labels(), s.Iterator()});
    if (batch.size() == kSelectBatch) {
      fn(batch);
      batch.clear();
    }
  }
  if (!set->Err().ok()) throw EvalError{set->Err()};
  if (!batch.empty()) fn(batch);
  for (auto& w : set->Warnings()) annos().Warn(w);
}

void Evaluator::ReadPoints(storage::SampleIterator& it, int64_t mint, int64_t maxt, bool drop_stale,
                           std::vector<FPoint>* out) {
  thread_local std::vector<storage::Sample> raw;
  raw.clear();
  out->clear();
  if (it.Seek(mint) && it.At().t <= maxt) it.AppendUntil(maxt, &raw);
  if (!it.Err().ok()) throw EvalError{it.Err()};
  out->reserve(raw.size());
  for (const storage::Sample& smp : raw) {
    if (drop_stale && storage::IsStaleNaN(smp.v)) continue;
    out->push_back({smp.t, smp.v});
  }
}

std::vector<Evaluator::LoadedSeries> Evaluator::Select(const Expr& vs, int64_t mint, int64_t maxt,
                                                       const std::string& func, int64_t range_ms) {
  std::vector<LoadedSeries> out;
  SelectIteratorBatches(vs, mint, maxt, func, range_ms, [&](std::vector<SelectedSeries>& sel) {
    for (SelectedSeries& s : sel) {
      LoadedSeries& ls = out.emplace_back();
      ls.metric = std::move(s.metric);
      ReadPoints(*s.it, mint, maxt, false, &ls.points);
      s.it.reset();
      AddSamples(static_cast<int64_t>(ls.points.size()));
    }
  });
  return out;
}

EvalValue Evaluator::Eval(const Expr& e) {
  CheckDeadline();
  switch (e.kind) {
    case Expr::Kind::kNumber:
      return ScalarMatrix(*this, e.number);
    case Expr::Kind::kString:
      return StringValue{start_, e.str};
    case Expr::Kind::kParen:
      return Eval(*e.args[0]);
    case Expr::Kind::kUnary: {
      EvalValue v = Eval(*e.args[0]);
      Matrix& m = std::get<Matrix>(v);
      if (e.op == TokenOp::kSub) {
        for (Series& s : m) {
          s.drop_name = true;
          for (FPoint& p : s.floats) p.f = -p.f;
        }
      }
      return v;
    }
    case Expr::Kind::kVectorSelector:
      return EvalVectorSelector(e);
    case Expr::Kind::kMatrixSelector:
    case Expr::Kind::kSubquery:
      return EvalRangeAt(e);
    case Expr::Kind::kBinary:
      return EvalBinary(e);
    case Expr::Kind::kAggregate:
      return EvalAggregate(e);
    case Expr::Kind::kCall:
      return EvalCall(e);
  }
  throw EvalError{Status::Internal("unknown expression kind")};
}

Matrix Evaluator::MapSelectedSeries(const Expr& vs, int64_t mint, int64_t maxt,
                                    const std::string& func, int64_t range_ms, bool drop_stale,
                                    const SeriesMapFn& fn) {
  Matrix out;
  SelectIteratorBatches(vs, mint, maxt, func, range_ms, [&](std::vector<SelectedSeries>& sel) {
    const size_t base = out.size();
    out.resize(base + sel.size());
    // Decoding and per-series work dominate: series are independent, so workers share them.
    ParallelFor(sel.size(), kSeriesPerTask, [&](size_t b, size_t end) {
      std::vector<FPoint> pts;
      for (size_t i = b; i < end; ++i) {
        if ((i - b) % 64 == 0) CheckDeadline();
        ReadPoints(*sel[i].it, mint, maxt, drop_stale, &pts);
        sel[i].it.reset();
        AddSamplesShared(static_cast<int64_t>(pts.size()));
        Series& s = out[base + i];
        fn(sel[i].metric, pts, &s);
        ReleaseSamples(static_cast<int64_t>(pts.size()));
        AddSamplesShared(static_cast<int64_t>(s.floats.size()));
        if (!s.floats.empty()) s.metric = std::move(sel[i].metric);
      }
    });
  });
  std::erase_if(out, [](const Series& s) { return s.floats.empty(); });
  return out;
}

Matrix Evaluator::EvalVectorSelector(const Expr& e) {
  const int64_t lookback = ctx_.opts->lookback_delta_ms;
  const int64_t mint = AtTime(e, start_) - lookback;
  const int64_t maxt = AtTime(e, end_) + (e.smoothed ? lookback : 0);
  return MapSelectedSeries(
      e, mint, maxt, "", 0, /*drop_stale=*/false,
      [&](const Labels&, std::span<const FPoint> pts, Series* s) {
        // Steps move forward: so does the newest sample at or before each.
        size_t next = 0;
        for (int64_t ts = start_; ts <= end_; ts += interval_) {
          int64_t ref = AtTime(e, ts);
          if (e.at != AtKind::kNone) {
            next = std::upper_bound(pts.begin(), pts.end(), ref,
                                    [](int64_t t, const FPoint& p) { return t < p.t; }) -
                   pts.begin();
          } else {
            while (next < pts.size() && pts[next].t <= ref) ++next;
          }
          if (next == 0) continue;
          const FPoint& cur = pts[next - 1];
          if (cur.t <= ref - lookback || storage::IsStaleNaN(cur.f)) continue;
          double v = cur.f;
          if (e.smoothed && cur.t < ref && next < pts.size() && pts[next].t <= ref + lookback &&
              !storage::IsStaleNaN(pts[next].f)) {
            // smoothed: linear interpolation between the samples around the reference time.
            v = cur.f + (pts[next].f - cur.f) * static_cast<double>(ref - cur.t) /
                            static_cast<double>(pts[next].t - cur.t);
          }
          s->floats.push_back({ts, v});
        }
      });
}

// Points of a subquery's inner expression, evaluated over every step the outer evaluation
// needs. Sets the subquery's range and offset for the windowing done by the caller.
Matrix Evaluator::EvalSubqueryPoints(const Expr& e, int64_t* range_ms, int64_t* offset_ms,
                                     const Expr** at_source) {
  *range_ms = e.range_ms;
  *offset_ms = e.offset_ms;
  *at_source = &e;
  int64_t step = e.step_ms > 0 ? e.step_ms : ctx_.opts->default_subquery_step_ms;
  int64_t lo = AtTime(e, start_) - e.range_ms;
  int64_t hi = AtTime(e, end_);
  int64_t sub_start = step * (lo / step);
  if (sub_start <= lo) sub_start += step;
  if (sub_start > hi) return {};
  Evaluator sub(ctx_, sub_start, hi, step);
  EvalValue v = sub.Eval(*e.args[0]);
  // The inner evaluation already counted these points against the shared limit.
  return std::move(std::get<Matrix>(v));
}

Matrix Evaluator::EvalRangeAt(const Expr& e) {
  Matrix out;
  if (e.kind == Expr::Kind::kMatrixSelector) {
    const Expr& vs = *e.args[0];
    int64_t ref = AtTime(vs, start_);
    const int64_t lookback = ctx_.opts->lookback_delta_ms;
    const bool extend = vs.anchored || vs.smoothed;
    int64_t lo_t = ref - e.range_ms - (extend ? lookback : 0);
    int64_t hi_t = ref + (vs.smoothed ? lookback : 0);
    auto series = Select(vs, lo_t + 1, hi_t);
    for (LoadedSeries& ls : series) {
      Series s;
      s.metric = std::move(ls.metric);
      for (const FPoint& p : ls.points) {
        if (p.t > lo_t && p.t <= hi_t && !storage::IsStaleNaN(p.f)) s.floats.push_back(p);
      }
      if (extend && !s.floats.empty()) {
        s.floats = ExtendFloats(s.floats, ref - e.range_ms, ref, vs.smoothed);
      }
      if (!s.floats.empty()) out.push_back(std::move(s));
    }
    return out;
  }
  int64_t range = 0, offset = 0;
  const Expr* at_src = nullptr;
  Matrix pts = EvalSubqueryPoints(e, &range, &offset, &at_src);
  int64_t ref = AtTime(e, start_);
  for (Series& s : pts) {
    Series o;
    o.metric = s.metric;
    o.drop_name = s.drop_name;
    for (const FPoint& p : s.floats) {
      if (p.t > ref - range && p.t <= ref) o.floats.push_back(p);
    }
    if (!o.floats.empty()) out.push_back(std::move(o));
  }
  return out;
}

Matrix Evaluator::RangeEval(const std::vector<const Expr*>& args, const StepFunc& fn) {
  return RangeEvalIds(
      args, [&](std::vector<Vector>& v, const StepIds&, int64_t ts) { return fn(v, ts); }, nullptr);
}

Matrix Evaluator::RangeEvalIds(const std::vector<const Expr*>& args, const StepFuncIds& fn,
                               const InitFunc& init) {
  std::vector<Matrix> mats(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i]->Type() == ValueType::kString) continue;
    EvalValue v = Eval(*args[i]);
    mats[i] = std::move(std::get<Matrix>(v));
  }
  return RangeEvalMats(std::move(mats), fn, init);
}

Matrix Evaluator::RangeEvalMats(std::vector<Matrix> mats, const StepFuncIds& fn,
                                const InitFunc& init) {
  const size_t nargs = mats.size();
  if (init) init(mats);
  std::vector<std::vector<size_t>> cursors(nargs);
  for (size_t i = 0; i < nargs; ++i) cursors[i].assign(mats[i].size(), 0);
  std::vector<Vector> vecs(nargs);
  StepIds ids(nargs);
  const bool instant = start_ == end_;
  Matrix out;
  std::unordered_map<uint64_t, std::pair<size_t, int64_t>> index;  // hash -> (series, last ts)
  for (int64_t ts = start_; ts <= end_; ts += interval_) {
    for (size_t i = 0; i < nargs; ++i) {
      vecs[i].clear();
      ids[i].clear();
      for (size_t k = 0; k < mats[i].size(); ++k) {
        Series& s = mats[i][k];
        size_t& c = cursors[i][k];
        if (c < s.floats.size() && s.floats[c].t == ts) {
          // The labels are lent to the step vector and taken back after the step: step
          // functions only read their inputs.
          vecs[i].push_back(Sample{std::move(s.metric), ts, s.floats[c].f, s.drop_name});
          ids[i].push_back(static_cast<uint32_t>(k));
          ++c;
        }
      }
    }
    if (++deadline_counter_ % 16 == 0) CheckDeadline();
    Vector res = fn(vecs, ids, ts);
    for (size_t i = 0; i < nargs; ++i) {
      for (size_t k = 0; k < vecs[i].size(); ++k) {
        mats[i][ids[i][k]].metric = std::move(vecs[i][k].metric);
      }
    }
    AddSamples(static_cast<int64_t>(res.size()));
    if (instant) {
      for (Sample& smp : res) {
        Series s;
        s.metric = std::move(smp.metric);
        s.drop_name = smp.drop_name;
        s.floats.push_back({ts, smp.f});
        out.push_back(std::move(s));
      }
      for (const Matrix& m : mats) ReleaseSamples(CountPoints(m));
      return out;
    }
    for (Sample& smp : res) {
      uint64_t h = LabelsKey(smp.metric);
      auto it = index.find(h);
      if (it == index.end()) {
        index.emplace(h, std::make_pair(out.size(), ts));
        Series s;
        s.metric = std::move(smp.metric);
        s.drop_name = smp.drop_name;
        s.floats.reserve(static_cast<size_t>((end_ - ts) / interval_) + 1);
        s.floats.push_back({ts, smp.f});
        out.push_back(std::move(s));
      } else {
        if (it->second.second == ts) {
          ThrowExecution("vector cannot contain metrics with the same labelset");
        }
        it->second.second = ts;
        out[it->second.first].floats.push_back({ts, smp.f});
      }
    }
  }
  for (const Matrix& m : mats) ReleaseSamples(CountPoints(m));
  return out;
}

Matrix Evaluator::EvalTimestampOfSelector(const Expr& call, const Expr& e) {
  const int64_t lookback = ctx_.opts->lookback_delta_ms;
  auto series = Select(e, AtTime(e, start_) - lookback, AtTime(e, end_));
  Matrix out;
  for (LoadedSeries& ls : series) {
    Series s;
    s.drop_name = true;
    const auto& pts = ls.points;
    for (int64_t ts = start_; ts <= end_; ts += interval_) {
      int64_t ref = AtTime(e, ts);
      auto it = std::upper_bound(pts.begin(), pts.end(), ref,
                                 [](int64_t t, const FPoint& p) { return t < p.t; });
      if (it == pts.begin()) continue;
      --it;
      if (it->t <= ref - lookback || storage::IsStaleNaN(it->f)) continue;
      s.floats.push_back({ts, static_cast<double>(it->t) / 1000.0});
    }
    ReleaseSamples(static_cast<int64_t>(pts.size()) - static_cast<int64_t>(s.floats.size()));
    if (s.floats.empty()) continue;
    s.metric = std::move(ls.metric);
    out.push_back(std::move(s));
  }
  return out;
}

// Labels for absent()/absent_over_time(): the equality matchers of a plain selector.
Labels AbsentLabels(const Expr& arg) {
  const Expr* vs = nullptr;
  if (arg.kind == Expr::Kind::kVectorSelector) vs = &arg;
  if (arg.kind == Expr::Kind::kMatrixSelector) vs = arg.args[0].get();
  Labels out;
  if (!vs) return out;
  std::vector<std::string> seen;
  for (const Matcher& m : vs->matchers) {
    if (m.name() == kMetricName) continue;
    bool has = std::find(seen.begin(), seen.end(), m.name()) != seen.end();
    if (m.type() == MatchType::kEqual && !has) {
      out.Set(m.name(), m.value());
      seen.push_back(m.name());
    } else {
      out.Del(m.name());
    }
  }
  return out;
}

Matrix Evaluator::EvalCall(const Expr& e) {
  const std::string& name = e.str;
  if (name == "timestamp") {
    const Expr& arg = Unparen(*e.args[0]);
    if (arg.kind == Expr::Kind::kVectorSelector) return EvalTimestampOfSelector(e, arg);
  }
  for (size_t i = 0; i < e.args.size(); ++i) {
    const Expr& a = Unparen(*e.args[i]);
    if (a.kind == Expr::Kind::kMatrixSelector || a.kind == Expr::Kind::kSubquery) {
      return EvalRangeFunction(e, i);
    }
  }
  if (name == "info") return EvalInfo(e);
  if (name == "absent") {
    Labels lbls = AbsentLabels(*e.args[0]);
    return RangeEval({e.args[0].get()}, [&](std::vector<Vector>& args, int64_t ts) {
      Vector out;
      if (args[0].empty()) out.push_back(Sample{lbls, ts, 1, true});
      return out;
    });
  }
  if (start_ != end_ && name.starts_with("sort")) {
    annos().Warn(
        "sort is ineffective for range queries since results are always ordered by "
        "labels" +
        PosSuffix(e));
  }
  std::vector<const Expr*> args;
  for (const auto& a : e.args) args.push_back(a.get());
  return RangeEval(args, [&](std::vector<Vector>& vals, int64_t ts) {
    return CallInstantFunction(*this, e, vals, ts);
  });
}
Matrix Evaluator::EvalAggregate(const Expr& e) {
  std::vector<const Expr*> args;
  std::string string_param;
  const Expr* param = e.agg_param();
  if (param && param->Type() == ValueType::kString) {
    string_param = Unparen(*param).str;
    args.push_back(&e.agg_expr());
    return RangeEval(args, [&](std::vector<Vector>& v, int64_t ts) {
      return Aggregate(*this, e, v[0], 0, string_param, nullptr);
    });
  }
  if (!param && CanAggregateMatrix(e)) {
    return AggregateMatrix(*this, e, std::move(std::get<Matrix>(Eval(e.agg_expr()))));
  }
  if (param) args.push_back(param);
  args.push_back(&e.agg_expr());
  // Grouping hash per input series, computed once.
  std::vector<uint64_t> series_hash;
  std::vector<std::string> grouping = e.grouping;
  if (e.without) grouping.push_back(std::string(kMetricName));
  std::vector<uint64_t> step_hash;
  return RangeEvalIds(
      args,
      [&](std::vector<Vector>& v, const StepIds& ids, int64_t ts) {
        double p = 0;
        if (param) p = v[0].empty() ? std::nan("") : v[0][0].f;
        step_hash.clear();
        for (uint32_t id : ids.back()) step_hash.push_back(series_hash[id]);
        return Aggregate(*this, e, v.back(), p, string_param, &step_hash);
      },
      [&](const std::vector<Matrix>& mats) {
        for (const Series& s : mats.back()) {
          series_hash.push_back(e.without ? s.metric.HashWithoutLabels(grouping)
                                          : s.metric.HashForLabels(grouping));
        }
      });
}

Matrix Evaluator::EvalBinary(const Expr& e) {
  ValueType lt = e.lhs().Type(), rt = e.rhs().Type();
  if (lt == ValueType::kScalar && rt == ValueType::kScalar) {
    return RangeEval({&e.lhs(), &e.rhs()}, [&](std::vector<Vector>& v, int64_t ts) {
      Vector out;
      out.push_back(Sample{Labels(), ts, ScalarBinop(e.op, v[0][0].f, v[1][0].f), false});
      return out;
    });
  }
  if (lt == ValueType::kVector && rt == ValueType::kVector && start_ != end_ && CanBinopMatrix(e)) {
    Matrix lhs = std::move(std::get<Matrix>(Eval(e.lhs())));
    Matrix rhs = std::move(std::get<Matrix>(Eval(e.rhs())));
    return BinopMatrix(*this, e, std::move(lhs), std::move(rhs));
  }
  if (lt == ValueType::kVector && rt == ValueType::kVector) {
    // Matching signatures per input series, computed once.
    std::vector<uint64_t> series_sig[2], step_sig[2];
    static const VectorMatching kDefault;
    const VectorMatching& m = e.matching ? *e.matching : kDefault;
    auto init = [&](const std::vector<Matrix>& mats) {
      for (int side = 0; side < 2; ++side) {
        for (const Series& s : mats[side]) {
          series_sig[side].push_back(SignatureOf(s.metric, m.on, m.matching_labels));
        }
      }
    };
    auto step = [&](std::vector<Vector>& v, const StepIds& ids, int64_t) {
      for (int side = 0; side < 2; ++side) {
        step_sig[side].clear();
        for (uint32_t id : ids[side]) step_sig[side].push_back(series_sig[side][id]);
      }
      if (IsSetOp(e.op)) return SetBinop(e, v[0], v[1], step_sig[0], step_sig[1]);
      return VectorBinop(e, v[0], v[1], step_sig[0], step_sig[1]);
    };
    return RangeEvalIds({&e.lhs(), &e.rhs()}, step, init);
  }
  if (start_ != end_) {
    Matrix lhs = std::move(std::get<Matrix>(Eval(e.lhs())));
    Matrix rhs = std::move(std::get<Matrix>(Eval(e.rhs())));
    if (lt == ValueType::kVector) return VectorScalarMatrix(*this, e, std::move(lhs), rhs, false);
    return VectorScalarMatrix(*this, e, std::move(rhs), lhs, true);
  }
  if (lt == ValueType::kVector) {
    return RangeEval({&e.lhs(), &e.rhs()}, [&](std::vector<Vector>& v, int64_t) {
      return VectorScalarBinop(e, v[0], v[1][0].f, false);
    });
  }
  return RangeEval({&e.lhs(), &e.rhs()}, [&](std::vector<Vector>& v, int64_t) {
    return VectorScalarBinop(e, v[1], v[0][0].f, true);
  });
}

}  // namespace abhra::promql
