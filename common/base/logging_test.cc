#include "common/base/logging.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/base/clock.h"
#include "common/base/log_capture.h"

namespace abhra {
namespace {

TEST(LoggingTest, WritesLogfmtWithFields) {
  std::vector<std::string> lines;
  SetLogSink([&](std::string_view l) { lines.emplace_back(l); });
  LOG_INFO("wal", "replayed WAL", "segments={} path={}", 3, LogfmtValue("/a b"));
  SetLogSink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("level=info component=wal msg=\"replayed WAL\" segments=3 path=\"/a b\""),
            std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].rfind("ts=", 0), 0u);
}

TEST(LoggingTest, LevelFilters) {
  std::vector<std::string> lines;
  SetLogSink([&](std::string_view l) { lines.emplace_back(l); });
  SetLogLevel(LogLevel::kWarn);
  LOG_INFO("x", "hidden");
  LOG_ERROR("x", "shown");
  SetLogLevel(LogLevel::kInfo);
  SetLogSink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("level=error"), std::string::npos);
}

TEST(LoggingTest, LogCaptureCollectsLinesAndRestoresTheLevel) {
  SetLogLevel(LogLevel::kWarn);
  {
    LogCapture capture;  // debug and up
    LOG_DEBUG("x", "fine detail", "n={}", 1);
    LOG_WARN("x", "careful");
    std::string text = capture.text();
    EXPECT_NE(text.find("msg=\"fine detail\" n=1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("msg=careful\n"), std::string::npos) << text;
  }
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo)) << "previous level restored";
  EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
  SetLogLevel(LogLevel::kInfo);
}

TEST(LoggingTest, ParseLevelAndQuote) {
  LogLevel l;
  EXPECT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &l));
  EXPECT_EQ(LogfmtValue("plain"), "plain");
  EXPECT_EQ(LogfmtValue(""), "\"\"");
  EXPECT_EQ(LogfmtValue("a\"b\nc"), "\"a\\\"b\\nc\"");
}

TEST(ClockTest, FakeClockMovesWhenTold) {
  FakeClock c(1000);
  EXPECT_EQ(c.NowMillis(), 1000);
  c.Advance(500);
  EXPECT_EQ(c.NowMillis(), 1500);
  EXPECT_GT(Clock::Real().NowMillis(), 1'700'000'000'000);
}

}  // namespace
}  // namespace abhra
