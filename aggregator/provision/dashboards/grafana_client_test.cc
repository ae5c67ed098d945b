#include "aggregator/provision/dashboards/grafana_client.h"

#include <gtest/gtest.h>

#include "aggregator/provision/dashboards/dashboard_set.h"
#include "aggregator/provision/dashboards/fake_grafana.h"

namespace abhra::provision {
namespace {

using testing::FakeGrafana;

GrafanaOptions Options(std::string url, std::string token, std::string folder_uid = "") {
  GrafanaOptions o;
  o.url = std::move(url);
  o.token = std::move(token);
  o.folder_uid = std::move(folder_uid);
  return o;
}

std::vector<RenderedDashboard> RepositoryDashboards() {
  auto set = LoadDashboardTemplates("dashboards");
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  if (!set.ok()) return {};
  return RenderAll(*set, {{"prod", {"1.4.2"}}, {"staging", {"1.5.0-rc.1"}}}, nullptr);
}

TEST(GrafanaPushBodyTest, Shape) {
  RenderedDashboard d;
  d.uid = "u";
  d.json = R"({"uid":"u","schemaVersion":39})";
  EXPECT_EQ(GrafanaPushBody(d, "f\"1", "m"),
            R"({"dashboard":{"uid":"u","schemaVersion":39},"folderUid":"f\"1","overwrite":true,"message":"m"})");
  EXPECT_EQ(GrafanaPushBody(d, "", "m"),
            R"({"dashboard":{"uid":"u","schemaVersion":39},"overwrite":true,"message":"m"})");
}

TEST(GrafanaPusherTest, PushesEveryDashboardOnceThenOnlyChanges) {
  FakeGrafana grafana("tok3n", "abhra-folder");
  ASSERT_TRUE(grafana.started());
  auto dashboards = RepositoryDashboards();
  ASSERT_EQ(dashboards.size(), 7u);
  GrafanaPusher pusher(Options(grafana.url() + "/", "tok3n", "abhra-folder"));
  GrafanaSyncStats stats;
  ASSERT_TRUE(pusher.Push(dashboards, &stats).ok());
  EXPECT_EQ(stats.pushed, 7);
  EXPECT_EQ(stats.skipped, 0);
  EXPECT_TRUE(grafana.problems().empty()) << grafana.problems()[0];
  EXPECT_EQ(grafana.pushed().size(), 7u);

  // Unchanged: no request at all.
  ASSERT_TRUE(pusher.Push(dashboards, &stats).ok());
  EXPECT_EQ(stats.pushed, 0);
  EXPECT_EQ(stats.skipped, 7);
  EXPECT_EQ(grafana.requests(), 7);

  // One changed dashboard: one request.
  dashboards[0].json.insert(dashboards[0].json.rfind('}'), ",\"description\":\"x\"");
  ASSERT_TRUE(pusher.Push(dashboards, &stats).ok());
  EXPECT_EQ(stats.pushed, 1);
  EXPECT_EQ(stats.skipped, 6);
  EXPECT_EQ(grafana.requests(), 8);
  EXPECT_TRUE(grafana.problems().empty()) << grafana.problems()[0];
}

TEST(GrafanaPusherTest, WrongTokenStopsTheRoundWithAClearError) {
  FakeGrafana grafana("right", "");
  ASSERT_TRUE(grafana.started());
  auto dashboards = RepositoryDashboards();
  GrafanaPusher pusher(Options(grafana.url(), "wrong"));
  GrafanaSyncStats stats;
  Status st = pusher.Push(dashboards, &stats);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kUnauthenticated);
  EXPECT_NE(st.message().find("401"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("invalid API key"), std::string::npos) << st.message();
  EXPECT_EQ(grafana.requests(), 1);  // no point in trying the others
  EXPECT_EQ(stats.failed, static_cast<int>(dashboards.size()));

  // Nothing was recorded as pushed: with the right token everything goes out.
  GrafanaPusher fixed(Options(grafana.url(), "right"));
  ASSERT_TRUE(fixed.Push(dashboards, &stats).ok());
  EXPECT_EQ(stats.pushed, static_cast<int>(dashboards.size()));
}

TEST(GrafanaPusherTest, ForbiddenAndNameExists) {
  FakeGrafana grafana("t", "");
  ASSERT_TRUE(grafana.started());
  auto dashboards = RepositoryDashboards();
  GrafanaPusher pusher(Options(grafana.url(), "t"));
  GrafanaSyncStats stats;
  grafana.set_mode(FakeGrafana::Mode::kForbidden);
  Status st = pusher.Push(dashboards, &stats);
  EXPECT_EQ(st.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(st.message().find("403"), std::string::npos);

  grafana.set_mode(FakeGrafana::Mode::kNameExists);
  st = pusher.Push(dashboards, &stats);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("412 name-exists"), std::string::npos) << st.message();
  // 412 is per dashboard: every one was tried.
  EXPECT_EQ(stats.failed, static_cast<int>(dashboards.size()));

  // After Grafana is fixed they are pushed (failures are not remembered as pushed).
  grafana.set_mode(FakeGrafana::Mode::kOk);
  ASSERT_TRUE(pusher.Push(dashboards, &stats).ok());
  EXPECT_EQ(stats.pushed, static_cast<int>(dashboards.size()));
  EXPECT_TRUE(grafana.problems().empty()) << grafana.problems()[0];
}

TEST(GrafanaPusherTest, UnreachableGrafanaIsUnavailable) {
  GrafanaOptions opts = Options("http://127.0.0.1:1", "t");
  opts.timeout = std::chrono::milliseconds(2000);
  GrafanaPusher pusher(opts);
  RenderedDashboard d;
  d.uid = "x";
  d.json = "{}";
  GrafanaSyncStats stats;
  Status st = pusher.Push({d}, &stats);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(stats.failed, 1);
}

}  // namespace
}  // namespace abhra::provision
