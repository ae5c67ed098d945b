// Scraping real endpoints on 127.0.0.1: Prometheus text, OpenMetrics, failures, versions.
#include "probe/scrape/scrape_check.h"

#include <gtest/gtest.h>

#include "probe/check/scheduler.h"
#include "probe/check/testing/test_http_server.h"
#include "probe/config/config_loader.h"

namespace abhra::probe {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

constexpr const char* kPromText = R"(# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",job="app-internal"} 1027 1700000000000
http_requests_total{code="500"} 3
# TYPE app_build_info gauge
app_build_info{version="3.4.5",revision="abc"} 1
)";

constexpr const char* kOpenMetrics = R"(# TYPE jobs counter
jobs_total{kind="batch"} 5.0
# TYPE app_build_info info
app_build_info_info{version="9.9.9"} 1
# EOF
)";

class ScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TestHttpServer::Start([this](const TestRequest& req) {
      TestResponse r;
      accept_seen_ = req.Header("Accept");
      if (req.target == "/metrics") {
        r.body = kPromText;
        r.headers = {{"Content-Type", "text/plain; version=0.0.4"}, {"X-Version", "7.7"}};
      } else if (req.target == "/om") {
        r.body = kOpenMetrics;
        r.headers = {{"Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8"}};
      } else if (req.target == "/garbage") {
        r.body = "this is { not metrics\n";
      } else {
        r.status = 500;
      }
      return r;
    });
    ASSERT_TRUE(s.ok());
    server_ = std::move(s).value();
  }

  TargetResult Scrape(const std::string& path, const std::string& extra = "") {
    std::string yaml = fmt::format(
        "environment: e\ncluster: c\ntargets:\n  - {{name: app, timeout: 2s, scrape: {{url: "
        "\"{}\"{}}}}}\n",
        server_->Url(path), extra);
    ConfigParseOutcome cfg = ParseConfigText(yaml, "t.yml");
    EXPECT_TRUE(cfg.errors.empty()) << ::testing::PrintToString(cfg.errors);
    Scheduler scheduler(Clock::Real(), MakeProbeCheck, nullptr);
    return scheduler.RunOnce(cfg.config.targets).at(0);
  }

  std::unique_ptr<TestHttpServer> server_;
  std::string accept_seen_;
};

TEST_F(ScrapeTest, PrometheusText) {
  TargetResult r = Scrape("/metrics", ", version: {metric: app_build_info, label: version}");
  ASSERT_TRUE(r.result.success) << r.result.failure_detail;
  EXPECT_TRUE(r.result.scrape);
  ASSERT_EQ(r.result.scraped.size(), 3u);
  EXPECT_EQ(r.result.scraped[0].labels.MetricName(), "http_requests_total");
  EXPECT_EQ(r.result.scraped[0].labels.Get("job"), "app-internal");
  EXPECT_EQ(r.result.scraped[0].value, 1027);
  EXPECT_EQ(r.result.scraped[0].timestamp_ms, 1700000000000);
  EXPECT_EQ(r.result.scraped[1].timestamp_ms, -1);
  EXPECT_EQ(r.result.version, "3.4.5");
  EXPECT_NE(accept_seen_.find("application/openmetrics-text"), std::string::npos);
}

TEST_F(ScrapeTest, OpenMetricsByContentType) {
  TargetResult r = Scrape("/om", ", version: {metric: app_build_info_info, label: version}");
  ASSERT_TRUE(r.result.success) << r.result.failure_detail;
  ASSERT_EQ(r.result.scraped.size(), 2u);
  EXPECT_EQ(r.result.scraped[0].labels.MetricName(), "jobs_total");
  EXPECT_EQ(r.result.version, "9.9.9");
}

TEST_F(ScrapeTest, VersionFromHeader) {
  EXPECT_EQ(Scrape("/metrics", ", version: {header: X-Version}").result.version, "7.7");
}

TEST_F(ScrapeTest, FailuresDropAllSamples) {
  TargetResult bad = Scrape("/garbage");
  EXPECT_FALSE(bad.result.success);
  EXPECT_EQ(bad.result.failure_reason, "scrape_parse");
  EXPECT_TRUE(bad.result.scraped.empty());

  TargetResult status = Scrape("/nope");
  EXPECT_EQ(status.result.failure_reason, "status_code");

  TargetResult limited = Scrape("/metrics", ", sample_limit: 2");
  EXPECT_EQ(limited.result.failure_reason, "sample_limit");
  EXPECT_TRUE(limited.result.scraped.empty());

  std::string url = server_->Url("/metrics");
  server_.reset();
  std::string yaml = fmt::format(
      "environment: e\ncluster: c\ntargets:\n  - {{name: app, scrape: {{url: \"{}\"}}}}\n", url);
  Scheduler scheduler(Clock::Real(), MakeProbeCheck, nullptr);
  TargetResult down = scheduler.RunOnce(ParseConfigText(yaml, "t").config.targets).at(0);
  EXPECT_EQ(down.result.failure_reason, "connect_refused");
}

}  // namespace
}  // namespace abhra::probe
