// The remote-write pipeline against a fake aggregator on 127.0.0.1 that decodes what it gets.
#include "probe/push/sender.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "aggregator/storage/storage.h"
#include "common/remote/write_request_decoder.h"
#include "probe/check/testing/test_http_server.h"
#include "probe/push/remote_write_client.h"

namespace abhra::probe {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

// Records every sample it accepts; answers with `status` while status != 200.
class FakeAggregator {
 public:
  FakeAggregator() {
    auto s = TestHttpServer::Start([this](const TestRequest& req) { return Handle(req); });
    EXPECT_TRUE(s.ok());
    server_ = std::move(s).value();
  }
  std::string Url() const { return server_->Url("/api/v1/write"); }

  std::atomic<int> status{200};
  std::atomic<int> fail_first{0};  // answer 503 to this many requests first
  std::string retry_after;

  size_t Accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return samples_.size();
  }
  // series string → timestamps in arrival order
  std::map<std::string, std::vector<int64_t>> Series() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& [labels, t, v] : samples_) out[labels].push_back(t);
    return out;
  }
  int requests() const { return server_->requests(); }
  std::string last_auth, last_encoding, last_version;
  bool saw_stale = false;

 private:
  TestResponse Handle(const TestRequest& req) {
    TestResponse r;
    if (fail_first.load() > 0) {
      fail_first.fetch_sub(1);
      r.status = 503;
      return r;
    }
    if (status.load() != 200) {
      r.status = status.load();
      if (!retry_after.empty()) r.headers = {{"Retry-After", retry_after}};
      r.body = "nope";
      return r;
    }
    remote::DecodedWriteRequest d;
    Status st = remote::DecodeWriteRequest(req.body, 32 << 20, &d);
    if (!st.ok()) {
      r.status = 400;
      r.body = st.ToString();
      return r;
    }
    std::lock_guard<std::mutex> lock(mu_);
    last_auth = req.Header("Authorization");
    last_encoding = req.Header("Content-Encoding");
    last_version = req.Header("X-Prometheus-Remote-Write-Version");
    for (const remote::SeriesView& s : d.series) {
      std::string key;
      for (const remote::LabelView& l : d.LabelsOf(s)) key += fmt::format("{}={},", l.name, l.value);
      for (const remote::SampleValue& v : d.SamplesOf(s)) {
        samples_.emplace_back(key, v.timestamp_ms, v.value);
        saw_stale |= storage::IsStaleNaN(v.value);
      }
    }
    r.status = 204;
    return r;
  }

  std::unique_ptr<TestHttpServer> server_;
  std::mutex mu_;
  std::vector<std::tuple<std::string, int64_t, double>> samples_;
};

std::vector<ReportedSample> Batch(int target, int64_t t, int series = 5) {
  std::vector<ReportedSample> out;
  for (int i = 0; i < series; ++i) {
    out.push_back({Labels{{"__name__", "probe_success"},
                          {"job", fmt::format("t{}", target)},
                          {"n", std::to_string(i)}},
                   t, 1});
  }
  return out;
}

bool WaitFor(const std::function<bool()>& cond, int ms = 10'000) {
  for (int waited = 0; waited < ms; waited += 10) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/abhra_sender_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    config_.url = agg_.Url();
    config_.bearer_token = "s3cret";
    config_.shards = 3;
    config_.max_samples_per_send = 50;
    config_.batch_send_deadline_ms = 20;
    config_.min_backoff_ms = 10;
    config_.max_backoff_ms = 40;
    config_.remote_timeout_ms = 2000;
    config_.queue.dir = dir_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<DurableQueue> OpenQueue() {
    auto q = DurableQueue::Open({dir_, 64 << 20, 0});
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return std::move(q).value();
  }

  FakeAggregator agg_;
  AggregatorConfig config_;
  std::string dir_;
};

TEST_F(SenderTest, DeliversEverythingInOrderPerSeries) {
  auto queue = OpenQueue();
  Sender sender(config_, queue.get());
  sender.Start();
  for (int round = 0; round < 20; ++round) {
    for (int t = 0; t < 10; ++t) ASSERT_TRUE(sender.Enqueue(Batch(t, 1000 + round)).ok());
  }
  ASSERT_TRUE(WaitFor([&] {
    return agg_.Accepted() == 1000 && sender.stats().samples_sent.load() == 1000;
  })) << agg_.Accepted();
  sender.Stop();
  auto series = agg_.Series();
  EXPECT_EQ(series.size(), 50u);
  for (const auto& [key, ts] : series) {
    ASSERT_EQ(ts.size(), 20u) << key;
    EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end())) << key;
  }
  EXPECT_EQ(agg_.last_auth, "Bearer s3cret");
  EXPECT_EQ(agg_.last_encoding, "snappy");
  EXPECT_EQ(agg_.last_version, "0.1.0");
  EXPECT_EQ(sender.stats().samples_sent.load(), 1000);
}

