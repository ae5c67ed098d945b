#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "common/remote/proto/remote_write_v2.pb.h"
#include "common/remote/test_util.h"
#include "common/remote/write_request_decoder.h"
#include "common/remote/write_request_encoder.h"

namespace abhra::remote {
namespace {

namespace v2 = io::prometheus::write::v2;
using testing::Bits;

std::vector<TimeSeries> Series() {
  std::vector<TimeSeries> out(3);
  out[0].labels = Labels{{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}};
  out[0].samples = {{1000, 1}, {2000, wire::BitsToDouble(0x7ff0000000000002ull)}, {-5, -0.0}};
  Exemplar ex;
  ex.labels = Labels{{"trace_id", "abc"}};
  ex.value = 0.5;
  ex.timestamp_ms = 1500;
  out[0].exemplars = {ex, Exemplar{}};
  out[1].labels = Labels{{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "500"}};
  out[1].samples = {{0, 0}};
  out[2].labels = Labels{{"__name__", "up"}, {"job", "api"}};
  out[2].samples = {{std::numeric_limits<int64_t>::min(), -std::numeric_limits<double>::infinity()}};
  return out;
}

std::vector<Metadata> Meta() {
  return {Metadata{MetricType::kCounter, "http_requests_total", "Requests.", "requests"},
          Metadata{MetricType::kGauge, "no_such_series", "dropped", ""},
          Metadata{MetricType::kUnknown, "up", "", ""}};
}

TEST(WriteRequestV2EncoderTest, RoundTripThroughDecoder) {
  std::vector<TimeSeries> series = Series();
  std::string body;
  EncodeWriteRequestV2(series, Meta(), &body);
  DecodedWriteRequest d;
  Status st = DecodeWriteRequestV2(body, kDefaultMaxDecodedBytes, &d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(d.series.size(), 3u);
  EXPECT_EQ(d.symbols[0], "");
  for (size_t i = 0; i < series.size(); ++i) {
    auto labels = d.LabelsOf(d.series[i]);
    ASSERT_EQ(labels.size(), series[i].labels.size());
    for (size_t k = 0; k < labels.size(); ++k) {
      EXPECT_EQ(labels[k].name, series[i].labels[k].name);
      EXPECT_EQ(labels[k].value, series[i].labels[k].value);
    }
    auto samples = d.SamplesOf(d.series[i]);
    ASSERT_EQ(samples.size(), series[i].samples.size());
    for (size_t k = 0; k < samples.size(); ++k) {
      EXPECT_EQ(samples[k].timestamp_ms, series[i].samples[k].timestamp_ms);
      EXPECT_EQ(Bits(samples[k].value), Bits(series[i].samples[k].value));
    }
  }
  ASSERT_EQ(d.ExemplarsOf(d.series[0]).size(), 2u);
  EXPECT_EQ(d.LabelsOf(d.ExemplarsOf(d.series[0])[0])[0].value, "abc");
  EXPECT_TRUE(d.LabelsOf(d.ExemplarsOf(d.series[0])[1]).empty());
  ASSERT_NE(d.series[0].metadata, kNoMetadata);
  EXPECT_EQ(d.metadata[d.series[0].metadata].help, "Requests.");
  EXPECT_EQ(d.metadata[d.series[0].metadata].unit, "requests");
  EXPECT_EQ(d.metadata[d.series[0].metadata].type, MetricType::kCounter);
  EXPECT_EQ(d.metadata[d.series[1].metadata].family_name, "http_requests_total");
  ASSERT_NE(d.series[2].metadata, kNoMetadata);
  EXPECT_EQ(d.metadata[d.series[2].metadata].type, MetricType::kUnknown);
  // Shared strings are interned once: "", 8 distinct label strings, help, unit, trace_id, abc.
  EXPECT_EQ(d.symbols.size(), 13u);
}

TEST(WriteRequestV2EncoderTest, CanonicalForGeneratedClasses) {
  std::string raw;
  MarshalWriteRequestV2(Series(), Meta(), &raw);
  v2::Request req;
  ASSERT_TRUE(req.ParseFromString(raw));
  EXPECT_EQ(req.SerializeAsString(), raw);
  ASSERT_EQ(req.timeseries_size(), 3);
  EXPECT_EQ(req.symbols(static_cast<int>(req.timeseries(0).labels_refs(1))), "http_requests_total");
  EXPECT_EQ(req.timeseries(0).metadata().type(), v2::Metadata::METRIC_TYPE_COUNTER);
  EXPECT_FALSE(req.timeseries(1).samples(0).value() != 0);
  EXPECT_EQ(req.timeseries(2).samples(0).timestamp(), std::numeric_limits<int64_t>::min());
}

TEST(WriteRequestV2EncoderTest, EmptyRequestHasOnlyTheEmptySymbol) {
  std::string raw;
  MarshalWriteRequestV2({}, {}, &raw);
  EXPECT_EQ(raw, std::string("\x22\x00", 2));
  DecodedWriteRequest d;
  ASSERT_TRUE(ParseWriteRequestV2(raw, &d).ok());
  EXPECT_EQ(d.symbols.size(), 1u);
}

}  // namespace
}  // namespace abhra::remote
