#include "aggregator/promql/parser/parser.h"

#include <gtest/gtest.h>

#include "aggregator/promql/parser/lexer.h"

namespace abhra::promql {
namespace {

std::string Roundtrip(std::string_view q) {
  auto e = ParseExpr(q);
  if (!e.ok()) return "ERROR: " + e.status().message();
  return (*e)->ToString();
}

std::string ErrorOf(std::string_view q) {
  auto e = ParseExpr(q);
  return e.ok() ? "no error" : e.status().message();
}

TEST(ParserTest, Literals) {
  EXPECT_EQ(Roundtrip("1"), "1");
  EXPECT_EQ(Roundtrip("0x1F"), "31");
  EXPECT_EQ(Roundtrip("-Inf"), "-Inf");
  EXPECT_EQ(Roundtrip("nan"), "NaN");
  EXPECT_EQ(Roundtrip(".5e1"), "5");
  EXPECT_EQ(Roundtrip("1h30m"), "5400");
  EXPECT_EQ(Roundtrip(R"("a\"b\x41\u00e9\101")"), "\"a\\\"bAéA\"");
  EXPECT_EQ(Roundtrip("`raw\\n`"), "\"raw\\\\n\"");
  EXPECT_EQ(Roundtrip("'single'"), "\"single\"");
}

TEST(ParserTest, Selectors) {
  EXPECT_EQ(Roundtrip("foo"), "foo");
  EXPECT_EQ(Roundtrip("foo{a=\"b\", c!=\"d\", e=~\"f.*\", g!~\"h\"}"),
            "foo{a=\"b\", c!=\"d\", e=~\"f.*\", g!~\"h\"}");
  EXPECT_EQ(Roundtrip("{__name__=~\"foo|bar\"}"), "{__name__=~\"foo|bar\"}");
  EXPECT_EQ(Roundtrip("foo[5m] offset -1h @ 100"), "foo[5m] @ 100.000 offset -1h");
  EXPECT_EQ(Roundtrip("foo @ start() offset 1m"), "foo @ start() offset 1m");
  EXPECT_EQ(Roundtrip("rate(foo[1m30s])[1h:1m] @ end()"), "rate(foo[1m30s])[1h:1m] @ end()");
  EXPECT_EQ(Roundtrip("foo[5m:]"), "foo[5m:]");
  EXPECT_EQ(Roundtrip("sum(foo)"), "sum(foo)");  // aggregator keyword as call
  EXPECT_EQ(Roundtrip("sum"), "sum");            // ... and as a metric name
  EXPECT_EQ(Roundtrip("foo:bar{a=\"b\"}"), "foo:bar{a=\"b\"}");
}

TEST(ParserTest, Precedence) {
  auto e = ParseExpr("1 + 2 * 3 ^ 2 ^ 1 - 4");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->kind, Expr::Kind::kBinary);
  EXPECT_EQ((*e)->op, TokenOp::kSub);
  const Expr& add = (*e)->lhs();
  EXPECT_EQ(add.op, TokenOp::kAdd);
  const Expr& mul = add.rhs();
  EXPECT_EQ(mul.op, TokenOp::kMul);
  const Expr& pow = mul.rhs();
  EXPECT_EQ(pow.op, TokenOp::kPow);
  EXPECT_EQ(pow.rhs().op, TokenOp::kPow);  // right-associative
  auto u = ParseExpr("-foo ^ 2");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)->kind, Expr::Kind::kUnary);
  auto a = ParseExpr("a or b and c unless d");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->op, TokenOp::kLOr);
  EXPECT_EQ((*a)->rhs().op, TokenOp::kLUnless);
  EXPECT_EQ(Roundtrip("-1 ^ 2"), "-1 ^ 2");
}

