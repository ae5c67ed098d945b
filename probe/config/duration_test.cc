#include "probe/config/duration.h"

#include <gtest/gtest.h>

namespace abhra::probe {
namespace {

TEST(ParseDuration, PrometheusForms) {
  EXPECT_EQ(*ParseDuration("15s"), 15'000);
  EXPECT_EQ(*ParseDuration("1m30s"), 90'000);
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("1h"), 3'600'000);
  EXPECT_EQ(*ParseDuration("2d"), 2 * 86'400'000LL);
  EXPECT_EQ(*ParseDuration("1w"), 7 * 86'400'000LL);
  EXPECT_EQ(*ParseDuration("1y"), 365 * 86'400'000LL);
  EXPECT_EQ(*ParseDuration("1h2m3s4ms"), 3'723'004);
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("0s"), 0);
}

TEST(ParseDuration, RejectsBadInput) {
  for (const char* bad : {"", "15", "s", "1.5s", "1s1m", "1m1m", "10x", "-1s", "1 s", "99999999999999999999s"}) {
    auto d = ParseDuration(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_NE(d.status().message().find(fmt::format("\"{}\"", bad)), std::string::npos)
          << d.status().message();
    }
  }
  EXPECT_NE(ParseDuration("1s1m").status().message().find("out of order"), std::string::npos);
  EXPECT_NE(ParseDuration("10x").status().message().find("unknown unit \"x\""), std::string::npos);
}

TEST(FormatDuration, Shortest) {
  EXPECT_EQ(FormatDuration(90'000), "1m30s");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(1500), "1s500ms");
  for (int64_t ms : {1LL, 999LL, 61'000LL, 86'400'000LL * 8 + 5}) {
    EXPECT_EQ(*ParseDuration(FormatDuration(ms)), ms);
  }
}

TEST(ParseByteSize, Units) {
  EXPECT_EQ(*ParseByteSize("1048576"), 1048576);
  EXPECT_EQ(*ParseByteSize("512KiB"), 512 * 1024);
  EXPECT_EQ(*ParseByteSize("64MiB"), 64LL << 20);
  EXPECT_EQ(*ParseByteSize("2GiB"), 2LL << 30);
  EXPECT_EQ(*ParseByteSize("1GB"), 1'000'000'000);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("1XB").ok());
  EXPECT_FALSE(ParseByteSize("MiB").ok());
}

}  // namespace
}  // namespace abhra::probe
