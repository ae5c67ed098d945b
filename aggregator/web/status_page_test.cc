#include "aggregator/web/status_page.h"

#include <cmath>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aggregator/storage/mem_storage.h"
#include "aggregator/web/status_test_data.h"

namespace abhra::web {
namespace {

using namespace testing;  // NOLINT

constexpr int64_t kNow = 100 * kHour;
const std::string kEvil = "<script>alert(1)</script><img src=x onerror=alert(2)>";

http::Response Get(const http::Router& router, const std::string& path,
                   const std::string& query = "") {
  http::Request req;
  req.method = "GET";
  req.path = path;
  req.raw_query = query;
  if (!query.empty()) {
    auto eq = query.find('=');
    req.query.Add(query.substr(0, eq), query.substr(eq + 1));
  }
  http::Response resp;
  router.Dispatch(&req, &resp);
  return resp;
}

class StatusPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteProbe(&db_, {"prod", "api", "a"}, kNow - kHour, kNow - 15000, 15000,
                           [](int64_t) { return 1.0; }));
    ASSERT_TRUE(WriteProbe(&db_, {"prod", kEvil, "a"}, kNow - kHour, kNow - 15000, 15000,
                           [](int64_t) { return 0.0; }));
    ASSERT_TRUE(WriteTargetInfo(&db_, "prod", "api", "1.4.2\"><b>x</b>", kNow - kHour, kNow - 15000, 15000));
    page_ = std::make_unique<StatusPage>(&db_, StatusPageOptions{}, &clock_);
    page_->SetAlertsSource([this] {
      ++alert_calls_;
      return std::vector<AlertView>{
          {"ProbeFailing", "prod", kEvil, "critical", "Probe of " + kEvil + " fails", "firing", kNow - 5 * kMinute},
          {"SlowProbe", "prod", "api", "warning", "", "pending", 0}};
    });
    page_->SetIncidentsSource([] {
      return std::vector<IncidentView>{
          {"prod", "api", "OldOutage", "critical", "api was down", kNow - 5 * kHour, kNow - 4 * kHour, "resolved"},
          {"prod", kEvil, "ProbeFailing", "critical", "<i>open</i>", kNow - 5 * kMinute, 0, "firing"}};
    });
    page_->RegisterRoutes(&router_);
  }
  storage::MemStorage db_;
  FakeClock clock_{kNow};
  std::unique_ptr<StatusPage> page_;
  http::Router router_;
  int alert_calls_ = 0;
};

