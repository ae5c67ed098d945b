#include "aggregator/rules/alerting_rule.h"

#include <gtest/gtest.h>

namespace abhra::rules {
namespace {

constexpr int64_t kMin = 60 * 1000;

RuleSpec DownRule(int64_t for_ms, int64_t keep_ms = 0) {
  RuleSpec s;
  s.kind = RuleKind::kAlerting;
  s.name = "Down";
  s.expr = "probe_success == 0";
  s.for_ms = for_ms;
  s.keep_firing_for_ms = keep_ms;
  s.labels = Labels{{"severity", "page"}, {"where", "{{ $labels.service }}"}};
  s.annotations = Labels{{"summary", "{{ $labels.service }} is down ({{ $value }})"}};
  return s;
}

promql::Vector Down() {
  return {{Labels{{"__name__", "probe_success"}, {"service", "x"}}, 0, 0.0}};
}

const Alert& Only(const AlertingRule& r) {
  EXPECT_EQ(r.active().size(), 1u);
  return r.active().begin()->second;
}

TEST(AlertingRuleTest, PendingFiringResolved) {
  AlertingRule rule(DownRule(2 * kMin));
  RuleEvalContext ctx;
  auto out = rule.Eval(Down(), 0, ctx);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Only(rule).state, AlertState::kPending);
  EXPECT_EQ(Only(rule).labels, (Labels{{"alertname", "Down"}, {"service", "x"},
                                       {"severity", "page"}, {"where", "x"}}));
  EXPECT_EQ(Only(rule).annotations.Get("summary"), "x is down (0)");
  ASSERT_EQ(out->size(), 2u);  // ALERTS + ALERTS_FOR_STATE
  EXPECT_EQ((*out)[0].metric.Get("alertstate"), "pending");
  EXPECT_EQ((*out)[1].metric.MetricName(), "ALERTS_FOR_STATE");
  EXPECT_EQ((*out)[1].f, 0);
  // Pending alerts are not sent.
  EXPECT_TRUE(rule.AlertsToSend(0, kMin, kMin, "u").empty());

  ASSERT_TRUE(rule.Eval(Down(), kMin, ctx).ok());
  EXPECT_EQ(Only(rule).state, AlertState::kPending);
  out = rule.Eval(Down(), 2 * kMin, ctx);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Only(rule).state, AlertState::kFiring);
  EXPECT_EQ((*out)[0].metric.Get("alertstate"), "firing");

  auto sent = rule.AlertsToSend(2 * kMin, kMin, 30000, "u");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].starts_at_ms, 2 * kMin);
  EXPECT_EQ(sent[0].ends_at_ms, 2 * kMin + 4 * kMin);  // 4 x max(interval, resend delay)
  EXPECT_TRUE(rule.AlertsToSend(2 * kMin + 30000, kMin, 30000, "u").empty());  // < resend delay
  EXPECT_EQ(rule.AlertsToSend(3 * kMin + 1, kMin, 30000, "u").size(), 1u);    // resent

  out = rule.Eval({}, 4 * kMin, ctx);  // recovered
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->empty());
  EXPECT_EQ(Only(rule).state, AlertState::kInactive);
  sent = rule.AlertsToSend(4 * kMin, kMin, 30000, "u");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].ends_at_ms, 4 * kMin);  // resolved: endsAt = resolve time
  // Resolved alerts are re-sent for 15 minutes, then forgotten.
  ASSERT_TRUE(rule.Eval({}, 19 * kMin, ctx).ok());
  EXPECT_EQ(rule.active().size(), 1u);
  ASSERT_TRUE(rule.Eval({}, 19 * kMin + 1, ctx).ok());
  EXPECT_TRUE(rule.active().empty());
}

TEST(AlertingRuleTest, PendingAlertThatClearsIsDropped) {
  AlertingRule rule(DownRule(5 * kMin));
  ASSERT_TRUE(rule.Eval(Down(), 0, {}).ok());
  ASSERT_TRUE(rule.Eval({}, kMin, {}).ok());
  EXPECT_TRUE(rule.active().empty());
}

TEST(AlertingRuleTest, KeepFiringFor) {
  AlertingRule rule(DownRule(0, 2 * kMin));
  ASSERT_TRUE(rule.Eval(Down(), 0, {}).ok());
  EXPECT_EQ(Only(rule).state, AlertState::kFiring);
  ASSERT_TRUE(rule.Eval({}, kMin, {}).ok());
  EXPECT_EQ(Only(rule).state, AlertState::kFiring);
  EXPECT_EQ(Only(rule).keep_firing_since_ms, kMin);
  ASSERT_TRUE(rule.Eval({}, 3 * kMin, {}).ok());
  EXPECT_EQ(Only(rule).state, AlertState::kInactive);
}

TEST(AlertingRuleTest, DuplicateLabelSetsAndLimitAreErrors) {
  RuleSpec s = DownRule(0);
  s.labels = Labels{};
  AlertingRule rule(s);
  promql::Vector two = {{Labels{{"__name__", "a"}, {"service", "x"}}, 0, 0.0},
                        {Labels{{"__name__", "b"}, {"service", "x"}}, 0, 0.0}};
  EXPECT_FALSE(rule.Eval(two, 0, {}).ok());  // equal once __name__ is dropped
  promql::Vector distinct = {{Labels{{"service", "x"}}, 0, 0.0}, {Labels{{"service", "y"}}, 0, 0.0}};
  RuleEvalContext ctx;
  ctx.limit = 1;
  auto r = rule.Eval(distinct, 0, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exceeded limit of 1"), std::string::npos);
  EXPECT_TRUE(rule.active().empty());
}

TEST(AlertingRuleTest, RestoresActiveAtFromForState) {
  AlertingRule rule(DownRule(5 * kMin));
  ASSERT_TRUE(rule.Eval(Down(), 10 * kMin, {}).ok());
  Labels l = Only(rule).labels;
  l.Set("__name__", "ALERTS_FOR_STATE");
  rule.RestoreForState({{l, 0, 4.0 * 60}});  // active since minute 4
  EXPECT_EQ(Only(rule).active_at_ms, 4 * kMin);
  ASSERT_TRUE(rule.Eval(Down(), 11 * kMin, {}).ok());
  EXPECT_EQ(Only(rule).state, AlertState::kFiring);
}

TEST(AlertingRuleTest, GeneratorUrl) {
  EXPECT_EQ(GeneratorUrl("http://a:9", "up == 0"), "http://a:9/graph?g0.expr=up+%3D%3D+0&g0.tab=1");
}

}  // namespace
}  // namespace abhra::rules