TEST(ParserTest, BinaryModifiers) {
  EXPECT_EQ(Roundtrip("a > bool on(x, y) group_left(z) b"),
            "a > bool on (x, y) group_left (z) b");
  EXPECT_EQ(Roundtrip("a + ignoring(x) group_right b"), "a + ignoring (x) group_right () b");
  EXPECT_EQ(Roundtrip("a AND b"), "a and b");
  auto e = ParseExpr("a and b");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->matching->card, Cardinality::kManyToMany);
}

TEST(ParserTest, Aggregations) {
  EXPECT_EQ(Roundtrip("sum by (a, b) (foo)"), "sum by (a, b) (foo)");
  EXPECT_EQ(Roundtrip("sum(foo) without (a)"), "sum without (a) (foo)");
  EXPECT_EQ(Roundtrip("topk(3, foo)"), "topk(3, foo)");
  EXPECT_EQ(Roundtrip("count_values by (x) (\"v\", foo)"), "count_values by (x) (\"v\", foo)");
  EXPECT_EQ(Roundtrip("quantile(0.9, foo)"), "quantile(0.9, foo)");
  EXPECT_EQ(Roundtrip("limit_ratio(0.5, foo)"), "limit_ratio(0.5, foo)");
  EXPECT_EQ(Roundtrip("SUM BY (a) (foo)"), "sum by (a) (foo)");
}

TEST(ParserTest, Comments) {
  EXPECT_EQ(Roundtrip("foo # comment\n + 1"), "foo + 1");
}

