#include "common/labels/labels.h"

#include <gtest/gtest.h>

#include "common/labels/hash.h"

namespace abhra {
namespace {

TEST(LabelsTest, SortsAndGets) {
  Labels l{{"job", "api"}, {"__name__", "up"}, {"env", "prod"}};
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l[1].name, "env");
  EXPECT_EQ(l.Get("job"), "api");
  EXPECT_EQ(l.Get("missing"), "");
  EXPECT_EQ(l.MetricName(), "up");
  EXPECT_EQ(l.ToString(), "up{env=\"prod\", job=\"api\"}");
}

TEST(LabelsTest, HashEqualForEqualSets) {
  Labels a{{"a", "1"}, {"b", "2"}};
  Labels b{{"b", "2"}, {"a", "1"}};
  Labels c{{"a", "12"}};
  EXPECT_EQ(a.Hash(), b.Hash());
  EXPECT_NE(a.Hash(), c.Hash());
  // The separator keeps {a="1",b="2"} apart from {a="1b", ...} style collisions.
  Labels d{{"a", "1\xff" "b"}, {"x", "2"}};
  EXPECT_NE(a.Hash(), d.Hash());
}

TEST(LabelsTest, KeepWithoutSetDel) {
  Labels l{{"__name__", "m"}, {"a", "1"}, {"b", "2"}};
  std::vector<std::string> names{"a"};
  EXPECT_EQ(l.Keep(names), (Labels{{"a", "1"}}));
  EXPECT_EQ(l.Without(names), (Labels{{"__name__", "m"}, {"b", "2"}}));
  EXPECT_EQ(l.WithoutMetricName(), (Labels{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(l.HashWithoutLabels(names), (Labels{{"b", "2"}}.Hash()));
  EXPECT_EQ(l.HashForLabels(names), (Labels{{"a", "1"}}.Hash()));
  l.Set("c", "3");
  l.Set("a", "9");
  EXPECT_EQ(l.ToString(), "m{a=\"9\", b=\"2\", c=\"3\"}");
  l.Del("b");
  l.Set("c", "");
  EXPECT_EQ(l.ToString(), "m{a=\"9\"}");
}

TEST(LabelsTest, CompareOrdersPairwise) {
  Labels a{{"a", "1"}};
  Labels b{{"a", "2"}};
  Labels c{{"a", "1"}, {"b", "1"}};
  EXPECT_LT(Compare(a, b), 0);
  EXPECT_LT(Compare(a, c), 0);
  EXPECT_EQ(Compare(a, a), 0);
  EXPECT_GT(Compare(b, c), 0);
}

TEST(LabelsTest, NameValidation) {
  EXPECT_TRUE(IsValidMetricName("http_requests_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("_x1"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("1a"));
  EXPECT_FALSE(IsValidLabelName("a-b"));
}

TEST(LabelsTest, ValidateReportsFirstProblem) {
  auto v = [](std::vector<Label> l) { return ValidateLabels(l); };
  EXPECT_TRUE(v({{"__name__", "up"}, {"job", "x"}}).ok());
  EXPECT_EQ(v({{"1a", "x"}}).message(), "invalid label name \"1a\": must match [a-zA-Z_][a-zA-Z0-9_]*");
  EXPECT_EQ(v({{"a", "1"}, {"a", "2"}}).message(), "duplicate label name \"a\"");
  EXPECT_EQ(v({{"b", "1"}, {"a", "2"}}).message(), "labels not sorted by name: \"a\" comes after \"b\"");
  EXPECT_EQ(v({{"a", ""}}).message(), "label \"a\" has an empty value");
  EXPECT_EQ(v({{"__name__", "bad-name"}}).message(),
            "invalid metric name \"bad-name\": must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  EXPECT_EQ(v({}).message(), "series has no labels");
}

TEST(LabelsTest, Escape) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(HashTest, DependsOnEveryByteAndSeed) {
  std::string s(100, 'x');
  uint64_t h = HashString(s);
  for (size_t i = 0; i < s.size(); ++i) {
    std::string t = s;
    t[i] = 'y';
    EXPECT_NE(HashString(t), h) << i;
  }
  EXPECT_NE(HashString(s, 1), h);
  EXPECT_NE(HashString("a"), HashString("a\0", 2));
}

}  // namespace
}  // namespace abhra
