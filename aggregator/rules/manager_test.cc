#include "aggregator/rules/manager.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/storage/mem_storage.h"

namespace abhra::rules {
namespace {

constexpr int64_t kMin = 60 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest() {
    ManagerOptions o;
    o.env.query = [this](std::string_view expr, int64_t t) -> Result<promql::Vector> {
      promql::Engine engine;
      auto r = engine.InstantQuery(db_, expr, t, promql::QueryOptions{});
      if (!r.ok()) return r.status();
      if (auto* v = std::get_if<promql::Vector>(&r->value)) return *v;
      if (auto* s = std::get_if<promql::Scalar>(&r->value)) {
        return promql::Vector{{Labels{}, s->t, s->v}};
      }
      return Status::InvalidArgument("not a vector");
    };
    o.env.appendable = &db_;
    o.env.notify = [this](std::vector<notify::Alert> a) {
      for (auto& x : a) sent_.push_back(std::move(x));
    };
    o.env.external_url = "http://agg";
    o.registry = &registry_;
    manager_ = std::make_unique<Manager>(std::move(o));
  }

  void Put(std::string_view service, int64_t t, double v) {
    auto app = db_.MakeAppender();
    ASSERT_TRUE(app->Append(0, Labels{{"__name__", "probe_success"}, {"env", "test"},
                                      {"service", std::string(service)}}, t, v).ok());
    ASSERT_TRUE(app->Commit().ok());
  }

  double Query(std::string_view q, int64_t t) {
    auto v = manager_options_query(q, t);
    return v.empty() ? -1 : v[0].f;
  }
  promql::Vector manager_options_query(std::string_view q, int64_t t) {
    promql::Engine engine;
    auto r = engine.InstantQuery(db_, q, t, promql::QueryOptions{});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return std::get<promql::Vector>(r->value);
  }

  storage::MemStorage db_;
  prometheus::Registry registry_;
  std::vector<notify::Alert> sent_;
  std::unique_ptr<Manager> manager_;
};

constexpr const char* kRules = R"(
groups:
  - name: g
    interval: 1m
    rules:
      - record: env:probe_success:min
        expr: min by (env) (probe_success)
      - alert: TargetDown
        expr: probe_success == 0
        for: 1m
        labels: {severity: page}
        annotations: {summary: "{{ $labels.service }} down"}
)";

TEST_F(ManagerTest, RecordsFiresResolvesAndServesJson) {
  auto groups = ParseRuleFile(kRules, "test.yaml", kMin);
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  manager_->Update(std::move(*groups));
  ASSERT_EQ(manager_->NumGroups(), 1u);

  for (int i = 0; i <= 2; ++i) {
    Put("x", kT0 + i * kMin - 1000, 0);
    manager_->EvalAllOnce(kT0 + i * kMin);
  }
  EXPECT_EQ(Query("env:probe_success:min", kT0 + 2 * kMin), 0);
  EXPECT_EQ(Query("ALERTS{alertstate=\"firing\"}", kT0 + 2 * kMin), 1);
  ASSERT_EQ(manager_->FiringAlerts().size(), 1u);
  EXPECT_EQ(manager_->FiringAlerts()[0].annotations.Get("summary"), "x down");
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].labels.Get("alertname"), "TargetDown");
  EXPECT_EQ(sent_[0].generator_url, "http://agg/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1");

  auto rules = manager_->RulesJson({});
  ASSERT_TRUE(rules.ok());
  auto j = nlohmann::json::parse(*rules);
  ASSERT_EQ(j["groups"].size(), 1u);
  EXPECT_EQ(j["groups"][0]["file"], "test.yaml");
  EXPECT_EQ(j["groups"][0]["interval"], 60);
  auto& r = j["groups"][0]["rules"];
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["type"], "recording");
  EXPECT_EQ(r[0]["health"], "ok");
  EXPECT_EQ(r[1]["type"], "alerting");
  EXPECT_EQ(r[1]["state"], "firing");
  EXPECT_EQ(r[1]["duration"], 60);
  EXPECT_EQ(r[1]["alerts"][0]["value"], "0e+00");
  EXPECT_EQ(r[1]["alerts"][0]["activeAt"], "2023-11-14T22:13:20Z");

  http::Params only_record;
  only_record.Add("type", "record");
  j = nlohmann::json::parse(*manager_->RulesJson(only_record));
  ASSERT_EQ(j["groups"][0]["rules"].size(), 1u);
  http::Params none;
  none.Add("rule_name[]", "nope");
  EXPECT_TRUE(nlohmann::json::parse(*manager_->RulesJson(none))["groups"].empty());
  http::Params bad;
  bad.Add("type", "x");
  EXPECT_FALSE(manager_->RulesJson(bad).ok());
  http::Params excl;
  excl.Add("exclude_alerts", "true");
  j = nlohmann::json::parse(*manager_->RulesJson(excl));
  EXPECT_FALSE(j["groups"][0]["rules"][1].contains("alerts"));
  j = nlohmann::json::parse(*manager_->AlertsJson({}));
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["state"], "firing");

  // Recovery: the alert resolves, is sent resolved, and its ALERTS series goes stale.
  Put("x", kT0 + 3 * kMin - 1000, 1);
  manager_->EvalAllOnce(kT0 + 3 * kMin);
  EXPECT_TRUE(manager_->FiringAlerts().empty());
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[1].ends_at_ms, kT0 + 3 * kMin);
  EXPECT_TRUE(manager_options_query("ALERTS", kT0 + 3 * kMin).empty());
}

