#include "probe/push/sample_batch.h"

#include <cmath>

#include <gtest/gtest.h>

#include "aggregator/storage/storage.h"

namespace abhra::probe {
namespace {

TEST(SampleBatch, RoundTripKeepsStaleMarkerBits) {
  std::vector<ReportedSample> in;
  in.push_back({Labels{{"__name__", "probe_success"}, {"env", "prod"}, {"job", "api"}}, 1700000000000, 1});
  in.push_back({Labels{{"__name__", "x"}, {"v", "with \"quotes\" and ünïcode"}}, -5, 0.25});
  in.push_back({Labels{{"__name__", "gone"}}, 42, storage::StaleNaN()});
  std::string record;
  EncodeSampleBatch(in, &record);
  std::vector<ReportedSample> out;
  ASSERT_TRUE(DecodeSampleBatch(record, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out[i].labels, in[i].labels);
    EXPECT_EQ(out[i].timestamp_ms, in[i].timestamp_ms);
  }
  EXPECT_EQ(out[0].value, 1);
  EXPECT_EQ(out[1].value, 0.25);
  EXPECT_TRUE(storage::IsStaleNaN(out[2].value));
}

TEST(SampleBatch, RejectsCorruption) {
  std::vector<ReportedSample> in = {{Labels{{"__name__", "a"}}, 1, 2}};
  std::string record;
  EncodeSampleBatch(in, &record);
  std::vector<ReportedSample> out;
  EXPECT_FALSE(DecodeSampleBatch("not snappy at all", &out).ok());
  EXPECT_FALSE(DecodeSampleBatch(record.substr(0, record.size() - 3), &out).ok());
}

}  // namespace
}  // namespace abhra::probe