TEST(ParserTest, Errors) {
  EXPECT_EQ(ErrorOf(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(ErrorOf("foo +"), "1:6: parse error: unexpected end of input");
  EXPECT_EQ(ErrorOf("sum(foo) by"), "1:12: parse error: unexpected end of input in grouping opts, expected \"(\"");
  EXPECT_EQ(ErrorOf("1 > 2"), "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(ErrorOf("rate(foo)"),
            "1:1: parse error: expected type range vector in call to function \"rate\", got instant vector");
  EXPECT_EQ(ErrorOf("nofunc(foo)"), "1:1: parse error: unknown function with name \"nofunc\"");
  EXPECT_EQ(ErrorOf("{a=\"\"}"),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(ErrorOf("1 and 2"),
            "1:3: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(ErrorOf("topk(foo)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1");
  EXPECT_EQ(ErrorOf("(foo)[5m]"), "1:6: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(ErrorOf("foo offset 1m offset 2m"), "1:15: parse error: offset may not be set multiple times");
  EXPECT_EQ(ErrorOf("foo\n  + \"x"), "2:5: parse error: unterminated quoted string");
  EXPECT_EQ(ErrorOf("a + on(x) group_left(x) b"),
            "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once");
  EXPECT_EQ(ErrorOf("foo{a=~\"(\"}").substr(0, 21), "1:8: parse error: inv");
}

TEST(ParserTest, ExtendedModifiers) {
  EXPECT_EQ(Roundtrip("a + on(x) fill(0) b"), "a + on (x) fill_left(0) fill_right(0) b");
  EXPECT_EQ(Roundtrip("a == bool fill_left(-Inf) b"), "a == bool fill_left(-Inf) b");
  EXPECT_EQ(Roundtrip("foo[5m+30s]"), "foo[5m30s]");
  EXPECT_EQ(Roundtrip("foo[(1h/2):1m*2]"), "foo[30m:2m]");
  EXPECT_EQ(Roundtrip("foo offset (2 * 30s)"), "foo offset 1m");
  EXPECT_EQ(Roundtrip("foo offset -(1m)"), "foo offset -1m");
  EXPECT_EQ(Roundtrip("foo[step()]"), "foo[step()]");  // resolved per query
  auto e = ParseExpr("foo[step() * 2]");
  ASSERT_TRUE(e.ok());
  ResolveDurationExprs(e->get(), 15000, 0);
  EXPECT_EQ((*e)->range_ms, 30000);
  EXPECT_EQ(Roundtrip("foo @ 1m"), "foo @ 60.000");
  EXPECT_EQ(Roundtrip("-foo offset 5m"), "-foo offset 5m");
  EXPECT_EQ(Roundtrip("{\"my.metric\", a=\"b\"}"), "my.metric{a=\"b\"}");
}

TEST(ParserTest, Types) {
  auto t = [](std::string_view q) {
    auto e = ParseExpr(q);
    return e.ok() ? (*e)->Type() : ValueType::kNone;
  };
  EXPECT_EQ(t("1 + 2"), ValueType::kScalar);
  EXPECT_EQ(t("foo + 2"), ValueType::kVector);
  EXPECT_EQ(t("foo[5m]"), ValueType::kMatrix);
  EXPECT_EQ(t("rate(foo[5m])[10m:]"), ValueType::kMatrix);
  EXPECT_EQ(t("time()"), ValueType::kScalar);
  EXPECT_EQ(t("\"s\""), ValueType::kString);
  EXPECT_EQ(ErrorOf("-\"s\""),
            "1:1: parse error: unary expression only allowed on expressions of type scalar or "
            "instant vector, got \"string\"");
  EXPECT_EQ(ErrorOf("foo[5m] + 1"),
            "1:9: parse error: binary expression must contain only scalar and instant vector types");
  EXPECT_EQ(ErrorOf("round(foo, 1, 2)"),
            "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3");
  EXPECT_EQ(ErrorOf("sum(foo[5m])"),
            "1:1: parse error: expected type instant vector in aggregation expression, got range vector");
  EXPECT_EQ(ErrorOf("1 + on(x) 2"),
            "1:3: parse error: vector matching only allowed between instant vectors");
  EXPECT_EQ(ErrorOf("foo @ bar"), "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp");
}

TEST(LexerTest, Durations) {
  EXPECT_EQ(*ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(*ParseDuration("100ms"), 100);
  EXPECT_FALSE(ParseDuration("30m1h").ok());
  EXPECT_EQ(FormatDuration(5400000), "1h30m");
  EXPECT_EQ(FormatDuration(61001), "1m1s1ms");
}

// Found by the fuzzer: a unary operator over a signed operand printed "++Inf ^ x", which
// parses back with one more sign every round.
TEST(ParserTest, UnaryOverSignedOperandPrintsAFixedPoint) {
  auto e = ParseExpr("+Inf^ket");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::string s1 = (*e)->ToString();
  auto again = ParseExpr(s1);
  ASSERT_TRUE(again.ok()) << s1;
  EXPECT_EQ((*again)->ToString(), s1);
  for (const char* q : {"-(-1 ^ x)", "(-1) ^ 2", "-Inf ^ x", "2 ^ -1"}) {
    auto a = ParseExpr(q);
    ASSERT_TRUE(a.ok()) << q;
    auto b = ParseExpr((*a)->ToString());
    ASSERT_TRUE(b.ok()) << (*a)->ToString();
    EXPECT_EQ((*b)->ToString(), (*a)->ToString()) << q;
  }
}

// Found by the fuzzer: a thousand unary signs overflowed the printer's stack.
TEST(ParserTest, NestingIsBounded) {
  std::string deep = "x";
  for (int i = 0; i < 1000; ++i) deep = "-" + deep;
  auto r = ParseExpr(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested too deeply"), std::string::npos) << r.status().message();
  std::string parens = std::string(1000, '(') + "1" + std::string(1000, ')');
  EXPECT_FALSE(ParseExpr(parens).ok());
  std::string chain = "x";
  for (int i = 0; i < 1000; ++i) chain += " + x";
  EXPECT_FALSE(ParseExpr(chain).ok());
  std::string fine = "x";
  for (int i = 0; i < 100; ++i) fine += " + x";
  EXPECT_TRUE(ParseExpr(fine).ok());
  EXPECT_TRUE(ParseExpr(std::string(50, '(') + "1" + std::string(50, ')')).ok());
}

}  // namespace
}  // namespace abhra::promql
