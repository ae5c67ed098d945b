// JSON field paths and conditions on a JSON body, as used by HTTP checks and health targets.
//
//   path       := "$" ( "." NAME | "[" INDEX "]" | "['" KEY "']" | "[\"" KEY "\"]" )*
//   condition  := path OP literal          OP := == != < <= > >=
//   literal    := "string" | 'string' | number | true | false | null
//
// "$.status == \"UP\"", "$.checks[0].ok == true", "$.db.latency_ms < 250".
// A condition whose path does not resolve is false. == and != compare type and value (a
// number equals a number of the same value, 3 == 3.0); < <= > >= need numbers on both sides
// and are false otherwise. Immutable after parsing; thread-safe to share.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/base/status.h"

namespace abhra::probe {

class JsonPath {
 public:
  // InvalidArgument saying where the path went wrong.
  static Result<JsonPath> Parse(std::string_view text);

  // The element at the path, or nullptr when any step is missing or of the wrong kind.
  const nlohmann::json* Lookup(const nlohmann::json& root) const;
  const std::string& text() const { return text_; }

 private:
  using Step = std::variant<std::string, size_t>;  // object key or array index
  std::string text_;
  std::vector<Step> steps_;
};

// Renders a JSON scalar as a label value: strings without quotes, numbers and booleans as
// JSON prints them; objects/arrays as compact JSON.
std::string JsonScalarToString(const nlohmann::json& value);

class JsonCondition {
 public:
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

  static Result<JsonCondition> Parse(std::string_view text);

  // False when the path is missing or the types do not compare.
  bool Evaluate(const nlohmann::json& root) const;
  const std::string& text() const { return text_; }

 private:
  JsonCondition() = default;
  std::string text_;
  JsonPath path_;
  Op op_ = Op::kEq;
  std::variant<std::monostate, std::string, double, bool, std::nullptr_t> literal_;
};

}  // namespace abhra::probe
