#include "aggregator/promql/engine/engine.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "aggregator/promql/engine/evaluator.h"
#include "aggregator/promql/parser/parser.h"

namespace abhra::promql {
namespace {

// Earliest/latest sample time (ms) any selector of `e` can read, for the querier's window.
void FindTimeRange(const Expr& e, int64_t start, int64_t end, int64_t lookback,
                   int64_t query_start, int64_t query_end, int64_t* mint, int64_t* maxt) {
  auto at_of = [&](const Expr& x, int64_t ts) {
    switch (x.at) {
      case AtKind::kTime: return x.at_ms;
      case AtKind::kStart: return query_start;
      case AtKind::kEnd: return query_end;
      default: return ts;
    }
  };
  switch (e.kind) {
    case Expr::Kind::kVectorSelector:
      *mint = std::min(*mint, at_of(e, start) - e.offset_ms - lookback);
      *maxt = std::max(*maxt, at_of(e, end) - e.offset_ms + (e.smoothed ? lookback : 0));
      return;
    case Expr::Kind::kMatrixSelector: {
      const Expr& vs = *e.args[0];
      const bool extend = vs.anchored || vs.smoothed;
      *mint = std::min(*mint, at_of(vs, start) - vs.offset_ms - e.range_ms -
                                  (extend ? lookback : 0));
      *maxt = std::max(*maxt, at_of(vs, end) - vs.offset_ms + (vs.smoothed ? lookback : 0));
      return;
    }
    case Expr::Kind::kSubquery: {
      int64_t s = at_of(e, start) - e.offset_ms - e.range_ms;
      int64_t en = at_of(e, end) - e.offset_ms;
      FindTimeRange(*e.args[0], s, en, lookback, query_start, query_end, mint, maxt);
      return;
    }
    default:
      for (const auto& a : e.args) {
        FindTimeRange(*a, start, end, lookback, query_start, query_end, mint, maxt);
      }
  }
}

Status ApplyDelayedNameRemoval(Matrix* m) {
  bool any = false;
  for (Series& s : *m) {
    if (s.drop_name) {
      // With the name go the metadata labels that describe it.
      static const std::vector<std::string> kReserved = {"__name__", "__type__", "__unit__"};
      s.metric = s.metric.Without(kReserved);
      any = true;
    }
    s.drop_name = false;
  }
  if (!any) return Status::Ok();
  // Series that now share a label set are merged when their points do not overlap in time.
  std::unordered_map<uint64_t, size_t> index;
  Matrix out;
  for (Series& s : *m) {
    uint64_t h = LabelsKey(s.metric);
    auto it = index.find(h);
    if (it == index.end()) {
      index.emplace(h, out.size());
      out.push_back(std::move(s));
      continue;
    }
    Series& dst = out[it->second];
    std::vector<FPoint> merged;
    merged.reserve(dst.floats.size() + s.floats.size());
    std::merge(dst.floats.begin(), dst.floats.end(), s.floats.begin(), s.floats.end(),
               std::back_inserter(merged),
               [](const FPoint& a, const FPoint& b) { return a.t < b.t; });
    for (size_t i = 1; i < merged.size(); ++i) {
      if (merged[i].t == merged[i - 1].t) {
        return Status::OutOfBounds("vector cannot contain metrics with the same labelset");
      }
    }
    dst.floats = std::move(merged);
  }
  *m = std::move(out);
  return Status::Ok();
}

Result<QueryResult> ExecResolved(storage::Queryable& db, const Expr& expr, int64_t start,
                                 int64_t end, int64_t step, bool instant,
                                 const QueryOptions& opts, std::string_view query);

Result<QueryResult> Exec(storage::Queryable& db, const Expr& expr, int64_t start, int64_t end,
                         int64_t step, bool instant, const QueryOptions& opts,
                         std::string_view query) {
  if (!instant) {
    if (step <= 0) {
      return Status::InvalidArgument(
          "zero or negative query resolution step widths are not accepted. Try a positive "
          "integer");
    }
    if (end < start) return Status::InvalidArgument("end timestamp must not be before start time");
    ValueType t = expr.Type();
    if (t != ValueType::kScalar && t != ValueType::kVector) {
      return Status::InvalidArgument(fmt::format(
          "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
          ValueTypeName(t)));
    }
  }
  std::unique_ptr<Expr> resolved;
  if (HasDurationExprs(expr)) {
    resolved = expr.Clone();
    ResolveDurationExprs(resolved.get(), instant ? 0 : step, end - start);
  }
  const Expr& e = resolved ? *resolved : expr;
  return ExecResolved(db, e, start, end, step, instant, opts, query);
}

Result<QueryResult> ExecResolved(storage::Queryable& db, const Expr& expr, int64_t start,
                                 int64_t end, int64_t step, bool instant,
                                 const QueryOptions& opts, std::string_view query) {
  int64_t mint = std::numeric_limits<int64_t>::max(), maxt = std::numeric_limits<int64_t>::min();
  FindTimeRange(expr, start, end, opts.lookback_delta_ms, start, end, &mint, &maxt);
  if (mint > maxt) {
    mint = start;
    maxt = end;
  }
  auto querier = db.MakeQuerier(mint, maxt);
  if (!querier.ok()) return querier.status();

  Annotations annos;
  Evaluator::Context ctx;
  ctx.querier = querier->get();
  ctx.opts = &opts;
  ctx.deadline = std::chrono::steady_clock::now() + opts.timeout;
  ctx.annos = &annos;
  ctx.query_start = start;
  ctx.query_end = end;
  ctx.query_step = instant ? 0 : step;
  ctx.query = query;
  std::atomic<int64_t> current_samples{0};
  ctx.current_samples = &current_samples;
  QueryResult result;
  try {
    Evaluator ev(ctx, start, end, instant ? 1 : step);
    EvalValue v = ev.Eval(expr);
    if (auto* s = std::get_if<StringValue>(&v)) {
      result.value = *s;
    } else {
      Matrix m = std::move(std::get<Matrix>(v));
      ABHRA_RETURN_IF_ERROR(ApplyDelayedNameRemoval(&m));
      ValueType t = expr.Type();
      if (!instant) {
        std::sort(m.begin(), m.end(),
                  [](const Series& a, const Series& b) { return a.metric < b.metric; });
        result.value = std::move(m);
      } else if (t == ValueType::kScalar) {
        double val = m.empty() || m[0].floats.empty() ? std::nan("") : m[0].floats[0].f;
        result.value = Scalar{start, val};
      } else if (t == ValueType::kMatrix) {
        result.value = std::move(m);
      } else {
        Vector vec;
        vec.reserve(m.size());
        for (Series& s : m) {
          if (s.floats.empty()) continue;
          vec.push_back(Sample{std::move(s.metric), start, s.floats[0].f, false});
        }
        result.value = std::move(vec);
      }
    }
  } catch (const EvalError& err) {
    return err.status;
  }
  result.warnings = std::move(annos.warnings);
  result.infos = std::move(annos.infos);
  return result;
}

}  // namespace

QueryErrorType ClassifyQueryError(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument: return QueryErrorType::kBadData;
    case Status::Code::kTimeout: return QueryErrorType::kTimeout;
    case Status::Code::kInternal: return QueryErrorType::kInternal;
    default: return QueryErrorType::kExecution;
  }
}