TEST_F(SenderTest, RetriesServerErrorsUntilAccepted) {
  agg_.fail_first = 4;
  auto queue = OpenQueue();
  Sender sender(config_, queue.get());
  sender.Start();
  ASSERT_TRUE(sender.Enqueue(Batch(1, 5000)).ok());
  ASSERT_TRUE(WaitFor([&] { return agg_.Accepted() == 5; })) << agg_.Accepted();
  EXPECT_GE(sender.stats().requests_failed.load(), 4);
  EXPECT_EQ(sender.stats().samples_dropped_rejected.load(), 0);
}

TEST_F(SenderTest, DropsOtherClientErrorsWithoutRetry) {
  agg_.status = 400;
  auto queue = OpenQueue();
  Sender sender(config_, queue.get());
  sender.Start();
  ASSERT_TRUE(sender.Enqueue(Batch(1, 5000, /*series=*/1)).ok());
  ASSERT_TRUE(WaitFor([&] { return sender.stats().samples_dropped_rejected.load() == 1; }));
  EXPECT_EQ(sender.stats().requests_failed.load(), 1);
  EXPECT_EQ(agg_.requests(), 1);
  // Later samples still flow once the aggregator accepts again.
  agg_.status = 200;
  ASSERT_TRUE(sender.Enqueue(Batch(2, 6000)).ok());
  ASSERT_TRUE(WaitFor([&] { return agg_.Accepted() == 5; }));
}

TEST_F(SenderTest, TooManyRequestsHonoursRetryAfter) {
  agg_.status = 429;
  agg_.retry_after = "0";
  auto queue = OpenQueue();
  Sender sender(config_, queue.get());
  sender.Start();
  ASSERT_TRUE(sender.Enqueue(Batch(1, 5000)).ok());
  ASSERT_TRUE(WaitFor([&] { return sender.stats().requests_failed.load() >= 3; }));
  agg_.status = 200;
  ASSERT_TRUE(WaitFor([&] { return agg_.Accepted() == 5; }));
  EXPECT_EQ(sender.stats().samples_dropped_rejected.load(), 0);
}

TEST_F(SenderTest, OutageAndRestartLoseNothing) {
  agg_.status = 503;  // the aggregator is down
  {
    auto queue = OpenQueue();
    Sender sender(config_, queue.get());
    sender.Start();
    for (int t = 0; t < 30; ++t) ASSERT_TRUE(sender.Enqueue(Batch(t, 7000)).ok());
    ASSERT_TRUE(WaitFor([&] { return sender.stats().requests_failed.load() >= 2; }));
    sender.Stop();  // the probe restarts while the aggregator is still down
  }
  EXPECT_EQ(agg_.Accepted(), 0u);
  agg_.status = 200;  // the aggregator is back
  auto queue = OpenQueue();
  Sender sender(config_, queue.get());
  sender.Start();
  for (int t = 0; t < 30; ++t) ASSERT_TRUE(sender.Enqueue(Batch(t, 8000)).ok());
  ASSERT_TRUE(WaitFor([&] { return agg_.Series().size() == 150u && agg_.Accepted() >= 300; }))
      << agg_.Accepted();
  for (const auto& [key, ts] : agg_.Series()) {
    ASSERT_GE(ts.size(), 2u) << key;
    EXPECT_EQ(ts.front(), 7000) << key;  // the outage's samples first, then the new ones
    EXPECT_EQ(ts.back(), 8000) << key;
  }
}

TEST_F(SenderTest, StaleMarkersArriveBitExact) {
  auto queue = OpenQueue();
  Sender sender(config_, queue.get());
  sender.Start();
  std::vector<ReportedSample> b = {{Labels{{"__name__", "gone"}}, 9000, storage::StaleNaN()}};
  ASSERT_TRUE(sender.Enqueue(b).ok());
  ASSERT_TRUE(WaitFor([&] { return agg_.Accepted() == 1; }));
  EXPECT_TRUE(agg_.saw_stale);
}

TEST(RetryAfter, Parses) {
  EXPECT_EQ(ParseRetryAfterMs("7", 0), 7000);
  EXPECT_EQ(ParseRetryAfterMs("", 0), -1);
  EXPECT_EQ(ParseRetryAfterMs("soon", 0), -1);
  EXPECT_EQ(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10'000);
}

}  // namespace
}  // namespace abhra::probe
