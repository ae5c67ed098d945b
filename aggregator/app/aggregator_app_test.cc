#include "aggregator/app/aggregator_app.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aggregator/incidents/incident_store.h"
#include "aggregator/rules/manager.h"
#include "common/http/test_client.h"
#include "common/metrics/build_info.h"

namespace abhra::aggregator {
namespace {

class AggregatorAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/abhra_app_test_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  AggregatorOptions Options() {
    AggregatorOptions o;
    o.data_dir = dir_ + "/data";
    o.http.listen = "127.0.0.1:0";
    o.http.handler_threads = 2;
    return o;
  }

  std::string dir_;
};

TEST_F(AggregatorAppTest, ServesHealthReadyMetricsAndBuildInfo) {
  auto app = AggregatorApp::Start(Options());
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  uint16_t port = (*app)->port();
  ASSERT_NE(port, 0);
  EXPECT_TRUE((*app)->ready());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/data")) << "data dir created";

  auto healthy = http::Fetch(port, "GET", "/-/healthy");
  ASSERT_TRUE(healthy.ok()) << healthy.status().ToString();
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(healthy->body, "Healthy");
  auto ready = http::Fetch(port, "GET", "/-/ready");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, "Ready");
  auto head = http::Fetch(port, "HEAD", "/-/healthy");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->status, 200);

  auto build = http::Fetch(port, "GET", "/api/v1/status/buildinfo");
  ASSERT_TRUE(build.ok());
  EXPECT_EQ(build->status, 200);
  EXPECT_EQ(build->headers.GetOr("Content-Type"), "application/json");
  auto json = nlohmann::json::parse(build->body);
  EXPECT_EQ(json["status"], "success");
  EXPECT_EQ(json["data"]["version"], metrics::GetBuildInfo().version);
  for (const char* key : {"revision", "branch", "buildUser", "buildDate", "goVersion"}) {
    EXPECT_TRUE(json["data"].contains(key)) << key;
  }
  EXPECT_FALSE(json["data"].contains("features")) << "Grafana would treat us as Mimir";

  auto m = http::Fetch(port, "GET", "/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->headers.GetOr("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m->body.find("abhra_build_info{"), std::string::npos);
  EXPECT_NE(m->body.find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(m->body.find("abhra_http_requests_total{code=\"200\",handler=\"/-/healthy\"}"),
            std::string::npos)
      << m->body;

  auto wrong = http::Fetch(port, "POST", "/-/healthy");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 405);

  (*app)->Stop();
  EXPECT_FALSE((*app)->ready());
  EXPECT_FALSE(http::TestConnection::Connect(port).ok()) << "stopped serving";
  (*app)->Stop();  // idempotent
}

TEST_F(AggregatorAppTest, ServesRulesProvisioningAndIncidents) {
  // ctest runs from the repository root, where the default templates_dir "alerts" is.
  AggregatorOptions o = Options();
  std::filesystem::create_directories(dir_);
  std::string rule_file = dir_ + "/extra.yaml";
  {
    std::ofstream f(rule_file);
    f << "groups:\n  - name: extra\n    rules:\n      - record: one\n        expr: vector(1)\n";
  }
  o.config.rules.files = {rule_file};
  auto app = AggregatorApp::Start(o);
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  uint16_t port = (*app)->port();

  auto rules = http::Fetch(port, "GET", "/api/v1/rules");
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->status, 200);
  auto j = nlohmann::json::parse(rules->body);
  std::set<std::string> files;
  for (const auto& g : j["data"]["groups"]) files.insert(g["file"].get<std::string>());
  EXPECT_TRUE(files.count(rule_file));
  EXPECT_TRUE(files.count("prod.yaml"));
  EXPECT_TRUE(files.count("abhra-aggregator.yaml"));
  EXPECT_GT((*app)->rule_manager()->NumGroups(), 3u);

  auto prod = http::Fetch(port, "GET", "/api/v1/provisioning/rules/prod.yaml");
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(prod->status, 200);
  EXPECT_NE(prod->body.find("abhra-prod-sli"), std::string::npos);

  auto hook = http::Fetch(port, "POST", "/api/v1/alertmanager/webhook",
                          R"({"version":"4","status":"firing","alerts":[{"status":"firing",)"
                          R"("labels":{"alertname":"A","env":"prod"},"annotations":{"summary":"s"},)"
                          R"("startsAt":"2026-01-01T00:00:00Z","fingerprint":"f1"}]})");
  ASSERT_TRUE(hook.ok());
  EXPECT_EQ(hook->status, 200) << hook->body;
  auto bad = http::Fetch(port, "POST", "/api/v1/alertmanager/webhook", "{");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  auto inc = http::Fetch(port, "GET", "/api/v1/incidents?env=prod&state=firing");
  ASSERT_TRUE(inc.ok());
  j = nlohmann::json::parse(inc->body);
  ASSERT_EQ(j["data"]["incidents"].size(), 1u);
  EXPECT_EQ(j["data"]["incidents"][0]["summary"], "s");
  ASSERT_EQ((*app)->incidents()->Recent(10, "prod").size(), 1u);
  EXPECT_TRUE((*app)->rule_manager()->FiringAlerts().empty());
}

TEST_F(AggregatorAppTest, BadRuleFileStopsTheStart) {
  AggregatorOptions o = Options();
  std::filesystem::create_directories(dir_);
  std::string rule_file = dir_ + "/bad.yaml";
  {
    std::ofstream f(rule_file);
    f << "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: 'up +'\n";
  }
  o.config.rules.files = {rule_file};
  auto app = AggregatorApp::Start(o);
  ASSERT_FALSE(app.ok());
  EXPECT_NE(app.status().message().find("bad.yaml:5"), std::string::npos) << app.status().message();
}

TEST_F(AggregatorAppTest, SecondAppOnSameDataDirIsRefused) {
  auto first = AggregatorApp::Start(Options());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = AggregatorApp::Start(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("locked"), std::string::npos)
      << second.status().ToString();
}

TEST_F(AggregatorAppTest, ListenErrorIsReported) {
  auto first = AggregatorApp::Start(Options());
  ASSERT_TRUE(first.ok());
  AggregatorOptions o = Options();
  o.data_dir = dir_ + "/other";
  o.http.listen = (*first)->address();
  auto second = AggregatorApp::Start(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("cannot start the HTTP server"), std::string::npos)
      << second.status().ToString();
}

}  // namespace
}  // namespace abhra::aggregator
