// Parses PromQL text into an Expr tree, with Prometheus' grammar, precedence and type checks.
// Errors are InvalidArgument with Prometheus' text: `1:15: parse error: unexpected ...`.
#pragma once

#include <memory>
#include <string_view>

#include "aggregator/promql/parser/ast.h"
#include "common/base/status.h"

namespace abhra::promql {

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view query);

// Parses a metric selector such as `up{job="x"}` into its matchers (for the series API).
Result<std::vector<Matcher>> ParseMetricSelector(std::string_view selector);

}  // namespace abhra::promql
