// The PromQL syntax tree. One Expr struct with a Kind tag; fields not used by a kind stay
// empty. Times and durations are milliseconds. Trees are owned top-down by unique_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/labels/matcher.h"

namespace abhra::promql {

enum class ValueType { kNone, kScalar, kVector, kMatrix, kString };
std::string_view ValueTypeName(ValueType t);  // "scalar", "instant vector", "range vector", ...

enum class TokenOp {
  kNone,
  // binary, lowest to highest precedence
  kLOr, kLAnd, kLUnless,
  kEql, kNeq, kLte, kLss, kGte, kGtr,
  kAdd, kSub,
  kMul, kDiv, kMod, kAtan2,
  kPow,
};
std::string_view OpString(TokenOp op);
bool IsComparisonOp(TokenOp op);
bool IsSetOp(TokenOp op);

enum class AggOp {
  kSum, kAvg, kCount, kMin, kMax, kGroup, kStddev, kStdvar, kTopK, kBottomK, kCountValues,
  kQuantile, kLimitK, kLimitRatio,
};
std::string_view AggOpString(AggOp op);

enum class Cardinality { kOneToOne, kManyToOne, kOneToMany, kManyToMany };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  std::vector<std::string> matching_labels;  // on(...) or ignoring(...)
  bool on = false;                           // true: on(); false: ignoring()
  std::vector<std::string> include;          // group_left/right(...) labels
  bool explicit_matching = false;            // on/ignoring was written
  // fill()/fill_left()/fill_right(): value for a missing left/right operand.
  std::optional<double> fill_left, fill_right;
};

// An @ modifier: a fixed time or the query's start()/end().
enum class AtKind { kNone, kTime, kStart, kEnd };

struct Expr {
  enum class Kind {
    kNumber, kString, kVectorSelector, kMatrixSelector, kSubquery, kParen, kUnary, kBinary,
    kAggregate, kCall,
  };
  Kind kind;
  size_t pos = 0;  // byte offset of the node's first character in the query text

  double number = 0;        // kNumber
  std::string str;          // kString value; kCall function name; kVectorSelector metric name
  std::vector<Matcher> matchers;  // kVectorSelector, including any __name__ matcher

  // kVectorSelector, kSubquery: modifiers.
  int64_t offset_ms = 0;
  // Range selector modifiers (on the inner selector of a kMatrixSelector): anchored takes the
  // last sample at or before each window edge, smoothed interpolates at the edges.
  bool anchored = false;
  bool smoothed = false;
  AtKind at = AtKind::kNone;
  int64_t at_ms = 0;        // when at == kTime
  // kMatrixSelector / kSubquery: range; kSubquery: step (0 = default resolution).
  int64_t range_ms = 0;
  int64_t step_ms = 0;
  // Source text of a duration expression using step()/range() (see ResolveDurationExprs).
  std::string range_text, step_text, offset_text;

  TokenOp op = TokenOp::kNone;  // kUnary (kAdd/kSub), kBinary
  bool return_bool = false;     // kBinary comparison with `bool`
  std::optional<VectorMatching> matching;  // kBinary between two vectors

  AggOp agg = AggOp::kSum;      // kAggregate
  std::vector<std::string> grouping;
  bool without = false;
  bool grouping_given = false;  // by/without was written (even empty)

  // Children: kMatrixSelector/kSubquery/kParen/kUnary: args[0]; kBinary: lhs, rhs;
  // kAggregate: [param,] expr; kCall: the arguments.
  std::vector<std::unique_ptr<Expr>> args;
  bool agg_has_param = false;

  const Expr& lhs() const { return *args[0]; }
  const Expr& rhs() const { return *args[1]; }
  // kAggregate: the aggregated expression and its parameter (null when none).
  const Expr& agg_expr() const { return *args.back(); }
  const Expr* agg_param() const { return agg_has_param ? args[0].get() : nullptr; }

  ValueType Type() const;
  std::string ToString() const;  // Prometheus' canonical text
  std::unique_ptr<Expr> Clone() const;
};

}  // namespace abhra::promql
