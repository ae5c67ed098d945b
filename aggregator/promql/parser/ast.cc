#include "aggregator/promql/parser/ast.h"

#include <cmath>

#include <fmt/format.h>

#include "aggregator/promql/parser/function_signatures.h"
#include "aggregator/promql/parser/lexer.h"

namespace abhra::promql {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNone: return "none";
    case ValueType::kScalar: return "scalar";
    case ValueType::kVector: return "instant vector";
    case ValueType::kMatrix: return "range vector";
    case ValueType::kString: return "string";
  }
  return "unknown";
}

std::string_view OpString(TokenOp op) {
  switch (op) {
    case TokenOp::kLOr: return "or";
    case TokenOp::kLAnd: return "and";
    case TokenOp::kLUnless: return "unless";
    case TokenOp::kEql: return "==";
    case TokenOp::kNeq: return "!=";
    case TokenOp::kLte: return "<=";
    case TokenOp::kLss: return "<";
    case TokenOp::kGte: return ">=";
    case TokenOp::kGtr: return ">";
    case TokenOp::kAdd: return "+";
    case TokenOp::kSub: return "-";
    case TokenOp::kMul: return "*";
    case TokenOp::kDiv: return "/";
    case TokenOp::kMod: return "%";
    case TokenOp::kAtan2: return "atan2";
    case TokenOp::kPow: return "^";
    case TokenOp::kNone: return "";
  }
  return "";
}

bool IsComparisonOp(TokenOp op) {
  return op == TokenOp::kEql || op == TokenOp::kNeq || op == TokenOp::kLte ||
         op == TokenOp::kLss || op == TokenOp::kGte || op == TokenOp::kGtr;
}

bool IsSetOp(TokenOp op) {
  return op == TokenOp::kLAnd || op == TokenOp::kLOr || op == TokenOp::kLUnless;
}

std::string_view AggOpString(AggOp op) {
  switch (op) {
    case AggOp::kSum: return "sum";
    case AggOp::kAvg: return "avg";
    case AggOp::kCount: return "count";
    case AggOp::kMin: return "min";
    case AggOp::kMax: return "max";
    case AggOp::kGroup: return "group";
    case AggOp::kStddev: return "stddev";
    case AggOp::kStdvar: return "stdvar";
    case AggOp::kTopK: return "topk";
    case AggOp::kBottomK: return "bottomk";
    case AggOp::kCountValues: return "count_values";
    case AggOp::kQuantile: return "quantile";
    case AggOp::kLimitK: return "limitk";
    case AggOp::kLimitRatio: return "limit_ratio";
  }
  return "";
}

ValueType Expr::Type() const {
  switch (kind) {
    case Kind::kNumber: return ValueType::kScalar;
    case Kind::kString: return ValueType::kString;
    case Kind::kVectorSelector: return ValueType::kVector;
    case Kind::kMatrixSelector: return ValueType::kMatrix;
    case Kind::kSubquery: return ValueType::kMatrix;
    case Kind::kParen: return args[0]->Type();
    case Kind::kUnary: return args[0]->Type();
    case Kind::kBinary:
      return lhs().Type() == ValueType::kScalar && rhs().Type() == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    case Kind::kAggregate: return ValueType::kVector;
    case Kind::kCall: {
      const FunctionSignature* f = FindFunction(str);
      return f ? f->return_type : ValueType::kNone;
    }
  }
  return ValueType::kNone;
}

