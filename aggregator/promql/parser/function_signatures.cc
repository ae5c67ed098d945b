#include "aggregator/promql/parser/function_signatures.h"

#include <unordered_map>

namespace abhra::promql {
namespace {

constexpr ValueType S = ValueType::kScalar;
constexpr ValueType V = ValueType::kVector;
constexpr ValueType M = ValueType::kMatrix;
constexpr ValueType Str = ValueType::kString;

const std::vector<FunctionSignature>& AllFunctions() {
  static const std::vector<FunctionSignature> kFunctions = {
      {"abs", {V}, 0}, {"absent", {V}, 0}, {"absent_over_time", {M}, 0},
      {"acos", {V}, 0}, {"acosh", {V}, 0}, {"asin", {V}, 0}, {"asinh", {V}, 0},
      {"atan", {V}, 0}, {"atanh", {V}, 0}, {"avg_over_time", {M}, 0},
      {"ceil", {V}, 0}, {"changes", {M}, 0}, {"clamp", {V, S, S}, 0},
      {"clamp_max", {V, S}, 0}, {"clamp_min", {V, S}, 0}, {"cos", {V}, 0},
      {"cosh", {V}, 0}, {"count_over_time", {M}, 0}, {"days_in_month", {V}, 1},
      {"day_of_month", {V}, 1}, {"day_of_week", {V}, 1}, {"day_of_year", {V}, 1},
      {"deg", {V}, 0}, {"delta", {M}, 0}, {"deriv", {M}, 0}, {"exp", {V}, 0},
      {"floor", {V}, 0}, {"histogram_avg", {V}, 0}, {"histogram_count", {V}, 0},
      {"histogram_sum", {V}, 0}, {"histogram_stddev", {V}, 0},
      {"histogram_stdvar", {V}, 0}, {"histogram_fraction", {S, S, V}, 0},
      {"histogram_quantile", {S, V}, 0},
      {"histogram_quantiles", {V, Str, S}, -1},
      {"double_exponential_smoothing", {M, S, S}, 0},
      {"holt_winters", {M, S, S}, 0},
      {"hour", {V}, 1}, {"idelta", {M}, 0}, {"increase", {M}, 0},
      {"irate", {M}, 0}, {"label_replace", {V, Str, Str, Str, Str}, 0},
      {"label_join", {V, Str, Str, Str}, -1}, {"last_over_time", {M}, 0},
      {"first_over_time", {M}, 0}, {"ln", {V}, 0}, {"log10", {V}, 0}, {"log2", {V}, 0},
      {"mad_over_time", {M}, 0}, {"max_over_time", {M}, 0}, {"min_over_time", {M}, 0},
      {"minute", {V}, 1}, {"month", {V}, 1}, {"pi", {}, 0, S},
      {"predict_linear", {M, S}, 0}, {"present_over_time", {M}, 0},
      {"quantile_over_time", {S, M}, 0}, {"rad", {V}, 0}, {"rate", {M}, 0},
      {"resets", {M}, 0}, {"round", {V, S}, 1}, {"scalar", {V}, 0, S}, {"sgn", {V}, 0},
      {"sin", {V}, 0}, {"sinh", {V}, 0}, {"sort", {V}, 0}, {"sort_desc", {V}, 0},
      {"sort_by_label", {V, Str}, -1}, {"sort_by_label_desc", {V, Str}, -1},
      {"sqrt", {V}, 0}, {"stddev_over_time", {M}, 0}, {"stdvar_over_time", {M}, 0},
      {"sum_over_time", {M}, 0}, {"tan", {V}, 0}, {"tanh", {V}, 0},
      {"time", {}, 0, S}, {"timestamp", {V}, 0}, {"vector", {S}, 0},
      {"year", {V}, 1}, {"ts_of_max_over_time", {M}, 0}, {"ts_of_min_over_time", {M}, 0},
      {"ts_of_last_over_time", {M}, 0}, {"ts_of_first_over_time", {M}, 0},
      {"step", {}, 0, S}, {"range", {}, 0, S}, {"start", {}, 0, S}, {"end", {}, 0, S},
      {"min_of", {S, S}, 0, S}, {"info", {V, V}, 1}, {"max_of", {S, S}, 0, S},
  };
  return kFunctions;
}

}  // namespace

const FunctionSignature* FindFunction(std::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const FunctionSignature*>();
    for (const auto& f : AllFunctions()) (*m)[f.name] = &f;
    return m;
  }();
  auto it = index->find(name);
  return it == index->end() ? nullptr : it->second;
}

}  // namespace abhra::promql
