#include "common/textformat/number.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace abhra::textformat {
namespace {

TEST(NumberTest, Values) {
  EXPECT_EQ(ParseValue("1"), 1.0);
  EXPECT_EQ(ParseValue("-1.5"), -1.5);
  EXPECT_EQ(ParseValue("+2"), 2.0);
  EXPECT_EQ(ParseValue("1e3"), 1000.0);
  EXPECT_EQ(ParseValue("1.5E-3"), 0.0015);
  EXPECT_EQ(ParseValue(".5"), 0.5);
  EXPECT_EQ(ParseValue("5."), 5.0);
  EXPECT_EQ(ParseValue("0.1"), 0.1);
  EXPECT_EQ(ParseValue("1.7976931348623157e308"), std::numeric_limits<double>::max());
  EXPECT_EQ(ParseValue("1e-400"), 0.0);  // underflow rounds to zero, as Prometheus
  EXPECT_TRUE(std::signbit(*ParseValue("-0")));
  for (const char* nan : {"NaN", "nan", "NAN"}) {
    ASSERT_TRUE(ParseValue(nan).has_value()) << nan;
    EXPECT_TRUE(std::isnan(*ParseValue(nan))) << nan;
  }
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ParseValue("+Inf"), inf);
  EXPECT_EQ(ParseValue("Inf"), inf);
  EXPECT_EQ(ParseValue("inf"), inf);
  EXPECT_EQ(ParseValue("-Inf"), -inf);
  EXPECT_EQ(ParseValue("+Infinity"), inf);
  EXPECT_EQ(ParseValue("-infinity"), -inf);
}

TEST(NumberTest, RejectedValues) {
  for (const char* bad : {"", "+", "-", ".", "e5", "1e", "1e+", "0x10", "0x1p3", "1_000", "1,5",
                          " 1", "1 ", "--1", "+-1", "1.2.3", "Infx", "+NaN", "1e400", "abc",
                          "1f"}) {
    EXPECT_FALSE(ParseValue(bad).has_value()) << bad;
  }
}

TEST(NumberTest, Millis) {
  EXPECT_EQ(ParseMillis("1700000000000"), 1700000000000);
  EXPECT_EQ(ParseMillis("-5"), -5);
  EXPECT_EQ(ParseMillis("+5"), 5);
  EXPECT_EQ(ParseMillis("9223372036854775807"), std::numeric_limits<int64_t>::max());
  for (const char* bad : {"", "1.5", "1e3", "9223372036854775808", "++1", "0x1", "12a"}) {
    EXPECT_FALSE(ParseMillis(bad).has_value()) << bad;
  }
}

TEST(NumberTest, SecondsAsMillis) {
  EXPECT_EQ(ParseSecondsAsMillis("1520879607.789"), 1520879607789);
  EXPECT_EQ(ParseSecondsAsMillis("1.001"), 1001);  // rounds, does not truncate 1000.999...
  EXPECT_EQ(ParseSecondsAsMillis("-1.5"), -1500);
  EXPECT_EQ(ParseSecondsAsMillis("1e3"), 1000000);
  EXPECT_EQ(ParseSecondsAsMillis("0"), 0);
  for (const char* bad : {"NaN", "+Inf", "-Inf", "1e300", "x"}) {
    EXPECT_FALSE(ParseSecondsAsMillis(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace abhra::textformat
