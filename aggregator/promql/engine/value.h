// PromQL result values: scalar, string, instant vector, range vector (matrix). Timestamps are
// milliseconds; values float64. Series labels are final (any __name__ drop already applied).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "common/labels/labels.h"

namespace abhra::promql {

struct FPoint {
  int64_t t = 0;
  double f = 0;
};

// One element of an instant vector. `drop_name` is the engine's delayed-__name__-removal mark;
// it is always false in a QueryResult.
struct Sample {
  Labels metric;
  int64_t t = 0;
  double f = 0;
  bool drop_name = false;
};
using Vector = std::vector<Sample>;

struct Series {
  Labels metric;
  std::vector<FPoint> floats;  // increasing t
  bool drop_name = false;
};
using Matrix = std::vector<Series>;

struct Scalar {
  int64_t t = 0;
  double v = 0;
};

struct StringValue {
  int64_t t = 0;
  std::string v;
};

using Value = std::variant<Scalar, StringValue, Vector, Matrix>;

// "scalar", "string", "vector", "matrix" as the HTTP API's resultType.
std::string_view ResultTypeName(const Value& v);

// The HTTP API encodes values as JSON: aggregator/api/value_json.h.
// Go's strconv.FormatFloat(v, 'f', -1, 64): shortest round-trip digits, never an exponent.
std::string FormatFloatFixed(double v);

}  // namespace abhra::promql