TEST_F(ManagerTest, UpdateKeepsStateOfUnchangedGroups) {
  manager_->Update(*ParseRuleFile(kRules, "test.yaml", kMin));
  Put("x", kT0 - 1000, 0);
  manager_->EvalAllOnce(kT0);
  ASSERT_EQ(manager_->ActiveAlerts().size(), 1u);
  manager_->Update(*ParseRuleFile(kRules, "test.yaml", kMin));
  ASSERT_EQ(manager_->ActiveAlerts().size(), 1u);
  EXPECT_EQ(manager_->ActiveAlerts()[0].active_at_ms, kT0);
  manager_->Update({});
  EXPECT_EQ(manager_->NumGroups(), 0u);
}

TEST_F(ManagerTest, RestoresPendingAlertsAfterRestart) {
  constexpr const char* kSlow = R"(
groups:
  - name: g
    rules:
      - alert: Down
        expr: probe_success == 0
        for: 5m
)";
  manager_->Update(*ParseRuleFile(kSlow, "t.yaml", kMin));
  Put("x", kT0 - 1000, 0);
  manager_->EvalAllOnce(kT0);
  ASSERT_EQ(manager_->ActiveAlerts().size(), 1u);

  // A new manager over the same storage ("after a restart").
  ManagerOptions o;
  o.env.query = [this](std::string_view expr, int64_t t) -> Result<promql::Vector> {
    promql::Engine engine;
    auto r = engine.InstantQuery(db_, expr, t, promql::QueryOptions{});
    if (!r.ok()) return r.status();
    return std::get<promql::Vector>(r->value);
  };
  o.env.appendable = &db_;
  Manager restarted(std::move(o));
  restarted.Update(*ParseRuleFile(kSlow, "t.yaml", kMin));
  Put("x", kT0 + 4 * kMin, 0);
  restarted.EvalAllOnce(kT0 + 4 * kMin);
  ASSERT_EQ(restarted.ActiveAlerts().size(), 1u);
  EXPECT_EQ(restarted.ActiveAlerts()[0].active_at_ms, kT0);  // restored, not 4m later
  Put("x", kT0 + 5 * kMin, 0);
  restarted.EvalAllOnce(kT0 + 5 * kMin);
  EXPECT_EQ(restarted.FiringAlerts().size(), 1u);
}

TEST_F(ManagerTest, FailingRuleReportsError) {
  manager_->Update(*ParseRuleFile(R"(
groups:
  - name: g
    rules:
      - record: r
        expr: label_replace(up, "a", "$1", "b", "(")
)", "t.yaml", kMin));
  manager_->EvalAllOnce(kT0);
  auto j = nlohmann::json::parse(*manager_->RulesJson({}));
  EXPECT_EQ(j["groups"][0]["rules"][0]["health"], "err");
  EXPECT_TRUE(j["groups"][0]["rules"][0].contains("lastError"));
}

TEST_F(ManagerTest, StartsAndStopsThreads) {
  manager_->Update(*ParseRuleFile(kRules, "test.yaml", kMin));
  manager_->Start();
  manager_->Update(*ParseRuleFile(kRules, "test2.yaml", kMin));
  EXPECT_EQ(manager_->NumGroups(), 1u);
  manager_->Stop();
  manager_->Stop();
}

}  // namespace
}  // namespace abhra::rules
