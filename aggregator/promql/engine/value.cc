#include "aggregator/promql/engine/value.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace abhra::promql {

std::string FormatFloatFixed(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];  // the longest fixed form of a double has 1077 digits only for denormals
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (r.ec != std::errc()) return fmt::format("{}", v);
  return std::string(buf, r.ptr);
}

std::string_view ResultTypeName(const Value& v) {
  switch (v.index()) {
    case 0: return "scalar";
    case 1: return "string";
    case 2: return "vector";
    default: return "matrix";
  }
}

}  // namespace abhra::promql