TEST_F(StatusPageTest, PageShowsServicesAlertsAndIncidentsEscaped) {
  auto resp = Get(router_, "/");
  ASSERT_EQ(resp.status, 200);
  EXPECT_EQ(resp.headers.GetOr("Content-Type"), "text/html; charset=utf-8");
  const std::string& html = resp.body;
  EXPECT_NE(html.find("Environment <span class=\"env-name\">prod</span>"), std::string::npos);
  EXPECT_NE(html.find(">api<"), std::string::npos);
  EXPECT_NE(html.find(">up<"), std::string::npos);
  EXPECT_NE(html.find(">down<"), std::string::npos);
  EXPECT_NE(html.find("100%"), std::string::npos);
  EXPECT_NE(html.find("<code>1.4.2&quot;&gt;&lt;b&gt;x&lt;/b&gt;</code>"), std::string::npos);
  EXPECT_NE(html.find("ProbeFailing"), std::string::npos);
  EXPECT_NE(html.find("OldOutage"), std::string::npos);
  EXPECT_NE(html.find("&lt;i&gt;open&lt;/i&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"),
            std::string::npos);
  // The injected markup never appears raw; the only script is our own.
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>x"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(html, m, std::regex("<script nonce=\"([0-9a-f]{32})\">")));
  EXPECT_NE(resp.headers.GetOr("Content-Security-Policy").find("'nonce-" + m[1].str() + "'"),
            std::string::npos);
  size_t scripts = 0;
  for (size_t p = html.find("<script"); p != std::string::npos; p = html.find("<script", p + 1)) ++scripts;
  EXPECT_EQ(scripts, 1u);
  // No external resources.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST_F(StatusPageTest, PartialAndJsonAndCache) {
  auto partial = Get(router_, "/", "partial=1");
  ASSERT_EQ(partial.status, 200);
  EXPECT_EQ(partial.body.find("<html"), std::string::npos);
  EXPECT_NE(partial.body.find("ProbeFailing"), std::string::npos);

  auto resp = Get(router_, "/api/v1/status/page");
  ASSERT_EQ(resp.status, 200);
  auto j = nlohmann::json::parse(resp.body);
  ASSERT_EQ(j["status"], "success");
  const auto& services = j["data"]["services"];
  ASSERT_EQ(services.size(), 2u);
  bool saw_evil = false;
  for (const auto& s : services) {
    if (s["service"] == kEvil) {
      saw_evil = true;
      EXPECT_EQ(s["state"], "down");
      EXPECT_EQ(s["uptime24h"], 0.0);
    } else {
      EXPECT_EQ(s["state"], "up");
      EXPECT_EQ(s["versions"][0], "1.4.2\"><b>x</b>");
    }
  }
  EXPECT_TRUE(saw_evil);
  EXPECT_EQ(j["data"]["alerts"][0]["alertname"], "ProbeFailing");  // firing before pending
  EXPECT_EQ(j["data"]["incidents"][0]["alertname"], "ProbeFailing");  // newest first
  // Three requests within cache_ms: one collection.
  EXPECT_EQ(alert_calls_, 1);
  clock_.Advance(6000);
  Get(router_, "/api/v1/status/page");
  EXPECT_EQ(alert_calls_, 2);
}

TEST(StatusPageHtmlTest, Formatting) {
  EXPECT_EQ(FormatUptime(std::nullopt), "—");
  EXPECT_EQ(FormatUptime(1.0), "100%");
  EXPECT_EQ(FormatUptime(0.99999), "99.99%");
  EXPECT_EQ(FormatUptime(0.75), "75.00%");
  EXPECT_EQ(FormatUptime(0.0), "0.00%");
  EXPECT_EQ(FormatLatency(0.25), "250 ms");
  EXPECT_EQ(FormatLatency(1.5), "1.50 s");
  EXPECT_EQ(FormatDuration(90 * 1000), "1m");
  EXPECT_EQ(FormatDuration(3 * kHour + 5 * kMinute), "3h 5m");
  EXPECT_EQ(FormatDuration(50 * kHour), "2d 2h");
  EXPECT_EQ(FormatTimeUtc(0), "—");
  EXPECT_EQ(FormatTimeUtc(1795429320000), "2026-11-23 10:22 UTC");
}

TEST(StatusPageHtmlTest, SparklineBreaksAtGaps) {
  double nan = std::nan("");
  std::string svg = RenderSparkline({0.1, 0.2, nan, 0.2, 0.4, nan, 0.3});
  size_t lines = 0;
  for (size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++lines;
  EXPECT_EQ(lines, 2u);  // the single point after the second gap draws nothing
  EXPECT_NE(svg.find("<svg viewBox=\"0 0 120 28\""), std::string::npos);
  EXPECT_EQ(RenderSparkline({}).find("<polyline"), std::string::npos);
  EXPECT_EQ(RenderSparkline({nan, nan}).find("<polyline"), std::string::npos);
}

TEST(StatusPageHtmlTest, EmptyPageSaysSo) {
  StatusPageData d;
  d.generated_ms = kNow;
  std::string html = RenderStatusPageHtml(d, {});
  EXPECT_NE(html.find("No probe results yet"), std::string::npos);
  EXPECT_NE(html.find("No alerts firing"), std::string::npos);
  EXPECT_NE(html.find("No incidents recorded"), std::string::npos);
}

}  // namespace
}  // namespace abhra::web
