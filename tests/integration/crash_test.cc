// The aggregator is killed with SIGKILL in the middle of remote-write load, many times; after
// every restart each acknowledged (204) sample must be there, read back through the query API.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "common/http/test_client.h"
#include "common/http/url.h"
#include "common/remote/write_request_encoder.h"
#include "tests/integration/subprocess.h"

namespace abhra::testing {
namespace {

constexpr int kSeries = 200;
constexpr int kRounds = 8;

std::string Request(int64_t t, double value) {
  std::vector<remote::TimeSeries> series;
  for (int i = 0; i < kSeries; ++i) {
    remote::TimeSeries ts;
    ts.labels = Labels{{"__name__", "crash_total"}, {"env", "crash"}, {"i", std::to_string(i)}};
    ts.samples.push_back({t, value});
    series.push_back(std::move(ts));
  }
  std::string body;
  remote::EncodeWriteRequest(series, {}, &body);
  return body;
}

TEST(CrashTest, AcknowledgedSamplesSurviveSigkill) {
  std::string dir = MakeTempDir("abhra-crash");
  ASSERT_FALSE(dir.empty());
  std::string log = dir + "/aggregator.log";
  const int64_t base = Clock::Real().NowMillis() - 10 * 60 * 1000;
  std::set<int64_t> acked;  // request numbers answered 204
  int64_t next = 0;         // next request number to send
  std::mt19937 rng(42);

  for (int round = 0; round < kRounds; ++round) {
    uint16_t port = FreePort();
    auto proc = Subprocess::Start({ABHRA_AGGREGATOR_BIN, "--data-dir", dir + "/data", "--listen",
                                   "127.0.0.1:" + std::to_string(port)},
                                  log);
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    ASSERT_TRUE(WaitForHttp200(port, "/-/ready")) << "round " << round << ", see " << log;

    std::atomic<bool> stop{false};
    std::thread writer([&] {
      auto conn = http::TestConnection::Connect(port, std::chrono::seconds(5));
      if (!conn.ok()) return;
      http::Headers h;
      h.Add("Content-Encoding", "snappy");
      h.Add("Content-Type", "application/x-protobuf");
      while (!stop.load()) {
        int64_t k = next++;
        auto r = (*conn)->RoundTrip("POST", "/api/v1/write", Request(base + k * 1000, k), h);
        if (!r.ok()) return;  // killed
        if (r->status == 204) acked.insert(k);
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    proc->Signal(SIGKILL);
    proc->Wait();
    stop.store(true);
    writer.join();
  }
  ASSERT_GT(acked.size(), 20u) << "too little load got through; see " << log;

  // Restart once more and read everything back.
  uint16_t port = FreePort();
  auto proc = Subprocess::Start({ABHRA_AGGREGATOR_BIN, "--data-dir", dir + "/data", "--listen",
                                 "127.0.0.1:" + std::to_string(port)},
                                log);
  ASSERT_TRUE(proc.ok());
  ASSERT_TRUE(WaitForHttp200(port, "/-/ready"));
  int64_t eval_ms = base + next * 1000;
  auto query = [&](const std::string& q) {
    std::string target = "/api/v1/query?query=" + http::PercentEncode(q) +
                         "&time=" + std::to_string(eval_ms / 1000.0);
    auto r = http::Fetch(port, "GET", target);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << r->body;
    return nlohmann::json::parse(r->body);
  };
  auto total = query("sum(count_over_time(crash_total[1d]))");
  double stored = std::stod(total["data"]["result"][0]["value"][1].get<std::string>());
  std::printf("rounds=%d requests_sent=%lld acknowledged=%zu samples_stored=%.0f\n", kRounds,
              static_cast<long long>(next), acked.size(), stored);
  EXPECT_GE(stored, static_cast<double>(acked.size() * kSeries));
  EXPECT_LE(stored, static_cast<double>(next * kSeries));

  // Every acknowledged request's sample is there, with its value, in series i="7".
  auto raw = query("crash_total{i=\"7\"}[1d]");
  std::set<int64_t> found;
  for (const auto& v : raw["data"]["result"][0]["values"]) {
    double t_s = v[0].get<double>();
    int64_t k = std::llround((t_s * 1000 - base) / 1000);
    EXPECT_EQ(std::stod(v[1].get<std::string>()), static_cast<double>(k));
    found.insert(k);
  }
  for (int64_t k : acked) EXPECT_TRUE(found.count(k)) << "acknowledged request " << k << " lost";
  proc->Signal(SIGTERM);
  EXPECT_EQ(proc->Wait(), 0) << "clean shutdown";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace abhra::testing
