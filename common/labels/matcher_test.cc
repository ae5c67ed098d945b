#include "common/labels/matcher.h"

#include <gtest/gtest.h>

namespace abhra {
namespace {

Matcher M(MatchType t, std::string v) {
  auto m = Matcher::Make(t, "l", std::move(v));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

TEST(MatcherTest, EqualAndNotEqual) {
  EXPECT_TRUE(M(MatchType::kEqual, "a").Matches("a"));
  EXPECT_FALSE(M(MatchType::kEqual, "a").Matches("ab"));
  EXPECT_TRUE(M(MatchType::kNotEqual, "a").Matches("b"));
  EXPECT_TRUE(M(MatchType::kEqual, "").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kNotEqual, "").MatchesEmpty());
}

TEST(MatcherTest, RegexIsFullyAnchored) {
  Matcher m = M(MatchType::kRegexMatch, "fo");
  EXPECT_FALSE(m.Matches("foo"));
  EXPECT_TRUE(m.Matches("fo"));
  EXPECT_TRUE(M(MatchType::kRegexMatch, "fo.*").Matches("foo"));
  EXPECT_FALSE(M(MatchType::kRegexMatch, "fo.*").Matches("xfoo"));
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a|b").Matches("b"));
  EXPECT_FALSE(M(MatchType::kRegexMatch, "a|b").Matches("ab"));
  EXPECT_TRUE(M(MatchType::kRegexNoMatch, "a|b").Matches("ab"));
  EXPECT_TRUE(M(MatchType::kRegexMatch, "5..").Matches("503"));
  EXPECT_FALSE(M(MatchType::kRegexMatch, "5..").Matches("5034"));
  // (?s): dot matches newline.
  EXPECT_TRUE(M(MatchType::kRegexMatch, "a.b").Matches("a\nb"));
  // Alternation binds inside the anchors: ^(?:a|b)$ not ^a|b$.
  EXPECT_FALSE(M(MatchType::kRegexMatch, "a|b").Matches("xb"));
}

TEST(MatcherTest, FastPathsAgreeWithRegex) {
  Matcher set = M(MatchType::kRegexMatch, "GET|POST|");
  EXPECT_EQ(set.SetMatches().size(), 3u);
  EXPECT_TRUE(set.Matches("POST"));
  EXPECT_TRUE(set.Matches(""));
  EXPECT_TRUE(set.MatchesEmpty());
  EXPECT_FALSE(set.Matches("PUT"));
  Matcher prefix = M(MatchType::kRegexMatch, "node_.*");
  EXPECT_TRUE(prefix.SetMatches().empty());
  EXPECT_TRUE(prefix.Matches("node_cpu"));
  EXPECT_TRUE(prefix.Matches("node_"));
  EXPECT_FALSE(prefix.Matches("nodecpu"));
  EXPECT_TRUE(M(MatchType::kRegexMatch, ".*").MatchesEmpty());
  EXPECT_FALSE(M(MatchType::kRegexMatch, ".+").MatchesEmpty());
}

TEST(MatcherTest, BadRegexSaysWhy) {
  auto m = Matcher::Make(MatchType::kRegexMatch, "job", "a(");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(m.status().message().find("invalid regular expression \"a(\" for label \"job\""),
            std::string::npos)
      << m.status().message();
}

TEST(MatcherTest, MatchesAllTreatsAbsentAsEmpty) {
  Labels l{{"__name__", "up"}, {"job", "api"}};
  std::vector<Matcher> ms{Matcher::Equal("job", "api"), M(MatchType::kEqual, "")};
  // "l" is absent → "" → matches l="".
  EXPECT_TRUE(MatchesAll(ms, l));
  ms.push_back(Matcher::Equal("env", "prod"));
  EXPECT_FALSE(MatchesAll(ms, l));
  EXPECT_EQ(ms[0].ToString(), "job=\"api\"");
}

}  // namespace
}  // namespace abhra
