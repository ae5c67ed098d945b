#include "aggregator/rules/rule_file.h"

#include <gtest/gtest.h>

namespace abhra::rules {
namespace {

constexpr int64_t kMin = 60 * 1000;

TEST(RuleFileTest, ParsesGroupsAndRules) {
  auto groups = ParseRuleFile(R"y(
groups:
  - name: g1
    interval: 30s
    limit: 10
    query_offset: 1m
    labels: {team: sre}
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: {source: rec}
      - alert: Down
        expr: up == 0
        for: 5m
        keep_firing_for: 2m
        labels: {severity: page}
        annotations:
          summary: "{{ $labels.instance }} down ({{ $value | humanize }})"
  - name: g2
    rules: []
)y", "f.yaml", kMin);
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 2u);
  const GroupSpec& g = (*groups)[0];
  EXPECT_EQ(g.name, "g1");
  EXPECT_EQ(g.file, "f.yaml");
  EXPECT_EQ(g.interval_ms, 30000);
  EXPECT_EQ(g.limit, 10);
  EXPECT_EQ(g.query_offset_ms, kMin);
  EXPECT_EQ(g.labels.Get("team"), "sre");
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].kind, RuleKind::kRecording);
  EXPECT_EQ(g.rules[0].name, "job:up:sum");
  EXPECT_EQ(g.rules[0].labels.Get("source"), "rec");
  EXPECT_EQ(g.rules[1].kind, RuleKind::kAlerting);
  EXPECT_EQ(g.rules[1].for_ms, 5 * kMin);
  EXPECT_EQ(g.rules[1].keep_firing_for_ms, 2 * kMin);
  EXPECT_EQ(g.rules[1].annotations.Get("summary"),
            "{{ $labels.instance }} down ({{ $value | humanize }})");
  EXPECT_EQ((*groups)[1].interval_ms, kMin);  // the default
}

TEST(RuleFileTest, EmptyFileHasNoGroups) {
  auto groups = ParseRuleFile("", "f.yaml", kMin);
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(groups->empty());
}

TEST(RuleFileTest, ReportsEveryProblemWithPosition) {
  auto groups = ParseRuleFile(R"(groups:
  - name: g
    interval: 5 min
    rules:
      - record: "bad name"
        expr: up
      - alert: A
        expr: "up =="
        for: soon
      - alert: B
        record: b
        expr: up
      - alert: C
        expr: up
        annotations: {s: "{{ $labels.x | frobnicate }}"}
        bogus: 1
  - name: g
)", "r.yaml", kMin);
  ASSERT_FALSE(groups.ok());
  const std::string& m = groups.status().message();
  EXPECT_NE(m.find("r.yaml:3:15: group \"g\".interval must be a duration"), std::string::npos) << m;
  EXPECT_NE(m.find("invalid recording rule name \"bad name\""), std::string::npos) << m;
  EXPECT_NE(m.find("cannot parse expr"), std::string::npos) << m;
  EXPECT_NE(m.find("for must be a duration such as 5m, got \"soon\""), std::string::npos) << m;
  EXPECT_NE(m.find("exactly one of \"record\" or \"alert\""), std::string::npos) << m;
  EXPECT_NE(m.find("frobnicate"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown field \"bogus\""), std::string::npos) << m;
  EXPECT_NE(m.find("duplicate group name \"g\""), std::string::npos) << m;
}

TEST(RuleFileTest, RejectsBadYamlAndShapes) {
  EXPECT_NE(ParseRuleFile("groups: [", "x", kMin).status().message().find("x:"), std::string::npos);
  EXPECT_FALSE(ParseRuleFile("- a", "x", kMin).ok());
  EXPECT_FALSE(ParseRuleFile("groups: {a: 1}", "x", kMin).ok());
  EXPECT_FALSE(ParseRuleFile("groups: [{name: g, rules: [{alert: A}]}]", "x", kMin).ok());
  EXPECT_FALSE(ParseRuleFile("groups: [{name: g, limit: x, rules: []}]", "x", kMin).ok());
  EXPECT_FALSE(
      ParseRuleFile("groups: [{name: g, rules: [{record: r, expr: up, labels: {__name__: x}}]}]",
                    "x", kMin).ok());
}

}  // namespace
}  // namespace abhra::rules
