// Parses PromQL text into an Expr tree, with Prometheus' grammar, precedence and type checks.
// Errors are InvalidArgument with Prometheus' text: `1:15: parse error: unexpected ...`.
#pragma once

#include <memory>
#include <string_view>

#include "aggregator/promql/parser/ast.h"
#include "common/base/status.h"

namespace abhra::promql {

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view query);

// Duration expressions that use step() or range() are kept as text on the node
// (range_text, step_text, offset_text) and resolved per query: ResolveDurationExprs sets
// the millisecond fields from the query's step and range (both 0 for instant queries).
Result<int64_t> EvalDurationExpr(std::string_view text, int64_t step_ms, int64_t range_ms);
void ResolveDurationExprs(Expr* e, int64_t step_ms, int64_t range_ms);
bool HasDurationExprs(const Expr& e);

// Parses a metric selector such as `up{job="x"}` into its matchers (for the series API).
Result<std::vector<Matcher>> ParseMetricSelector(std::string_view selector);

}  // namespace abhra::promql