std::string_view QueryErrorTypeName(QueryErrorType t) {
  switch (t) {
    case QueryErrorType::kBadData: return "bad_data";
    case QueryErrorType::kExecution: return "execution";
    case QueryErrorType::kTimeout: return "timeout";
    case QueryErrorType::kCanceled: return "canceled";
    case QueryErrorType::kInternal: return "internal";
  }
  return "internal";
}

Result<QueryResult> Engine::InstantQuery(storage::Queryable& db, std::string_view query,
                                         int64_t time_ms, const QueryOptions& opts) const {
  ABHRA_ASSIGN_OR_RETURN(auto expr, ParseExpr(query));
  return Exec(db, *expr, time_ms, time_ms, 0, true, opts, query);
}

Result<QueryResult> Engine::RangeQuery(storage::Queryable& db, std::string_view query,
                                       int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                       const QueryOptions& opts) const {
  ABHRA_ASSIGN_OR_RETURN(auto expr, ParseExpr(query));
  return Exec(db, *expr, start_ms, end_ms, step_ms, false, opts, query);
}

Result<QueryResult> Engine::InstantQuery(storage::Queryable& db, const Expr& expr,
                                         int64_t time_ms, const QueryOptions& opts) const {
  return Exec(db, expr, time_ms, time_ms, 0, true, opts, "");
}

Result<QueryResult> Engine::RangeQuery(storage::Queryable& db, const Expr& expr,
                                       int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                       const QueryOptions& opts) const {
  return Exec(db, expr, start_ms, end_ms, step_ms, false, opts, "");
}

}  // namespace abhra::promql
