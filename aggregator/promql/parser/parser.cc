#include "aggregator/promql/parser/parser.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "aggregator/promql/parser/function_signatures.h"
#include "aggregator/promql/parser/lexer.h"

namespace abhra::promql {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

struct AggInfo {
  std::string_view name;
  AggOp op;
  bool has_param;
};
constexpr AggInfo kAggs[] = {
    {"sum", AggOp::kSum, false},       {"avg", AggOp::kAvg, false},
    {"count", AggOp::kCount, false},   {"min", AggOp::kMin, false},
    {"max", AggOp::kMax, false},       {"group", AggOp::kGroup, false},
    {"stddev", AggOp::kStddev, false}, {"stdvar", AggOp::kStdvar, false},
    {"topk", AggOp::kTopK, true},      {"bottomk", AggOp::kBottomK, true},
    {"count_values", AggOp::kCountValues, true}, {"quantile", AggOp::kQuantile, true},
    {"limitk", AggOp::kLimitK, true},  {"limit_ratio", AggOp::kLimitRatio, true},
};

const AggInfo* FindAgg(std::string_view name) {
  for (const AggInfo& a : kAggs) {
    if (EqualsIgnoreCase(a.name, name)) return &a;
  }
  return nullptr;
}

int Precedence(TokenOp op) {
  switch (op) {
    case TokenOp::kLOr: return 1;
    case TokenOp::kLAnd: case TokenOp::kLUnless: return 2;
    case TokenOp::kEql: case TokenOp::kNeq: case TokenOp::kLte: case TokenOp::kLss:
    case TokenOp::kGte: case TokenOp::kGtr: return 3;
    case TokenOp::kAdd: case TokenOp::kSub: return 4;
    case TokenOp::kMul: case TokenOp::kDiv: case TokenOp::kMod: case TokenOp::kAtan2: return 5;
    case TokenOp::kPow: return 6;
    default: return 0;
  }
}

std::string TokenDesc(const Token& t) {
  switch (t.type) {
    case Tok::kEOF: return "end of input";
    case Tok::kIdentifier: case Tok::kMetricIdentifier:
      return "identifier \"" + std::string(t.text) + "\"";
    case Tok::kNumber: return "number \"" + std::string(t.text) + "\"";
    case Tok::kDuration: return "duration \"" + std::string(t.text) + "\"";
    case Tok::kString: return "string " + std::string(t.text);
    case Tok::kLParen: return "\"(\"";
    case Tok::kRParen: return "\")\"";
    case Tok::kLBrace: return "\"{\"";
    case Tok::kRBrace: return "\"}\"";
    case Tok::kLBracket: return "\"[\"";
    case Tok::kRBracket: return "\"]\"";
    case Tok::kComma: return "\",\"";
    case Tok::kColon: return "\":\"";
    case Tok::kAt: return "<@>";
    case Tok::kAssign: return "\"=\"";
    default: return "<op:" + std::string(t.text) + ">";
  }
}

class Parser {
 public:
  explicit Parser(std::string_view q, int64_t step_ms = -1, int64_t range_ms = -1)
      : q_(q), ctx_step_ms_(step_ms), ctx_range_ms_(range_ms), lexer_(q),
        toks_(lexer_.tokens()) {}

  Result<int64_t> ParseDurationTop() {
    int64_t v = 0;
    if (!ParseDurationValue(&v, false) && err_.ok()) Fail(0, "invalid duration expression");
    if (!err_.ok()) return err_;
    if (Peek().type != Tok::kEOF) {
      Unexpected(Peek());
      return err_;
    }
    return v;
  }

  Result<std::unique_ptr<Expr>> ParseTop() {
    if (toks_.size() == 1 && toks_[0].type == Tok::kEOF) {
      Fail(0, "no expression found in input");
      return err_;
    }
    auto e = ParseBinary(0);
    if (!err_.ok()) return err_;
    if (Peek().type != Tok::kEOF) {
      Unexpected(Peek());
      return err_;
    }
    return e;
  }

  Result<std::vector<Matcher>> ParseSelectorTop() {
    auto e = ParseBinary(0);
    if (!err_.ok()) return err_;
    if (Peek().type != Tok::kEOF || e->kind != Expr::Kind::kVectorSelector) {
      Fail(0, "expected a metric selector such as up{job=\"x\"}");
      return err_;
    }
    return e->matchers;
  }

 private:
  const Token& Peek(size_t k = 0) const {
    size_t i = std::min(p_ + k, toks_.size() - 1);
    return toks_[i];
  }
  const Token& Next() {
    const Token& t = toks_[std::min(p_, toks_.size() - 1)];
    if (p_ < toks_.size() - 1) ++p_;
    return t;
  }
  bool IsKeyword(const Token& t, std::string_view kw) const {
    return t.type == Tok::kIdentifier && EqualsIgnoreCase(t.text, kw);
  }

