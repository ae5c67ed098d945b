// Signatures of the PromQL functions the parser accepts (argument and return types).
#pragma once

#include <string_view>
#include <vector>

#include "aggregator/promql/parser/ast.h"

namespace abhra::promql {

struct FunctionSignature {
  std::string_view name;
  std::vector<ValueType> arg_types;
  // As Prometheus: 0 = exactly arg_types; -1 = at least size-1, the last type repeating;
  // N > 0 = between size-1 and size-1+N arguments.
  int variadic = 0;
  ValueType return_type = ValueType::kVector;
};

// nullptr when `name` is no PromQL function.
const FunctionSignature* FindFunction(std::string_view name);

}  // namespace abhra::promql
