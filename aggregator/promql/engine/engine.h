// The PromQL engine: evaluates parsed expressions against a storage::Queryable with
// Prometheus' semantics (lookback delta, staleness markers, delayed __name__ removal, ...).
//
// Errors (Result status codes), for the HTTP layer's mapping (see ClassifyQueryError):
//   InvalidArgument    -> bad_data  (parse errors, bad query parameters)
//   Timeout            -> timeout   (QueryOptions::timeout passed)
//   ResourceExhausted  -> execution ("query processing would load too many samples into
//                                     memory in query execution")
//   OutOfBounds        -> execution (any other run-time error, e.g. duplicate output series)
//   other codes        -> execution, except Internal -> internal
// An Engine is stateless and thread-safe; each query creates its own evaluator.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/promql/engine/value.h"
#include "aggregator/promql/parser/ast.h"
#include "aggregator/storage/storage.h"
#include "common/base/status.h"

namespace abhra::promql {

struct QueryOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  std::chrono::milliseconds timeout{2 * 60 * 1000};
  // Upper bound on samples held in memory at once by one query.
  int64_t max_samples = 50'000'000;
  // Step of subqueries written without one (`x[1h:]`), in ms.
  int64_t default_subquery_step_ms = 60 * 1000;
};

struct QueryResult {
  Value value;
  std::vector<std::string> warnings;  // "PromQL warning: ..."
  std::vector<std::string> infos;     // "PromQL info: ..."
};

enum class QueryErrorType { kBadData, kExecution, kTimeout, kCanceled, kInternal };
QueryErrorType ClassifyQueryError(const Status& s);
std::string_view QueryErrorTypeName(QueryErrorType t);  // "bad_data", "execution", ...

// Functions whose result depends on the evaluation time even when their arguments do not
// (time(), timestamp(), hour(), predict_linear(), ...), as Prometheus' AtModifierUnsafeFunctions.
bool IsAtModifierUnsafeFunction(std::string_view name);

inline constexpr std::string_view kTooManySamplesMessage =
    "query processing would load too many samples into memory in query execution";

class Engine {
 public:
  // Instant query at `time_ms`: a Scalar, String, Vector or (for a range selector or
  // subquery at top level) Matrix.
  Result<QueryResult> InstantQuery(storage::Queryable& db, std::string_view query,
                                   int64_t time_ms, const QueryOptions& opts) const;
  // Range query over [start_ms, end_ms] every step_ms (> 0): always a Matrix sorted by labels.
  Result<QueryResult> RangeQuery(storage::Queryable& db, std::string_view query,
                                 int64_t start_ms, int64_t end_ms, int64_t step_ms,
                                 const QueryOptions& opts) const;

  // The same over an already parsed expression.
  Result<QueryResult> InstantQuery(storage::Queryable& db, const Expr& expr, int64_t time_ms,
                                   const QueryOptions& opts) const;
  Result<QueryResult> RangeQuery(storage::Queryable& db, const Expr& expr, int64_t start_ms,
                                 int64_t end_ms, int64_t step_ms,
                                 const QueryOptions& opts) const;
};

}  // namespace abhra::promql
