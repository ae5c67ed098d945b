#include "aggregator/incidents/incident_store.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace abhra::incidents {
namespace {

constexpr const char* kFiring = R"({
  "version": "4", "groupKey": "{}:{alertname=\"TargetDown\"}", "truncatedAlerts": 0,
  "status": "firing", "receiver": "abhra", "groupLabels": {"alertname": "TargetDown"},
  "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
  "notification_reason": "new", "routeLabels": {"x": "y"},
  "alerts": [{"status": "firing", "labels": {"alertname": "TargetDown", "env": "prod",
              "service": "web", "severity": "critical"},
              "annotations": {"summary": "web is down", "description": "d"},
              "startsAt": "2026-11-23T10:00:00.5+00:00", "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "http://agg/graph", "fingerprint": "f00d", "newKey": 1},
             {"status": "firing", "labels": {"alertname": "Slow", "env": "dev"},
              "annotations": {}, "startsAt": "2026-11-23T09:00:00Z",
              "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "beef"}]})";

constexpr const char* kResolved = R"({
  "version": "4", "status": "resolved",
  "alerts": [{"status": "resolved", "labels": {"alertname": "TargetDown", "env": "prod",
              "service": "web", "severity": "critical"},
              "annotations": {"summary": "web is down"},
              "startsAt": "2026-11-23T10:00:00.5Z", "endsAt": "2026-11-23T10:05:00Z",
              "fingerprint": "f00d"}]})";

class IncidentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("incident_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<IncidentStore> Open(size_t max = 100) {
    IncidentStoreOptions o;
    o.path = (dir_ / "incidents.log").string();
    o.max_incidents = max;
    o.clock = &clock_;
    auto s = IncidentStore::Open(o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(*s);
  }
  std::filesystem::path dir_;
  FakeClock clock_{1'800'000'000'000};
};

TEST_F(IncidentStoreTest, FiringThenResolvedSurvivesRestart) {
  auto store = Open();
  ASSERT_TRUE(store->HandleWebhook(kFiring).ok());
  auto prod = store->Recent(10, "prod");
  ASSERT_EQ(prod.size(), 1u);
  EXPECT_EQ(prod[0].alertname, "TargetDown");
  EXPECT_EQ(prod[0].summary, "web is down");
  EXPECT_EQ(prod[0].severity, "critical");
  EXPECT_TRUE(prod[0].firing());
  EXPECT_EQ(prod[0].starts_at_ms, *ParseRfc3339("2026-11-23T10:00:00.500Z"));
  EXPECT_EQ(store->Recent(10).size(), 2u);
  EXPECT_EQ(store->Recent(10)[0].env, "prod");  // newest first

  ASSERT_TRUE(store->HandleWebhook(kResolved).ok());
  EXPECT_EQ(store->Query("prod", "firing", 0).size(), 0u);
  auto resolved = store->Query("", "resolved", 0);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].resolved_at_ms, *ParseRfc3339("2026-11-23T10:05:00Z"));

  store.reset();
  store = Open();
  EXPECT_EQ(store->size(), 2u);
  EXPECT_EQ(store->Query("prod", "resolved", 0).size(), 1u);
  EXPECT_EQ(store->Query("dev", "firing", 0).size(), 1u);
}

TEST_F(IncidentStoreTest, RejectsBadPayloads) {
  auto store = Open();
  EXPECT_EQ(store->HandleWebhook("not json").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store->HandleWebhook("[]").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store->HandleWebhook(R"({"version":"3","alerts":[]})").code(),
            Status::Code::kInvalidArgument);
  Status st = store->HandleWebhook(R"({"version":"4","alerts":[{"labels":{},"startsAt":"yesterday"}]})");
  EXPECT_NE(st.message().find("startsAt"), std::string::npos) << st.message();
  EXPECT_EQ(store->size(), 0u);
}

TEST_F(IncidentStoreTest, RetentionDropsOldestResolvedFirst) {
  auto store = Open(/*max=*/1);
  ASSERT_TRUE(store->HandleWebhook(kFiring).ok());
  ASSERT_EQ(store->size(), 1u);
  EXPECT_EQ(store->Recent(5)[0].alertname, "TargetDown");  // the newer one stays
}

TEST(Rfc3339Test, Parses) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(*ParseRfc3339("1970-01-01T01:00:01.25+01:00"), 1250);
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00.123456789Z"), 123);
  EXPECT_EQ(*ParseRfc3339("0001-01-01T00:00:00Z"), 0);
  EXPECT_FALSE(ParseRfc3339("1970-01-01 00:00:00").ok());
  EXPECT_FALSE(ParseRfc3339("1970-01-01T00:00:00").ok());
  EXPECT_FALSE(ParseRfc3339("").ok());
}

TEST(IncidentJsonTest, Shape) {
  Incident in;
  in.id = "f@1";
  in.starts_at_ms = 1000;
  auto j = nlohmann::json::parse(IncidentJson(in));
  EXPECT_EQ(j["state"], "firing");
  EXPECT_TRUE(j["resolvedAt"].is_null());
  EXPECT_EQ(j["startsAt"], "1970-01-01T00:00:01.000Z");
}

}  // namespace
}  // namespace abhra::incidents
