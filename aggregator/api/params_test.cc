#include "aggregator/api/params.h"

#include <gtest/gtest.h>

#include "aggregator/api/json_writer.h"

namespace abhra::api {
namespace {

int64_t T(std::string_view s) {
  auto r = ParseTime(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.value_or(-1);
}

TEST(ParseTimeTest, UnixSecondsRoundedToMillis) {
  EXPECT_EQ(T("4"), 4000);
  EXPECT_EQ(T("1435781451.781"), 1435781451781);
  EXPECT_EQ(T("1.0006"), 1001);  // Prometheus rounds the fraction to ms
  EXPECT_EQ(T("-1.5"), -1500);
  EXPECT_EQ(T("0"), 0);
}

TEST(ParseTimeTest, Rfc3339) {
  EXPECT_EQ(T("2015-07-01T20:10:51.781Z"), 1435781451781);
  EXPECT_EQ(T("2015-07-01T20:10:51Z"), 1435781451000);
  EXPECT_EQ(T("2015-07-01T22:10:51.781+02:00"), 1435781451781);
  EXPECT_EQ(T("2015-07-01T20:10:51.781123456Z"), 1435781451781);
}

TEST(ParseTimeTest, RejectsGarbage) {
  for (const char* s : {"", "abc", "2015-07-01", "2015-07-01T20:10:51", "NaN", "Inf"}) {
    auto r = ParseTime(s);
    EXPECT_FALSE(r.ok()) << s;
  }
  EXPECT_EQ(ParseTime("x1").status().message(), "cannot parse \"x1\" to a valid timestamp");
}

TEST(ParseDurationTest, SecondsAndPromSyntax) {
  EXPECT_EQ(*ParseDuration("15"), 15000);
  EXPECT_EQ(*ParseDuration("0.5"), 500);
  EXPECT_EQ(*ParseDuration("1m30s"), 90000);
  EXPECT_EQ(*ParseDuration("2h"), 7200000);
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("1y2w3d"), (365 + 14 + 3) * 86400000LL);
  EXPECT_FALSE(ParseDuration("1s1m").ok());  // units must decrease
  EXPECT_FALSE(ParseDuration("5x").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("1e30").ok());
  EXPECT_FALSE(ParsePromDuration("15").ok());
  EXPECT_EQ(*ParsePromDuration("0"), 0);
}

std::string V(double v) {
  std::string s;
  AppendSampleValue(&s, v);
  return s;
}

TEST(JsonWriterTest, SampleValuesAsPrometheus) {
  EXPECT_EQ(V(2), "2");
  EXPECT_EQ(V(0.1), "0.1");
  EXPECT_EQ(V(-3.25), "-3.25");
  EXPECT_EQ(V(1e-7), "1e-07");
  EXPECT_EQ(V(1e21), "1e+21");
  EXPECT_EQ(V(123456789012), "123456789012");
  EXPECT_EQ(V(0.000001), "0.000001");
  EXPECT_EQ(V(0), "0");
  EXPECT_EQ(V(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(V(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(V(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(JsonWriterTest, Timestamps) {
  auto t = [](int64_t ms) {
    std::string s;
    AppendTimestamp(&s, ms);
    return s;
  };
  EXPECT_EQ(t(1435781451781), "1435781451.781");
  EXPECT_EQ(t(4000), "4");
  EXPECT_EQ(t(1500), "1.500");
  EXPECT_EQ(t(1005), "1.005");
  EXPECT_EQ(t(-1500), "-1.500");
}

TEST(JsonWriterTest, Strings) {
  std::string s;
  AppendJsonString(&s, "a\"b\\c\n<x>\x01");
  EXPECT_EQ(s, "\"a\\\"b\\\\c\\n\\u003cx\\u003e\\u0001\"");
}

}  // namespace
}  // namespace abhra::api
