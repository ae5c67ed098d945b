// The outage test from issue 6 with the real binaries: abhra-probe checks a service every
// second and pushes to abhra-aggregator; the aggregator is stopped for several seconds and
// restarted on the same data directory; afterwards the aggregator must hold one sample per
// second for the whole run, with no gap where it was down. Skipped when the binaries are not
// built in this build tree.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "probe/check/testing/test_http_server.h"
#include "probe/integration/child_process.h"

namespace abhra::probe {
namespace {

using namespace std::chrono_literals;
using testing::TestHttpServer;

double MetricValue(const std::string& text, const std::string& name) {
  size_t pos = text.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + name.size() + 2));
}

TEST(OutageTest, AggregatorOutageLosesNothing) {
  const std::string bin = testing::BuildBinDir();
  const std::string aggregator = bin + "/abhra-aggregator";
  const std::string probe = bin + "/abhra-probe";
  if (::access(aggregator.c_str(), X_OK) != 0 || ::access(probe.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "needs " << aggregator << " and " << probe;
  }
  const std::string dir = ::testing::TempDir() + "/abhra_outage_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto service = TestHttpServer::Start([](const testing::TestRequest&) {
    testing::TestResponse r;
    r.body = "ok";
    return r;
  });
  ASSERT_TRUE(service.ok());

  const int agg_port = testing::FreeLoopbackPort();
  const std::string agg_url = fmt::format("http://127.0.0.1:{}", agg_port);
  auto start_aggregator = [&] {
    pid_t pid = testing::SpawnProcess({aggregator, "--data-dir", dir + "/data", "--listen",
                                       fmt::format("127.0.0.1:{}", agg_port)},
                                      dir + "/aggregator.log");
    EXPECT_TRUE(testing::WaitForHttp(agg_url + "/-/ready", 20'000));
    return pid;
  };
  pid_t agg = start_aggregator();

  const int probe_port = testing::FreeLoopbackPort();
  std::ofstream(dir + "/probe.yml") << fmt::format(
      "environment: outage\ncluster: c1\n"
      "aggregator:\n  url: {}/api/v1/write\n  queue: {{dir: {}/queue}}\n"
      "  batch_send_deadline: 200ms\n  min_backoff: 50ms\n  max_backoff: 500ms\n"
      "  self_metrics_interval: 1s\n"
      "targets:\n  - {{name: web, interval: 1s, timeout: 800ms, http: {{url: \"{}\"}}}}\n",
      agg_url, dir, (*service)->Url("/"));
  pid_t prb = testing::SpawnProcess({probe, "--config", dir + "/probe.yml", "--listen",
                                     fmt::format("127.0.0.1:{}", probe_port)},
                                    dir + "/probe.log");
  const std::string probe_metrics = fmt::format("http://127.0.0.1:{}/metrics", probe_port);
  ASSERT_TRUE(testing::WaitForHttp(probe_metrics, 10'000));

  std::this_thread::sleep_for(4s);
  testing::TerminateProcess(agg);  // the outage
  std::this_thread::sleep_for(6s);
  agg = start_aggregator();

  // Wait until the probe's queue has drained into the restarted aggregator.
  bool drained = false;
  for (int i = 0; i < 200 && !drained; ++i) {
    std::this_thread::sleep_for(100ms);
    auto m = testing::HttpGet(probe_metrics);
    if (!m.ok()) continue;
    double enq = MetricValue(*m, "abhra_probe_remote_write_samples_enqueued_total");
    double sent = MetricValue(*m, "abhra_probe_remote_write_samples_sent_total");
    drained = enq > 0 && enq == sent;
  }
  testing::TerminateProcess(prb);
  EXPECT_TRUE(drained);

  auto body = testing::HttpGet(agg_url + "/api/v1/query?query=" +
                               "probe_success%7Bjob%3D%22abhra-probe%22%2Ctarget%3D%22web%22%7D%5B1h%5D");
  // The probe's own metrics were pushed too, and those taken during the outage (queued
  // with the results) show the failed requests.
  auto failed = testing::HttpGet(
      agg_url + "/api/v1/query?query=" +
      "max_over_time(abhra_probe_remote_write_requests_failed_total%7Bjob%3D%22abhra-probe%22%2C"
      "env%3D%22outage%22%7D%5B1h%5D)");
  testing::TerminateProcess(agg);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  nlohmann::json j = nlohmann::json::parse(*body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << *body;
  ASSERT_EQ(j["status"], "success") << *body;
  ASSERT_EQ(j["data"]["result"].size(), 1u) << *body;
  const auto& values = j["data"]["result"][0]["values"];
  std::vector<double> ts;
  for (const auto& v : values) ts.push_back(v[0].get<double>());
  // About 4 s before, 6 s during and the drain after the outage: a sample every second,
  // none missing where the aggregator was down.
  EXPECT_GE(ts.size(), 9u) << *body;
  for (size_t i = 1; i < ts.size(); ++i) {
    EXPECT_LT(ts[i] - ts[i - 1], 1.5) << "gap before sample " << i << " of " << ts.size();
  }
  const auto& labels = j["data"]["result"][0]["metric"];
  EXPECT_EQ(labels["env"], "outage");
  EXPECT_EQ(labels["cluster"], "c1");
  EXPECT_EQ(labels["job"], "abhra-probe");
  EXPECT_EQ(labels["target"], "web");
  EXPECT_EQ(labels["service"], "web");
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  nlohmann::json f = nlohmann::json::parse(*failed, nullptr, false);
  ASSERT_FALSE(f.is_discarded()) << *failed;
  ASSERT_EQ(f["data"]["result"].size(), 1u) << *failed;
  EXPECT_GT(std::stod(f["data"]["result"][0]["value"][1].get<std::string>()), 0) << *failed;
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace abhra::probe