  std::string Position(size_t pos) const {
    int line = 1;
    size_t last_break = static_cast<size_t>(-1);
    for (size_t i = 0; i < pos && i < q_.size(); ++i) {
      if (q_[i] == '\n') {
        last_break = i;
        ++line;
      }
    }
    return fmt::format("{}:{}:", line, pos - last_break);
  }
  int depth_ = 0;  // ParseBinary nesting

  // Records the first error only; later ones are consequences of it.
  void Fail(size_t pos, std::string_view msg) {
    if (err_.ok()) {
      err_ = Status::InvalidArgument(fmt::format("{} parse error: {}", Position(pos), msg));
    }
  }
  std::unique_ptr<Expr> Unexpected(const Token& t, std::string_view context = {}) {
    if (t.type == Tok::kError) {
      Fail(t.pos, t.text);
      return nullptr;
    }
    std::string msg = "unexpected " + TokenDesc(t);
    if (!context.empty()) msg += std::string(" ") + std::string(context);
    Fail(t.pos, msg);
    return nullptr;
  }
  bool Expect(Tok type, std::string_view context) {
    if (Peek().type != type) {
      Unexpected(Peek(), context);
      return false;
    }
    Next();
    return true;
  }

  static std::unique_ptr<Expr> Make(Expr::Kind k) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    return e;
  }

  TokenOp PeekBinaryOp() const {
    const Token& t = Peek();
    switch (t.type) {
      case Tok::kAdd: return TokenOp::kAdd;
      case Tok::kSub: return TokenOp::kSub;
      case Tok::kMul: return TokenOp::kMul;
      case Tok::kDiv: return TokenOp::kDiv;
      case Tok::kMod: return TokenOp::kMod;
      case Tok::kPow: return TokenOp::kPow;
      case Tok::kEql: return TokenOp::kEql;
      case Tok::kNeq: return TokenOp::kNeq;
      case Tok::kLss: return TokenOp::kLss;
      case Tok::kLte: return TokenOp::kLte;
      case Tok::kGtr: return TokenOp::kGtr;
      case Tok::kGte: return TokenOp::kGte;
      case Tok::kIdentifier:
        if (IsKeyword(t, "and")) return TokenOp::kLAnd;
        if (IsKeyword(t, "or")) return TokenOp::kLOr;
        if (IsKeyword(t, "unless")) return TokenOp::kLUnless;
        if (IsKeyword(t, "atan2")) return TokenOp::kAtan2;
        return TokenOp::kNone;
      default: return TokenOp::kNone;
    }
  }

  // Bounds the depth of the expression tree, so that neither the parser nor the printer and
  // the evaluator (all recursive) can be driven out of stack by a crafted query.
  static constexpr int kMaxNesting = 256;

