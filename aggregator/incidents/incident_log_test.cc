#include "aggregator/incidents/incident_log.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace abhra::incidents {
namespace {

Incident Make(std::string id, int64_t starts, int64_t resolved = 0) {
  Incident in;
  in.id = std::move(id);
  in.env = "prod";
  in.alertname = "Down";
  in.fingerprint = "abc";
  in.labels = Labels{{"alertname", "Down"}, {"env", "prod"}};
  in.summary = "x is down";
  in.severity = "critical";
  in.starts_at_ms = starts;
  in.resolved_at_ms = resolved;
  in.updated_ms = starts + 1;
  in.generator_url = "http://g";
  return in;
}

class IncidentLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("incident_log_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "incidents.log").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(IncidentLogTest, RecordRoundTrip) {
  std::string buf;
  EncodeRecord(&buf, Make("a@1", 1000));
  EncodeRecord(&buf, Make("b@2", 2000, 3000));
  std::string_view in = buf;
  auto a = DecodeRecord(&in);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->id, "a@1");
  EXPECT_EQ(a->labels, (Labels{{"alertname", "Down"}, {"env", "prod"}}));
  EXPECT_EQ(a->summary, "x is down");
  EXPECT_TRUE(a->firing());
  auto b = DecodeRecord(&in);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->resolved_at_ms, 3000);
  EXPECT_EQ(DecodeRecord(&in).status().code(), Status::Code::kNotFound);
}

TEST_F(IncidentLogTest, DetectsCorruption) {
  std::string buf;
  EncodeRecord(&buf, Make("a@1", 1000));
  std::string flipped = buf;
  flipped[flipped.size() - 3] ^= 1;
  std::string_view in = flipped;
  EXPECT_EQ(DecodeRecord(&in).status().code(), Status::Code::kCorruption);
  std::string_view torn = std::string_view(buf).substr(0, buf.size() - 1);
  EXPECT_EQ(DecodeRecord(&torn).status().code(), Status::Code::kCorruption);
}

TEST_F(IncidentLogTest, SurvivesReopenAndCutsTornTail) {
  {
    std::map<std::string, Incident> m;
    auto log = IncidentLog::Open(path_, &m);
    ASSERT_TRUE(log.ok()) << log.status().message();
    EXPECT_TRUE(m.empty());
    ASSERT_TRUE((*log)->Append(Make("a@1", 1000)).ok());
    ASSERT_TRUE((*log)->Append(Make("a@1", 1000, 5000)).ok());  // resolved later
    ASSERT_TRUE((*log)->Append(Make("b@2", 2000)).ok());
  }
  {
    std::ofstream f(path_, std::ios::app | std::ios::binary);
    f << "AIN1\x05";  // a torn record
  }
  std::map<std::string, Incident> m;
  auto log = IncidentLog::Open(path_, &m);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m["a@1"].resolved_at_ms, 5000);
  EXPECT_TRUE(m["b@2"].firing());
  ASSERT_TRUE((*log)->Append(Make("c@3", 3000)).ok());  // appends after the cut
  ASSERT_TRUE((*log)->Rewrite(m).ok());
  ASSERT_TRUE((*log)->Append(Make("d@4", 4000)).ok());
  log->reset();
  std::map<std::string, Incident> again;
  ASSERT_TRUE(IncidentLog::Open(path_, &again).ok());
  EXPECT_EQ(again.size(), 3u);  // a, b (rewritten) + d
  EXPECT_TRUE(again.count("d@4"));
  EXPECT_FALSE(again.count("c@3"));
}

}  // namespace
}  // namespace abhra::incidents
