// The whole probe against loopback servers: a checked service and a fake aggregator.
#include "probe/app/probe_app.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "aggregator/storage/storage.h"
#include "common/http/test_client.h"
#include "common/remote/write_request_decoder.h"
#include "probe/check/testing/test_http_server.h"

namespace abhra::probe {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

struct Received {
  std::string series;  // labels as name=value, joined
  int64_t t;
  double v;
};

class ProbeAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/abhra_app_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto svc = TestHttpServer::Start([](const TestRequest& req) {
      TestResponse r;
      if (req.target == "/health") {
        r.body = R"({"status":"UP","version":"4.2.0"})";
      } else {
        r.status = 503;
      }
      return r;
    });
    ASSERT_TRUE(svc.ok());
    service_ = std::move(svc).value();
    auto agg = TestHttpServer::Start([this](const TestRequest& req) {
      remote::DecodedWriteRequest d;
      TestResponse r;
      if (!remote::DecodeWriteRequest(req.body, 32 << 20, &d).ok()) {
        r.status = 400;
        return r;
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (const remote::SeriesView& s : d.series) {
        std::string key;
        for (const remote::LabelView& l : d.LabelsOf(s)) key += fmt::format("{}={},", l.name, l.value);
        for (const remote::SampleValue& v : d.SamplesOf(s)) received_.push_back({key, v.timestamp_ms, v.value});
      }
      r.status = 204;
      return r;
    });
    ASSERT_TRUE(agg.ok());
    aggregator_ = std::move(agg).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteConfig(const std::string& targets) {
    std::string path = dir_ + "/probe.yml";
    std::ofstream(path) << fmt::format(
        "environment: staging\ncluster: c9\nexternal_labels: {{region: eu}}\n"
        "aggregator:\n  url: \"{}\"\n  queue: {{dir: \"{}/queue\"}}\n  batch_send_deadline: 50ms\n"
        "  min_backoff: 10ms\n  max_backoff: 50ms\n  self_metrics_interval: 1s\n"
        "targets:\n{}",
        aggregator_->Url("/api/v1/write"), dir_, targets);
    return path;
  }

  std::vector<Received> Matching(std::string_view a, std::string_view b = "") {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Received> out;
    for (const Received& r : received_) {
      if (r.series.find(a) != std::string::npos && r.series.find(b) != std::string::npos) out.push_back(r);
    }
    return out;
  }
  bool WaitFor(const std::function<bool()>& cond, int ms = 15'000) {
    for (int waited = 0; waited < ms; waited += 20) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
  }

  std::string dir_;
  std::unique_ptr<TestHttpServer> service_;
  std::unique_ptr<TestHttpServer> aggregator_;
  std::mutex mu_;
  std::vector<Received> received_;
};

TEST_F(ProbeAppTest, ChecksPushesServesAndReloads) {
  std::string path = WriteConfig(fmt::format(
      "  - {{name: web, interval: 1s, timeout: 500ms, health: {{url: \"{}\", version: {{json_field: "
      "$.version}}}}}}\n"
      "  - {{name: broken, interval: 1s, timeout: 500ms, http: {{url: \"{}\"}}}}\n",
      service_->Url("/health"), service_->Url("/broken")));
  auto app = ProbeApp::Create({path, "127.0.0.1:0"});
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  (*app)->Start();

  // Both targets arrive at the aggregator with env, cluster, external and target labels.
  // (Series of one result may travel on different shards, so wait for each of them.)
  ASSERT_TRUE(WaitFor([&] {
    return !Matching("__name__=probe_success,", "target=web,").empty() &&
           !Matching("__name__=abhra_probe_failure_info,", "target=broken,").empty() &&
           !Matching("__name__=probe_success,", "target=broken,").empty() &&
           !Matching("__name__=abhra_target_info,", "version=4.2.0,").empty();
  }));
  auto web = Matching("__name__=probe_success,", "target=web,");
  EXPECT_EQ(web[0].v, 1);
  EXPECT_NE(web[0].series.find("cluster=c9,env=staging,instance="), std::string::npos) << web[0].series;
  // Check results: the probe's job, the target in its own label (what the status page,
  // alerts and dashboards select).
  EXPECT_NE(web[0].series.find(",job=abhra-probe,region=eu,service=web,target=web,"), std::string::npos)
      << web[0].series;
  EXPECT_FALSE(Matching("__name__=abhra_target_info,", "version=4.2.0,").empty());
  auto reason = Matching("__name__=abhra_probe_failure_info,", "target=broken,");
  EXPECT_NE(reason[0].series.find("reason=status_code,"), std::string::npos) << reason[0].series;
  EXPECT_EQ(Matching("__name__=probe_success,", "target=broken,")[0].v, 0);

  // HTTP endpoints.
  uint16_t port = (*app)->http_port();
  ASSERT_NE(port, 0);
  auto ready = http::Fetch(port, "GET", "/-/ready");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(http::Fetch(port, "GET", "/-/healthy")->status, 200);
  auto metrics = http::Fetch(port, "GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("abhra_probe_check_results_total{result=\"success\"}"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("abhra_probe_remote_write_samples_sent_total"), std::string::npos);
  EXPECT_NE(metrics->body.find("abhra_probe_remote_write_requests_failed_total"), std::string::npos);
  EXPECT_NE(metrics->body.find("abhra_probe_remote_write_queue_bytes"), std::string::npos);
  // The same self-metrics reach the aggregator, labelled like the probe's results.
  ASSERT_TRUE(WaitFor([&] {
    return !Matching("__name__=abhra_probe_remote_write_samples_sent_total,cluster=c9,env=staging,"
                     "job=abhra-probe,region=eu,").empty();
  }));
  auto dropped = Matching("__name__=abhra_probe_remote_write_samples_dropped_total,", "reason=rejected,");
  ASSERT_FALSE(dropped.empty());
  EXPECT_EQ(dropped[0].series,
            "__name__=abhra_probe_remote_write_samples_dropped_total,cluster=c9,env=staging,"
            "job=abhra-probe,reason=rejected,region=eu,");
  EXPECT_EQ(dropped[0].v, 0);
  auto latest = http::Fetch(port, "GET", "/probe/metrics");
  ASSERT_TRUE(latest.ok());
  EXPECT_NE(latest->body.find("probe_http_status_code{"), std::string::npos) << latest->body;

  // Reload without "web": its series get stale markers; the new target starts.
  WriteConfig(fmt::format(
      "  - {{name: broken, interval: 1s, timeout: 500ms, http: {{url: \"{}\"}}}}\n"
      "  - {{name: tcp-svc, interval: 1s, timeout: 500ms, tcp: {{address: \"127.0.0.1:{}\"}}}}\n",
      service_->Url("/broken"), service_->port()));
  ASSERT_TRUE((*app)->Reload().ok());
  ASSERT_TRUE(WaitFor([&] {
    for (const Received& r : Matching("__name__=probe_success,", "target=web,")) {
      if (storage::IsStaleNaN(r.v)) return true;
    }
    return false;
  }));
  ASSERT_TRUE(WaitFor([&] { return !Matching("__name__=probe_success,", "target=tcp-svc,").empty(); }));

  // A broken configuration is refused and the running one kept.
  std::ofstream(path) << "environment: [\n";
  EXPECT_FALSE((*app)->Reload().ok());
  EXPECT_FALSE((*app)->counters().last_reload_ok.load());
  size_t before = Matching("target=tcp-svc,").size();
  ASSERT_TRUE(WaitFor([&] { return Matching("target=tcp-svc,").size() > before; }));
  (*app)->Stop();
}

TEST_F(ProbeAppTest, CreateReportsConfigErrors) {
  std::string path = dir_ + "/bad.yml";
  std::ofstream(path) << "environment: x\ncluster: y\nbogus: 1\n";
  auto app = ProbeApp::Create({path, ""});
  ASSERT_FALSE(app.ok());
  EXPECT_NE(app.status().message().find("bad.yml:3:1: unknown key \"bogus\""), std::string::npos)
      << app.status().message();
}

}  // namespace
}  // namespace abhra::probe