  std::unique_ptr<Expr> ParseBinary(int min_prec) {
    if (depth_ >= kMaxNesting) {
      Fail(Peek().pos, fmt::format("expression nested too deeply (more than {} levels)", kMaxNesting));
      return nullptr;
    }
    ++depth_;
    struct Leave {
      int* d;
      ~Leave() { --*d; }
    } leave{&depth_};
    auto lhs = ParseUnary();
    if (!lhs) return nullptr;
    int chain = 0;  // a left-associative chain (a + b + c ...) nests one level per operator
    while (err_.ok()) {
      TokenOp op = PeekBinaryOp();
      if (op == TokenOp::kNone) break;
      if (depth_ + ++chain > kMaxNesting) {
        Fail(Peek().pos, fmt::format("expression nested too deeply (more than {} levels)", kMaxNesting));
        return nullptr;
      }
      int prec = Precedence(op);
      if (prec < min_prec) break;
      const Token& op_tok = Next();
      auto bin = Make(Expr::Kind::kBinary);
      bin->op = op;
      VectorMatching vm;
      if (IsKeyword(Peek(), "bool")) {
        Next();
        bin->return_bool = true;
      }
      if (IsKeyword(Peek(), "on") || IsKeyword(Peek(), "ignoring")) {
        vm.on = IsKeyword(Next(), "on");
        vm.explicit_matching = true;
        if (!ParseLabelList(&vm.matching_labels)) return nullptr;
        if (IsKeyword(Peek(), "group_left") || IsKeyword(Peek(), "group_right")) {
          vm.card = IsKeyword(Next(), "group_left") ? Cardinality::kManyToOne
                                                    : Cardinality::kOneToMany;
          if (Peek().type == Tok::kLParen) {
            if (!ParseLabelList(&vm.include)) return nullptr;
          }
        }
      } else if (IsKeyword(Peek(), "group_left") || IsKeyword(Peek(), "group_right")) {
        Unexpected(Peek());
        return nullptr;
      }
      while ((IsKeyword(Peek(), "fill") || IsKeyword(Peek(), "fill_left") ||
              IsKeyword(Peek(), "fill_right")) &&
             Peek(1).type == Tok::kLParen) {
        const Token& f = Next();
        Next();
        bool neg = false;
        if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) neg = Next().type == Tok::kSub;
        const Token& n = Peek();
        double v;
        if (n.type == Tok::kNumber ||
            (n.type == Tok::kIdentifier &&
             (EqualsIgnoreCase(n.text, "inf") || EqualsIgnoreCase(n.text, "nan")))) {
          v = ParseNumberText(n.text);
          Next();
        } else {
          Unexpected(n, "in fill modifier, expected number");
          return nullptr;
        }
        if (neg) v = -v;
        if (!Expect(Tok::kRParen, "in fill modifier, expected \")\"")) return nullptr;
        if (IsKeyword(f, "fill") || IsKeyword(f, "fill_left")) vm.fill_left = v;
        if (IsKeyword(f, "fill") || IsKeyword(f, "fill_right")) vm.fill_right = v;
      }
      auto rhs = ParseBinary(op == TokenOp::kPow ? prec : prec + 1);
      if (!rhs) return nullptr;
      bin->pos = lhs->pos;
      bin->args.push_back(std::move(lhs));
      bin->args.push_back(std::move(rhs));
      if (!CheckBinary(bin.get(), vm, op_tok.pos)) return nullptr;
      lhs = std::move(bin);
    }
    return err_.ok() ? std::move(lhs) : nullptr;
  }

  bool CheckBinary(Expr* bin, VectorMatching vm, size_t pos) {
    ValueType lt = bin->lhs().Type(), rt = bin->rhs().Type();
    bool cmp = IsComparisonOp(bin->op);
    if (bin->return_bool && !cmp) {
      Fail(pos, "bool modifier can only be used on comparison operators");
      return false;
    }
    if (cmp && lt == ValueType::kScalar && rt == ValueType::kScalar && !bin->return_bool) {
      Fail(pos, "comparisons between scalars must use BOOL modifier");
      return false;
    }
    auto ok_type = [](ValueType t) { return t == ValueType::kScalar || t == ValueType::kVector; };
    if (!ok_type(lt) || !ok_type(rt)) {
      Fail(pos, "binary expression must contain only scalar and instant vector types");
      return false;
    }
    bool both_vectors = lt == ValueType::kVector && rt == ValueType::kVector;
    if (IsSetOp(bin->op)) {
      if (!both_vectors) {
        Fail(pos, fmt::format("set operator \"{}\" not allowed in binary scalar expression",
                              OpString(bin->op)));
        return false;
      }
      if (vm.card == Cardinality::kOneToMany || vm.card == Cardinality::kManyToOne) {
        Fail(pos, fmt::format("no grouping allowed for \"{}\" operation", OpString(bin->op)));
        return false;
      }
      vm.card = Cardinality::kManyToMany;
    }
    if (!both_vectors) {
      if (vm.explicit_matching && !vm.matching_labels.empty()) {
        Fail(pos, "vector matching only allowed between instant vectors");
        return false;
      }
      return true;
    }
    if (vm.on) {
      for (const auto& l : vm.include) {
        if (std::find(vm.matching_labels.begin(), vm.matching_labels.end(), l) !=
            vm.matching_labels.end()) {
          Fail(pos, fmt::format("label \"{}\" must not occur in ON and GROUP clause at once", l));
          return false;
        }
      }
    }
    bin->matching = std::move(vm);
    return true;
  }

  std::unique_ptr<Expr> ParseUnary() {
    const Token& t = Peek();
    if (t.type == Tok::kAdd || t.type == Tok::kSub) {
      Next();
      bool neg = t.type == Tok::kSub;
      auto operand = ParseBinary(Precedence(TokenOp::kPow));
      if (!operand) return nullptr;
      if (operand->kind == Expr::Kind::kNumber) {
        if (neg) operand->number = -operand->number;
        operand->pos = t.pos;
        return operand;
      }
      ValueType vt = operand->Type();
      if (vt != ValueType::kScalar && vt != ValueType::kVector) {
        Fail(t.pos, fmt::format("unary expression only allowed on expressions of type scalar or "
                                "instant vector, got \"{}\"",
                                ValueTypeName(vt)));
        return nullptr;
      }
      auto u = Make(Expr::Kind::kUnary);
      u->pos = t.pos;
      u->op = neg ? TokenOp::kSub : TokenOp::kAdd;
      u->args.push_back(std::move(operand));
      return u;
    }
    size_t start = t.pos;
    auto e = ParsePrimary();
    if (!e) return nullptr;
    e->pos = start;
    return ParsePostfix(std::move(e));
  }

  // Durations in brackets and after offset: a duration or a number of seconds, or (in
  // brackets, or parenthesised after offset) an arithmetic expression of those with
  // + - * / % ^ and min_of()/max_of(), evaluated at parse time.
  bool ParseDurationValue(int64_t* out, bool offset_context, std::string* context_text = nullptr) {
    double secs = 0;
    size_t start = Peek().pos;
    needs_context_ = false;
    bool ok = offset_context ? ParseDurPrimary(&secs) : ParseDurExpr(0, &secs);
    if (!ok) return false;
    if (needs_context_ && context_text) {
      // Depends on the query's step or range: kept as text, resolved per query.
      *context_text = std::string(q_.substr(start, Peek().pos - start));
      while (!context_text->empty() && context_text->back() == ' ') context_text->pop_back();
    }
    if (std::isnan(secs) || std::isinf(secs) || std::abs(secs) > 9.2e15) {
      Fail(Peek().pos, "duration out of range");
      return false;
    }
    *out = static_cast<int64_t>(std::llround(secs * 1000));
    return true;
  }

  static int DurPrec(Tok t) {
    switch (t) {
      case Tok::kAdd: case Tok::kSub: return 1;
      case Tok::kMul: case Tok::kDiv: case Tok::kMod: return 2;
      case Tok::kPow: return 3;
      default: return 0;
    }
  }

  bool ParseDurExpr(int min_prec, double* out) {
    if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) {
      // Unary sign binds looser than ^, as in PromQL.
      bool neg = Next().type == Tok::kSub;
      if (!ParseDurExpr(3, out)) return false;
      if (neg) *out = -*out;
    } else if (!ParseDurPrimary(out)) {
      return false;
    }
    while (true) {
      Tok t = Peek().type;
      int prec = DurPrec(t);
      if (prec == 0 || prec < min_prec) return true;
      Next();
      double rhs = 0;
      if (!ParseDurExpr(t == Tok::kPow ? prec : prec + 1, &rhs)) return false;
      switch (t) {
        case Tok::kAdd: *out += rhs; break;
        case Tok::kSub: *out -= rhs; break;
        case Tok::kMul: *out *= rhs; break;
        case Tok::kDiv: *out /= rhs; break;
        case Tok::kMod: *out = std::fmod(*out, rhs); break;
        case Tok::kPow: *out = std::pow(*out, rhs); break;
        default: break;
      }
    }
  }

  bool ParseDurPrimary(double* out) {
    const Token& t = Peek();
    switch (t.type) {
      case Tok::kSub:
      case Tok::kAdd: {
        Next();
        if (!ParseDurPrimary(out)) return false;
        if (t.type == Tok::kSub) *out = -*out;
        return true;
      }
      case Tok::kDuration: {
        Next();
        auto d = ParseDuration(t.text);
        if (!d.ok()) {
          Fail(t.pos, d.status().message());
          return false;
        }
        *out = static_cast<double>(*d) / 1000.0;
        return true;
      }
      case Tok::kNumber:
        Next();
        *out = ParseNumberText(t.text);
        return true;
      case Tok::kLParen:
        Next();
        if (!ParseDurExpr(0, out)) return false;
        return Expect(Tok::kRParen, "in duration expression, expected \")\"");
      case Tok::kIdentifier:
        if ((EqualsIgnoreCase(t.text, "step") || EqualsIgnoreCase(t.text, "range")) &&
            Peek(1).type == Tok::kLParen && Peek(2).type == Tok::kRParen) {
          bool is_step = EqualsIgnoreCase(t.text, "step");
          Next();
          Next();
          Next();
          int64_t v = is_step ? ctx_step_ms_ : ctx_range_ms_;
          if (v < 0) needs_context_ = true;
          *out = v < 0 ? 0 : static_cast<double>(v) / 1000.0;
          return true;
        }
        if ((t.text == "min_of" || t.text == "max_of") && Peek(1).type == Tok::kLParen) {
          Next();
          Next();
          double a = 0, b = 0;
          if (!ParseDurExpr(0, &a) || !Expect(Tok::kComma, "in duration expression") ||
              !ParseDurExpr(0, &b) || !Expect(Tok::kRParen, "in duration expression")) {
            return false;
          }
          *out = t.text == "min_of" ? std::min(a, b) : std::max(a, b);
          return true;
        }
        [[fallthrough]];
      default:
        Unexpected(t, "expected duration");
        return false;
    }
  }

  static double ParseNumberText(std::string_view s) {
    std::string str(s);
    if (str.size() > 2 && str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
      return static_cast<double>(std::strtoull(str.c_str() + 2, nullptr, 16));
    }
    if (EqualsIgnoreCase(s, "inf")) return std::numeric_limits<double>::infinity();
    if (EqualsIgnoreCase(s, "nan")) return std::numeric_limits<double>::quiet_NaN();
    return std::strtod(str.c_str(), nullptr);
  }

  std::unique_ptr<Expr> ParsePostfix(std::unique_ptr<Expr> e) {
    while (err_.ok()) {
      const Token& t = Peek();
      if (t.type == Tok::kLBracket) {
        Next();
        int64_t range = 0;
        std::string range_text, step_text;
        if (!ParseDurationValue(&range, false, &range_text)) return nullptr;
        if (Peek().type == Tok::kColon) {
          Next();
          int64_t step = 0;
          if (Peek().type != Tok::kRBracket) {
            if (!ParseDurationValue(&step, false, &step_text)) return nullptr;
          }
          if (!Expect(Tok::kRBracket, "in subquery selector, expected \"]\"")) return nullptr;
          if (e->Type() != ValueType::kVector) {
            Fail(t.pos, fmt::format("subquery is only allowed on instant vector, got {}",
                                    ValueTypeName(e->Type())));
            return nullptr;
          }
          auto sq = Make(Expr::Kind::kSubquery);
          sq->pos = e->pos;
          sq->range_text = range_text;
          sq->step_text = step_text;
          sq->range_ms = range;
          sq->step_ms = step;
          sq->args.push_back(std::move(e));
          e = std::move(sq);
          continue;
        }
        if (!Expect(Tok::kRBracket, "in range selector, expected \"]\"")) return nullptr;
        if (e->kind != Expr::Kind::kVectorSelector) {
          Fail(t.pos, "ranges only allowed for vector selectors");
          return nullptr;
        }
        if (e->offset_ms != 0 || e->at != AtKind::kNone) {
          Fail(t.pos, "no offset or @ modifiers allowed before range");
          return nullptr;
        }
        if (range <= 0 && range_text.empty()) {
          Fail(t.pos, "range must be greater than 0");
          return nullptr;
        }
        auto ms = Make(Expr::Kind::kMatrixSelector);
        ms->pos = e->pos;
        ms->range_text = range_text;
        ms->range_ms = range;
        ms->args.push_back(std::move(e));
        e = std::move(ms);
        continue;
      }
      if ((IsKeyword(t, "anchored") || IsKeyword(t, "smoothed")) &&
          (e->kind == Expr::Kind::kMatrixSelector || e->kind == Expr::Kind::kVectorSelector)) {
        Next();
        Expr& vs = e->kind == Expr::Kind::kMatrixSelector ? *e->args[0] : *e;
        if (vs.anchored || vs.smoothed) {
          Fail(t.pos, "anchored and smoothed modifiers may only be set once");
          return nullptr;
        }
        (IsKeyword(t, "anchored") ? vs.anchored : vs.smoothed) = true;
        continue;
      }
      if (IsKeyword(t, "offset")) {
        Next();
        Expr* target = ModifierTarget(e.get());
        if (!target) {
          Fail(t.pos, "offset modifier must be preceded by an instant vector selector or range "
                      "vector selector or a subquery");
          return nullptr;
        }
        if (target->offset_ms != 0) {
          Fail(t.pos, "offset may not be set multiple times");
          return nullptr;
        }
        if (!ParseDurationValue(&target->offset_ms, true, &target->offset_text)) return nullptr;
        continue;
      }
      if (t.type == Tok::kAt) {
        Next();
        Expr* target = ModifierTarget(e.get());
        if (!target) {
          Fail(t.pos, "@ modifier must be preceded by an instant vector selector or range vector "
                      "selector or a subquery");
          return nullptr;
        }
        if (target->at != AtKind::kNone) {
          Fail(t.pos, "@ <timestamp> may not be set multiple times");
          return nullptr;
        }
        if (IsKeyword(Peek(), "start") || IsKeyword(Peek(), "end")) {
          target->at = IsKeyword(Next(), "start") ? AtKind::kStart : AtKind::kEnd;
          if (!Expect(Tok::kLParen, "") || !Expect(Tok::kRParen, "")) return nullptr;
          continue;
        }
        bool neg = false;
        if (Peek().type == Tok::kSub || Peek().type == Tok::kAdd) neg = Next().type == Tok::kSub;
        const Token& n = Peek();
        double v;
        if (n.type == Tok::kNumber) {
          v = ParseNumberText(n.text);
        } else if (n.type == Tok::kDuration) {
          auto d = ParseDuration(n.text);
          if (!d.ok()) {
            Fail(n.pos, d.status().message());
            return nullptr;
          }
          v = static_cast<double>(*d) / 1000.0;
        } else {
          Unexpected(n, "in @, expected timestamp");
          return nullptr;
        }
        Next();
        if (neg) v = -v;
        if (std::isnan(v) || std::isinf(v) || v * 1000 >= 9.2e18 || v * 1000 <= -9.2e18) {
          Fail(n.pos, fmt::format("timestamp out of bounds for @ modifier: {:f}", v));
          return nullptr;
        }
        target->at = AtKind::kTime;
        target->at_ms = static_cast<int64_t>(std::llround(v * 1000));
        continue;
      }
      break;
    }
    return err_.ok() ? std::move(e) : nullptr;
  }

  static Expr* ModifierTarget(Expr* e) {
    if (e->kind == Expr::Kind::kVectorSelector || e->kind == Expr::Kind::kSubquery) return e;
    if (e->kind == Expr::Kind::kMatrixSelector) return e->args[0].get();
    return nullptr;
  }

  bool ParseLabelName(std::string* out) {
    const Token& t = Peek();
    if (t.type == Tok::kIdentifier) {
      *out = std::string(Next().text);
      return true;
    }
    if (t.type == Tok::kString) {
      Next();
      auto s = UnquoteString(t.text);
      if (!s.ok()) {
        Fail(t.pos, "invalid string");
        return false;
      }
      *out = *s;
      return true;
    }
    Unexpected(t, "in grouping opts, expected label");
    return false;
  }

  bool ParseLabelList(std::vector<std::string>* out) {
    if (!Expect(Tok::kLParen, "in grouping opts, expected \"(\"")) return false;
    while (Peek().type != Tok::kRParen) {
      std::string name;
      if (!ParseLabelName(&name)) return false;
      out->push_back(std::move(name));
      if (Peek().type == Tok::kComma) {
        Next();
        continue;
      }
      if (Peek().type != Tok::kRParen) {
        Unexpected(Peek(), "in grouping opts, expected \")\" or \",\"");
        return false;
      }
    }
    Next();
    return true;
  }

  std::unique_ptr<Expr> ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case Tok::kNumber: {
        Next();
        auto e = Make(Expr::Kind::kNumber);
        e->number = ParseNumberText(t.text);
        return e;
      }
      case Tok::kDuration: {
        Next();
        auto d = ParseDuration(t.text);
        if (!d.ok()) {
          Fail(t.pos, d.status().message());
          return nullptr;
        }
        auto e = Make(Expr::Kind::kNumber);
        e->number = static_cast<double>(*d) / 1000.0;
        return e;
      }
      case Tok::kString: {
        Next();
        auto s = UnquoteString(t.text);
        if (!s.ok()) {
          Fail(t.pos, "invalid string literal " + std::string(t.text));
          return nullptr;
        }
        auto e = Make(Expr::Kind::kString);
        e->str = std::move(*s);
        return e;
      }
      case Tok::kLParen: {
        Next();
        auto inner = ParseBinary(0);
        if (!inner) return nullptr;
        if (!Expect(Tok::kRParen, "in paren expression, expected \")\"")) return nullptr;
        auto e = Make(Expr::Kind::kParen);
        e->args.push_back(std::move(inner));
        return e;
      }
      case Tok::kLBrace:
        return ParseVectorSelector("", t.pos);
      case Tok::kIdentifier:
      case Tok::kMetricIdentifier: {
        if (t.type == Tok::kIdentifier &&
            (EqualsIgnoreCase(t.text, "inf") || EqualsIgnoreCase(t.text, "nan"))) {
          Next();
          auto e = Make(Expr::Kind::kNumber);
          e->number = ParseNumberText(t.text);
          return e;
        }
        if (t.type == Tok::kIdentifier) {
          const AggInfo* agg = FindAgg(t.text);
          if (agg && (Peek(1).type == Tok::kLParen || IsKeyword(Peek(1), "by") ||
                      IsKeyword(Peek(1), "without"))) {
            return ParseAggregation(*agg);
          }
          if (Peek(1).type == Tok::kLParen) return ParseCall();
        }
        Next();
        if (Peek().type == Tok::kLBrace) return ParseVectorSelector(std::string(t.text), t.pos);
        auto e = Make(Expr::Kind::kVectorSelector);
        e->str = std::string(t.text);
        e->matchers.push_back(Matcher::Equal(std::string(kMetricName), e->str));
        return e;
      }
      default:
        return Unexpected(t);
    }
  }

  std::unique_ptr<Expr> ParseVectorSelector(std::string name, size_t pos) {
    auto e = Make(Expr::Kind::kVectorSelector);
    e->str = name;
    if (!Expect(Tok::kLBrace, "")) return nullptr;
    std::vector<Matcher> matchers;
    while (Peek().type != Tok::kRBrace) {
      std::string label;
      const Token& lt = Peek();
      if (lt.type == Tok::kString) {
        Next();
        auto s = UnquoteString(lt.text);
        if (!s.ok()) {
          Fail(lt.pos, "invalid string");
          return nullptr;
        }
        label = *s;
        if (Peek().type == Tok::kComma || Peek().type == Tok::kRBrace) {
          // A quoted metric name: {"my.metric"}.
          if (!e->str.empty()) {
            Fail(lt.pos, fmt::format("metric name must not be set twice: \"{}\" or \"{}\"",
                                     e->str, label));
            return nullptr;
          }
          e->str = label;
          matchers.push_back(Matcher::Equal(std::string(kMetricName), label));
          if (Peek().type == Tok::kComma) Next();
          continue;
        }
      } else if (lt.type == Tok::kIdentifier) {
        label = std::string(Next().text);
      } else {
        Unexpected(lt, "in label matching, expected label");
        return nullptr;
      }
      const Token& op = Next();
      MatchType mt;
      switch (op.type) {
        case Tok::kAssign: mt = MatchType::kEqual; break;
        case Tok::kNeq: mt = MatchType::kNotEqual; break;
        case Tok::kEqlRegex: mt = MatchType::kRegexMatch; break;
        case Tok::kNeqRegex: mt = MatchType::kRegexNoMatch; break;
        default:
          Unexpected(op, "in label matching, expected label matching operator");
          return nullptr;
      }
      const Token& vt = Next();
      if (vt.type != Tok::kString) {
        Unexpected(vt, "in label matching, expected string");
        return nullptr;
      }
      auto value = UnquoteString(vt.text);
      if (!value.ok()) {
        Fail(vt.pos, "invalid string");
        return nullptr;
      }
      auto m = Matcher::Make(mt, label, *value);
      if (!m.ok()) {
        Fail(vt.pos, m.status().message());
        return nullptr;
      }
      matchers.push_back(std::move(*m));
      if (Peek().type == Tok::kComma) {
        Next();
        continue;
      }
      if (Peek().type != Tok::kRBrace) {
        Unexpected(Peek(), "in label matching, expected \",\" or \"}\"");
        return nullptr;
      }
    }
    Next();
    if (!name.empty()) {
      for (const Matcher& m : matchers) {
        if (m.name() == kMetricName) {
          Fail(pos, fmt::format("metric name must not be set twice: \"{}\" or \"{}\"", name,
                                m.value()));
          return nullptr;
        }
      }
      matchers.push_back(Matcher::Equal(std::string(kMetricName), name));
    }
    bool any_nonempty = false;
    for (const Matcher& m : matchers) {
      if (!m.MatchesEmpty()) any_nonempty = true;
    }
    if (!any_nonempty && !allow_empty_selector_) {
      Fail(pos, "vector selector must contain at least one non-empty matcher");
      return nullptr;
    }
    e->matchers = std::move(matchers);
    return e;
  }

  bool ParseArgs(std::vector<std::unique_ptr<Expr>>* args, bool info_call = false) {
    if (!Expect(Tok::kLParen, "")) return false;
    while (Peek().type != Tok::kRParen) {
      // info()'s second argument is a label selector that may match the empty string.
      allow_empty_selector_ = info_call && args->size() == 1;
      auto a = ParseBinary(0);
      allow_empty_selector_ = false;
      if (!a) return false;
      args->push_back(std::move(a));
      if (Peek().type == Tok::kComma) {
        Next();
        continue;
      }
      if (Peek().type != Tok::kRParen) {
        Unexpected(Peek(), "in call, expected \",\" or \")\"");
        return false;
      }
    }
    Next();
    return true;
  }

  std::unique_ptr<Expr> ParseCall() {
    const Token& name = Next();
    const FunctionSignature* sig = FindFunction(name.text);
    if (!sig) {
      Fail(name.pos, fmt::format("unknown function with name \"{}\"", name.text));
      return nullptr;
    }
    auto e = Make(Expr::Kind::kCall);
    e->str = std::string(name.text);
    if (!ParseArgs(&e->args, e->str == "info")) return nullptr;
    int n = static_cast<int>(e->args.size());
    int want = static_cast<int>(sig->arg_types.size());
    if (sig->variadic == 0) {
      if (n != want) {
        Fail(name.pos, fmt::format("expected {} argument(s) in call to \"{}\", got {}", want,
                                   e->str, n));
        return nullptr;
      }
    } else if (want - 1 > n) {
      Fail(name.pos, fmt::format("expected at least {} argument(s) in call to \"{}\", got {}",
                                 want - 1, e->str, n));
      return nullptr;
    } else if (sig->variadic > 0 && want - 1 + sig->variadic < n) {
      Fail(name.pos, fmt::format("expected at most {} argument(s) in call to \"{}\", got {}",
                                 want - 1 + sig->variadic, e->str, n));
      return nullptr;
    }
    for (int i = 0; i < n; ++i) {
      ValueType want_t = i < want ? sig->arg_types[i] : sig->arg_types.back();
      ValueType got = e->args[i]->Type();
      if (want_t != got) {
        Fail(name.pos, fmt::format("expected type {} in call to function \"{}\", got {}",
                                   ValueTypeName(want_t), e->str, ValueTypeName(got)));
        return nullptr;
      }
    }
    return e;
  }

  std::unique_ptr<Expr> ParseAggregation(const AggInfo& agg) {
    const Token& name = Next();
    auto e = Make(Expr::Kind::kAggregate);
    e->agg = agg.op;
    auto parse_grouping = [&]() -> bool {
      if (IsKeyword(Peek(), "by") || IsKeyword(Peek(), "without")) {
        e->without = IsKeyword(Next(), "without");
        e->grouping_given = true;
        return ParseLabelList(&e->grouping);
      }
      return true;
    };
    if (!parse_grouping()) return nullptr;
    bool leading = e->grouping_given;
    if (!ParseArgs(&e->args)) return nullptr;
    if (!leading && !parse_grouping()) return nullptr;
    size_t want = agg.has_param ? 2 : 1;
    if (e->args.size() != want) {
      Fail(name.pos,
           fmt::format("wrong number of arguments for aggregate expression provided, expected "
                       "{}, got {}",
                       want, e->args.size()));
      return nullptr;
    }
    e->agg_has_param = agg.has_param;
    if (e->agg_expr().Type() != ValueType::kVector) {
      Fail(name.pos, fmt::format("expected type instant vector in aggregation expression, got {}",
                                 ValueTypeName(e->agg_expr().Type())));
      return nullptr;
    }
    if (agg.has_param) {
      ValueType want_t = agg.op == AggOp::kCountValues ? ValueType::kString : ValueType::kScalar;
      if (e->args[0]->Type() != want_t) {
        Fail(name.pos, fmt::format("expected type {} in aggregation parameter, got {}",
                                   ValueTypeName(want_t), ValueTypeName(e->args[0]->Type())));
        return nullptr;
      }
    }
    return e;
  }

  std::string_view q_;
  int64_t ctx_step_ms_ = -1;   // step() and range() values when known (>= 0)
  int64_t ctx_range_ms_ = -1;
  bool needs_context_ = false;
  bool allow_empty_selector_ = false;
  Lexer lexer_;
  const std::vector<Token>& toks_;
  size_t p_ = 0;
  Status err_;
};

}  // namespace

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view query) {
  Parser p(query);
  return p.ParseTop();
}

Result<int64_t> EvalDurationExpr(std::string_view text, int64_t step_ms, int64_t range_ms) {
  Parser p(text, step_ms, range_ms);
  return p.ParseDurationTop();
}

void ResolveDurationExprs(Expr* e, int64_t step_ms, int64_t range_ms) {
  auto eval = [&](const std::string& text, int64_t* out) {
    if (text.empty()) return;
    auto v = EvalDurationExpr(text, step_ms, range_ms);
    if (v.ok()) *out = *v;
  };
  eval(e->range_text, &e->range_ms);
  eval(e->step_text, &e->step_ms);
  eval(e->offset_text, &e->offset_ms);
  for (auto& a : e->args) ResolveDurationExprs(a.get(), step_ms, range_ms);
}

bool HasDurationExprs(const Expr& e) {
  if (!e.range_text.empty() || !e.step_text.empty() || !e.offset_text.empty()) return true;
  for (const auto& a : e.args) {
    if (HasDurationExprs(*a)) return true;
  }
  return false;
}

Result<std::vector<Matcher>> ParseMetricSelector(std::string_view selector) {
  Parser p(selector);
  return p.ParseSelectorTop();
}

}  // namespace abhra::promql
