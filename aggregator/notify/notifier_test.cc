#include "aggregator/notify/notifier.h"

#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "common/http/router.h"
#include "common/http/server.h"

namespace abhra::notify {
namespace {

Alert MakeAlert(std::string name, int64_t starts = 1'700'000'000'000, int64_t ends = 0) {
  Alert a;
  a.labels = Labels{{"alertname", name}, {"env", "test"}};
  a.annotations = Labels{{"summary", "s"}};
  a.starts_at_ms = starts;
  a.ends_at_ms = ends;
  a.generator_url = "http://agg/graph";
  return a;
}

TEST(NotifierTest, EncodesAlertmanagerV2Json) {
  auto j = nlohmann::json::parse(EncodeAlerts({MakeAlert("A", 1'700'000'000'123, 1'700'000'240'000)}));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "A");
  EXPECT_EQ(j[0]["annotations"]["summary"], "s");
  EXPECT_EQ(j[0]["startsAt"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(j[0]["endsAt"], "2023-11-14T22:17:20.000Z");
  EXPECT_EQ(j[0]["generatorURL"], "http://agg/graph");
  EXPECT_FALSE(nlohmann::json::parse(EncodeAlerts({MakeAlert("B", 0, 0)}))[0].contains("endsAt"));
}

class FakeAlertmanager {
 public:
  FakeAlertmanager() {
    router_.Handle("POST", "/api/v2/alerts", [this](const http::Request& req, http::Response* resp) {
      std::unique_lock<std::mutex> lock(mu_);
      bodies_.push_back(req.body);
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_; });
      resp->SetJson(status_, "");
    });
    http::ServerOptions o;
    o.listen = "127.0.0.1:0";
    auto server = http::Server::Start(o, &router_);
    server_ = std::move(*server);
  }
  std::string url() const { return "http://" + server_->address(); }
  void WaitBodies(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return bodies_.size() >= n; });
  }
  void Hold(bool h) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = h;
    cv_.notify_all();
  }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  int status_ = 200;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  std::vector<std::string> bodies_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

TEST(NotifierTest, SendsToEveryAlertmanagerInBatches) {
  FakeAlertmanager am1, am2;
  prometheus::Registry registry;
  NotifierOptions o;
  o.alertmanagers = {am1.url(), am2.url()};
  o.max_batch = 2;
  o.registry = &registry;
  Notifier n(o);
  am1.Hold(true);  // the first batch waits, so the rest queue up behind it
  n.Send({MakeAlert("A")});
  am1.WaitBodies(1);
  n.Send({MakeAlert("B"), MakeAlert("C"), MakeAlert("D")});
  am1.Hold(false);
  am1.WaitBodies(3);
  am2.WaitBodies(3);
  auto b = am1.bodies();
  EXPECT_EQ(nlohmann::json::parse(b[0]).size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(b[1]).size(), 2u);  // B, C
  EXPECT_EQ(nlohmann::json::parse(b[2]).size(), 1u);  // D
  n.Stop();
  EXPECT_EQ(n.QueueLength(), 0u);
}

TEST(NotifierTest, DropsOldestWhenFull) {
  FakeAlertmanager am;
  NotifierOptions o;
  o.alertmanagers = {am.url()};
  o.queue_capacity = 2;
  Notifier n(o);
  am.Hold(true);
  n.Send({MakeAlert("first")});
  am.WaitBodies(1);
  n.Send({MakeAlert("1"), MakeAlert("2"), MakeAlert("3"), MakeAlert("4")});
  EXPECT_EQ(n.QueueLength(), 2u);
  am.Hold(false);
  am.WaitBodies(2);
  auto j = nlohmann::json::parse(am.bodies()[1]);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "3");  // 1 and 2 were dropped
  EXPECT_EQ(j[1]["labels"]["alertname"], "4");
}

TEST(NotifierTest, PostReportsErrors) {
  FakeAlertmanager am;
  am.status_ = 500;
  Status st = PostJson(am.url() + "/api/v2/alerts", "[]", std::chrono::seconds(5));
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_NE(st.message().find("HTTP 500"), std::string::npos);
  // Nothing listens on port 1 of loopback.
  EXPECT_FALSE(PostJson("http://127.0.0.1:1/api/v2/alerts", "[]", std::chrono::seconds(2)).ok());
}

}  // namespace
}  // namespace abhra::notify
