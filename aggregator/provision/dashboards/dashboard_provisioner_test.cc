#include "aggregator/provision/dashboards/dashboard_provisioner.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "aggregator/provision/dashboards/fake_grafana.h"
#include "aggregator/provision/dashboards/file_provisioning.h"
#include "aggregator/storage/mem_storage.h"

namespace abhra::provision {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kNow = 100LL * 24 * 3600 * 1000;

void Add(storage::MemStorage* db, std::vector<Label> labels, int64_t t) {
  auto app = db->MakeAppender();
  ASSERT_TRUE(app->Append(0, Labels(std::move(labels)), t, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
}

void Deploy(storage::MemStorage* db, const std::string& env, const std::string& version,
            int64_t t) {
  Add(db, {{"__name__", "abhra_target_info"}, {"env", env}, {"service", "api"}, {"version", version}}, t);
}

http::Response Get(const http::Router& router, std::string method, std::string path) {
  http::Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.target = req.path;
  http::Response resp;
  router.Dispatch(&req, &resp);
  return resp;
}

class DashboardProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = fs::temp_directory_path() / ("abhra-prov-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }
  fs::path out_;
  storage::MemStorage db_;
  FakeClock clock_{kNow};
};

TEST_F(DashboardProvisionerTest, NewVersionGetsItsDashboardsEverywhere) {
  testing::FakeGrafana grafana("tok", "");
  ASSERT_TRUE(grafana.started());
  Deploy(&db_, "prod", "1.4.2", kNow - 60'000);
  Add(&db_, {{"__name__", "probe_success"}, {"env", "dev"}, {"service", "api"}}, kNow - 60'000);

  DashboardProvisionerOptions opts;
  opts.external_url = "http://abhra-aggregator:9090";
  opts.output_dir = out_.string();
  opts.grafana.url = grafana.url();
  opts.grafana.token = "tok";
  opts.version_window_ms = 3600 * 1000;
  auto prov = DashboardProvisioner::Create(&db_, opts, &clock_);
  ASSERT_TRUE(prov.ok()) << prov.status().ToString();
  http::Router router;
  (*prov)->RegisterRoutes(&router);

  // The first GET syncs on demand.
  auto index = Get(router, "GET", "/api/v1/provisioning/dashboards");
  ASSERT_EQ(index.status, 200);
  auto j = nlohmann::json::parse(index.body);
  ASSERT_EQ(j["status"], "success");
  std::set<std::string> uids;
  for (const auto& d : j["data"]["dashboards"]) {
    uids.insert(d["uid"].get<std::string>());
    EXPECT_EQ(d["url"], "/api/v1/provisioning/dashboards/" + d["uid"].get<std::string>() + ".json");
  }
  // 3 global, env dev + prod, version prod/1.4.2.
  EXPECT_EQ(uids.size(), 6u);
  EXPECT_TRUE(uids.count("abhra-ver-prod-1-4-2-84b45b18"));
  EXPECT_TRUE(uids.count("abhra-env-prod-6754af96"));
  EXPECT_EQ(grafana.pushed().size(), 6u);
  EXPECT_TRUE(grafana.problems().empty()) << grafana.problems()[0];

  auto one = Get(router, "GET", "/api/v1/provisioning/dashboards/abhra-ver-prod-1-4-2-84b45b18.json");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(nlohmann::json::parse(one.body)["uid"], "abhra-ver-prod-1-4-2-84b45b18");
  EXPECT_EQ(Get(router, "GET", "/api/v1/provisioning/dashboards/nope.json").status, 404);
  EXPECT_EQ(Get(router, "GET", "/api/v1/provisioning/dashboards/abhra-fleet").status, 404);

  auto files = ReadProvisionedDashboards(out_.string());
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 6u);

  // A new version appears: one more dashboard, pushed alone (the others did not change).
  clock_.Advance(60'000);
  Deploy(&db_, "prod", "1.5.0", clock_.NowMillis() - 1000);
  EXPECT_EQ(Get(router, "POST", "/api/v1/provisioning/dashboards/sync").status, 200);
  EXPECT_EQ((*prov)->Dashboards()->size(), 7u);
  EXPECT_EQ(grafana.pushed().size(), 7u);
  EXPECT_EQ(grafana.requests(), 7);

  // 1.4.2 is not seen for longer than the window: its dashboard leaves index and files.
  clock_.Advance(2 * 3600 * 1000);
  Deploy(&db_, "prod", "1.5.0", clock_.NowMillis() - 1000);
  Add(&db_, {{"__name__", "probe_success"}, {"env", "dev"}, {"service", "api"}}, clock_.NowMillis() - 1000);
  ASSERT_TRUE((*prov)->Sync().ok());
  files = ReadProvisionedDashboards(out_.string());
  ASSERT_TRUE(files.ok());
  EXPECT_FALSE(files->count("abhra-ver-prod-1-4-2-84b45b18"));
  EXPECT_EQ(files->size(), 6u);
  EXPECT_EQ(Get(router, "GET", "/api/v1/provisioning/dashboards/abhra-ver-prod-1-4-2-84b45b18.json").status, 404);
}

TEST_F(DashboardProvisionerTest, ProvisioningYaml) {
  DashboardProvisionerOptions opts;
  opts.external_url = "http://abhra-aggregator:9090";
  auto prov = DashboardProvisioner::Create(&db_, opts, &clock_);
  ASSERT_TRUE(prov.ok()) << prov.status().ToString();
  http::Router router;
  (*prov)->RegisterRoutes(&router);

  auto ds = Get(router, "GET", "/api/v1/provisioning/datasource.yaml");
  ASSERT_EQ(ds.status, 200);
  YAML::Node y = YAML::Load(ds.body);
  EXPECT_EQ(y["apiVersion"].as<int>(), 1);
  const YAML::Node d = y["datasources"][0];
  EXPECT_EQ(d["uid"].as<std::string>(), "abhra");
  EXPECT_EQ(d["type"].as<std::string>(), "prometheus");
  EXPECT_EQ(d["access"].as<std::string>(), "proxy");
  EXPECT_EQ(d["url"].as<std::string>(), "http://abhra-aggregator:9090");
  EXPECT_EQ(d["jsonData"]["httpMethod"].as<std::string>(), "POST");
  EXPECT_EQ(d["jsonData"]["prometheusType"].as<std::string>(), "Prometheus");
  EXPECT_EQ(d["jsonData"]["prometheusVersion"].as<std::string>(), "2.53.0");

  auto pv = Get(router, "GET", "/api/v1/provisioning/dashboards.yaml");
  ASSERT_EQ(pv.status, 200);
  YAML::Node p = YAML::Load(pv.body)["providers"][0];
  EXPECT_EQ(p["type"].as<std::string>(), "file");
  EXPECT_EQ(p["folder"].as<std::string>(), "Abhra");
  EXPECT_EQ(p["options"]["path"].as<std::string>(), "/var/lib/grafana/dashboards/abhra");
  EXPECT_FALSE(p["options"]["foldersFromFilesStructure"].as<bool>());
}

TEST_F(DashboardProvisionerTest, MissingTemplatesFailCreate) {
  DashboardProvisionerOptions opts;
  opts.templates_dir = (out_ / "nothing-here").string();
  auto prov = DashboardProvisioner::Create(&db_, opts, &clock_);
  ASSERT_FALSE(prov.ok());
  EXPECT_NE(prov.status().message().find("dashboards.yaml"), std::string::npos);
}

TEST_F(DashboardProvisionerTest, BackgroundLoopSyncsAndStops) {
  Deploy(&db_, "prod", "1.0", kNow - 1000);
  DashboardProvisionerOptions opts;
  opts.interval_ms = 10;
  auto prov = DashboardProvisioner::Create(&db_, opts, &clock_);
  ASSERT_TRUE(prov.ok());
  (*prov)->Start();
  for (int i = 0; i < 500 && (*prov)->Dashboards()->empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (*prov)->Stop();
  EXPECT_EQ((*prov)->Dashboards()->size(), 5u);
}

}  // namespace
}  // namespace abhra::provision
