#include "aggregator/promqltest/series_desc.h"

#include <gtest/gtest.h>

#include "aggregator/storage/storage.h"

namespace abhra::promqltest {
namespace {

TEST(SeriesDescTest, Expansion) {
  auto d = ParseSeriesDesc("m{a=\"b c\"} 1+2x2 _ stale -3x1 _x2 10-5x2 NaN");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->labels.ToString(), "m{a=\"b c\"}");
  ASSERT_EQ(d->values.size(), 13u);
  EXPECT_EQ(*d->values[0], 1);
  EXPECT_EQ(*d->values[2], 5);
  EXPECT_FALSE(d->values[3].has_value());
  EXPECT_TRUE(storage::IsStaleNaN(*d->values[4]));
  EXPECT_EQ(*d->values[5], -3);
  EXPECT_EQ(*d->values[6], -3);
  EXPECT_FALSE(d->values[7].has_value());
  EXPECT_FALSE(d->values[8].has_value());
  EXPECT_EQ(*d->values[9], 10);
  EXPECT_EQ(*d->values[11], 0);
  EXPECT_TRUE(std::isnan(*d->values[12]));
}

TEST(SeriesDescTest, Errors) {
  EXPECT_FALSE(ParseSeriesDesc("m{a=~\"b\"} 1").ok());
  EXPECT_FALSE(ParseSeriesDesc("m 1+zx3").ok());
  auto h = ParseSeriesDesc("m {{schema:0 sum:1}}");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->native_histogram);
}

}  // namespace
}  // namespace abhra::promqltest