namespace {

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string JoinLabels(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

std::string AtOffset(const Expr& e) {
  std::string out;
  switch (e.at) {
    case AtKind::kTime: out += fmt::format(" @ {:.3f}", static_cast<double>(e.at_ms) / 1000.0); break;
    case AtKind::kStart: out += " @ start()"; break;
    case AtKind::kEnd: out += " @ end()"; break;
    case AtKind::kNone: break;
  }
  if (!e.offset_text.empty()) {
    out += " offset " + e.offset_text;
  } else if (e.offset_ms > 0) {
    out += " offset " + FormatDuration(e.offset_ms);
  } else if (e.offset_ms < 0) {
    out += " offset -" + FormatDuration(-e.offset_ms);
  }
  return out;
}

std::string SelectorBody(const Expr& e) {
  std::string out = e.str;
  std::vector<std::string> parts;
  for (const Matcher& m : e.matchers) {
    if (m.name() == kMetricName && m.type() == MatchType::kEqual && m.value() == e.str &&
        !e.str.empty()) {
      continue;
    }
    parts.push_back(m.name() + std::string(MatchTypeString(m.type())) + QuoteString(m.value()));
  }
  if (!parts.empty() || e.str.empty()) out += "{" + JoinLabels(parts) + "}";
  return out;
}

}  // namespace

std::string Expr::ToString() const {
  switch (kind) {
    case Kind::kNumber: return FormatNumber(number);
    case Kind::kString: return QuoteString(str);
    case Kind::kVectorSelector:
      return SelectorBody(*this) + (anchored ? " anchored" : "") + (smoothed ? " smoothed" : "") +
             AtOffset(*this);
    case Kind::kMatrixSelector:
      return SelectorBody(*args[0]) + "[" +
             (range_text.empty() ? FormatDuration(range_ms) : range_text) + "]" +
             (args[0]->anchored ? " anchored" : "") + (args[0]->smoothed ? " smoothed" : "") +
             AtOffset(*args[0]);
    case Kind::kSubquery:
      return args[0]->ToString() + "[" +
             (range_text.empty() ? FormatDuration(range_ms) : range_text) + ":" +
             (!step_text.empty() ? step_text : step_ms ? FormatDuration(step_ms) : "") + "]" +
             AtOffset(*this);
    case Kind::kParen: return "(" + args[0]->ToString() + ")";
    case Kind::kUnary: {
      // "+(+Inf ^ x)": without parentheses a signed operand ("+Inf ^ x") would read back as
      // a second unary operator, and each print/parse round would add another sign.
      std::string inner = args[0]->ToString();
      if (!inner.empty() && (inner[0] == '+' || inner[0] == '-')) inner = "(" + inner + ")";
      return std::string(OpString(op)) + inner;
    }
    case Kind::kBinary: {
      std::string m;
      if (matching && matching->explicit_matching) {
        m = fmt::format(" {} ({})", matching->on ? "on" : "ignoring",
                        JoinLabels(matching->matching_labels));
        if (matching->card == Cardinality::kManyToOne ||
            matching->card == Cardinality::kOneToMany) {
          m += fmt::format(" group_{} ({})",
                           matching->card == Cardinality::kManyToOne ? "left" : "right",
                           JoinLabels(matching->include));
        }
      }
      if (matching && matching->fill_left) m += " fill_left(" + FormatNumber(*matching->fill_left) + ")";
      if (matching && matching->fill_right) m += " fill_right(" + FormatNumber(*matching->fill_right) + ")";
      // A signed left operand of '^' needs parentheses: "-1 ^ x" reads back as -(1 ^ x),
      // since '^' binds tighter than a unary sign.
      std::string left = lhs().ToString();
      if (OpString(op) == "^" && !left.empty() && (left[0] == '-' || left[0] == '+')) {
        left = "(" + left + ")";
      }
      return fmt::format("{} {}{}{} {}", left, OpString(op), return_bool ? " bool" : "", m,
                         rhs().ToString());
    }
    case Kind::kAggregate: {
      std::string out(AggOpString(agg));
      if (without) {
        out += " without (" + JoinLabels(grouping) + ") ";
      } else if (!grouping.empty()) {
        out += " by (" + JoinLabels(grouping) + ") ";
      }
      out += "(";
      if (agg_param()) out += agg_param()->ToString() + ", ";
      out += agg_expr().ToString() + ")";
      return out;
    }
    case Kind::kCall: {
      std::string out = str + "(";
      for (size_t i = 0; i < args.size(); ++i) {
        if (i) out += ", ";
        out += args[i]->ToString();
      }
      return out + ")";
    }
  }
  return "";
}

std::unique_ptr<Expr> Expr::Clone() const {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  e->number = number;
  e->str = str;
  e->matchers = matchers;
  e->offset_ms = offset_ms;
  e->anchored = anchored;
  e->smoothed = smoothed;
  e->at = at;
  e->at_ms = at_ms;
  e->range_ms = range_ms;
  e->step_ms = step_ms;
  e->range_text = range_text;
  e->step_text = step_text;
  e->offset_text = offset_text;
  e->op = op;
  e->return_bool = return_bool;
  e->matching = matching;
  e->agg = agg;
  e->grouping = grouping;
  e->without = without;
  e->grouping_given = grouping_given;
  e->agg_has_param = agg_has_param;
  for (const auto& a : args) e->args.push_back(a->Clone());
  return e;
}

}  // namespace abhra::promql
