#include "common/remote/write_request_encoder.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "common/remote/proto/remote_write_v1.pb.h"
#include "common/remote/protobuf_decoder.h"
#include "common/remote/test_util.h"
#include "common/remote/write_request_decoder.h"

namespace abhra::remote {
namespace {

using testing::Bits;

std::vector<TimeSeries> SampleSeries() {
  std::vector<TimeSeries> out;
  TimeSeries a;
  a.labels = Labels{{"__name__", "probe_success"}, {"env", "prod"}, {"target", "https://x/é"}};
  a.samples = {{1700000000000, 1.0}, {1700000015000, 0.0}, {-42, -0.0},
               {std::numeric_limits<int64_t>::max(), wire::BitsToDouble(0x7ff0000000000002ull)},
               {std::numeric_limits<int64_t>::min(), std::numeric_limits<double>::infinity()},
               {0, -std::numeric_limits<double>::infinity()},
               {1, std::nan("")}};
  Exemplar ex;
  ex.labels = Labels{{"trace_id", "abc"}};
  ex.value = 0.125;
  ex.timestamp_ms = 1700000000001;
  a.exemplars.push_back(ex);
  out.push_back(std::move(a));
  TimeSeries b;
  b.labels = Labels{{"__name__", "up"}, {"empty_value_is_encoded_as_absent", ""}};
  b.samples = {{5, 1}};
  out.push_back(std::move(b));
  out.push_back(TimeSeries{});  // no labels, no samples
  return out;
}

std::vector<Metadata> SampleMetadata() {
  return {Metadata{MetricType::kGauge, "probe_success", "1 if the probe succeeded", ""},
          Metadata{MetricType::kUnknown, "", "", ""},
          Metadata{MetricType::kStateset, "s", "", "seconds"}};
}

prompb::WriteRequest ToProto(const std::vector<TimeSeries>& series,
                             const std::vector<Metadata>& metadata) {
  prompb::WriteRequest req;
  for (const TimeSeries& ts : series) {
    auto* p = req.add_timeseries();
    for (const Label& l : ts.labels) {
      auto* pl = p->add_labels();
      pl->set_name(l.name);
      pl->set_value(l.value);
    }
    for (const SampleValue& s : ts.samples) {
      auto* ps = p->add_samples();
      ps->set_value(s.value);
      ps->set_timestamp(s.timestamp_ms);
    }
    for (const Exemplar& e : ts.exemplars) {
      auto* pe = p->add_exemplars();
      for (const Label& l : e.labels) {
        auto* pl = pe->add_labels();
        pl->set_name(l.name);
        pl->set_value(l.value);
      }
      pe->set_value(e.value);
      pe->set_timestamp(e.timestamp_ms);
    }
  }
  for (const Metadata& m : metadata) {
    auto* pm = req.add_metadata();
    pm->set_type(static_cast<prompb::MetricMetadata::MetricType>(m.type));
    pm->set_metric_family_name(m.family_name);
    pm->set_help(m.help);
    pm->set_unit(m.unit);
  }
  return req;
}

TEST(WriteRequestEncoderTest, ByteIdenticalToGeneratedSerializer) {
  std::string ours;
  MarshalWriteRequest(SampleSeries(), SampleMetadata(), &ours);
  std::string theirs = ToProto(SampleSeries(), SampleMetadata()).SerializeAsString();
  EXPECT_EQ(ours, theirs);
}

TEST(WriteRequestEncoderTest, RoundTripThroughHandRolledDecoder) {
  std::vector<TimeSeries> series = SampleSeries();
  std::string body;
  EncodeWriteRequest(series, SampleMetadata(), &body);
  DecodedWriteRequest d;
  ASSERT_TRUE(DecodeWriteRequest(body, kDefaultMaxDecodedBytes, &d).ok());
  ASSERT_EQ(d.series.size(), series.size());
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
      EXPECT_EQ(Bits(samples[k].value), Bits(series[i].samples[k].value)) << i << "/" << k;
    }
  }
  ASSERT_EQ(d.exemplars.size(), 1u);
  EXPECT_EQ(d.exemplars[0].value, 0.125);
  EXPECT_EQ(d.LabelsOf(d.exemplars[0])[0].value, "abc");
  ASSERT_EQ(d.metadata.size(), 3u);
  EXPECT_EQ(d.metadata[0].type, MetricType::kGauge);
  EXPECT_EQ(d.metadata[0].help, "1 if the probe succeeded");
  EXPECT_EQ(d.metadata[2].type, MetricType::kStateset);
  EXPECT_EQ(d.metadata[2].unit, "seconds");
}

TEST(WriteRequestEncoderTest, GeneratedClassesReadOurBytes) {
  std::string body;
  EncodeWriteRequest(SampleSeries(), SampleMetadata(), &body);
  ProtobufWriteRequestDecoder pd;
  DecodedWriteRequest g, d;
  ASSERT_TRUE(pd.Decode(body, kDefaultMaxDecodedBytes, &g).ok());
  ASSERT_TRUE(DecodeWriteRequest(body, kDefaultMaxDecodedBytes, &d).ok());
  testing::ExpectSameDecoded(d, g);
  const prompb::WriteRequest& m = pd.message();
  ASSERT_EQ(m.timeseries_size(), 3);
  EXPECT_EQ(m.timeseries(0).labels(2).value(), "https://x/é");
  EXPECT_EQ(Bits(m.timeseries(0).samples(3).value()), 0x7ff0000000000002ull);
  EXPECT_EQ(m.timeseries(0).samples(4).timestamp(), std::numeric_limits<int64_t>::min());
}

TEST(WriteRequestEncoderTest, OurDecoderReadsGeneratedBytes) {
  std::string raw = ToProto(SampleSeries(), SampleMetadata()).SerializeAsString();
  DecodedWriteRequest d;
  ASSERT_TRUE(ParseWriteRequest(raw, &d).ok());
  EXPECT_EQ(d.series.size(), 3u);
  EXPECT_EQ(d.samples.size(), 8u);
  EXPECT_EQ(Bits(d.samples[5].value), Bits(-std::numeric_limits<double>::infinity()));
}

TEST(WriteRequestEncoderTest, AppendsToDst) {
  std::string dst = "keep";
  EncodeWriteRequest({}, {}, &dst);
  ASSERT_GT(dst.size(), 4u);
  EXPECT_EQ(dst.substr(0, 4), "keep");
  DecodedWriteRequest d;
  ASSERT_TRUE(DecodeWriteRequest(std::string_view(dst).substr(4), 10, &d).ok());
  EXPECT_TRUE(d.series.empty());
}

TEST(WriteRequestEncoderTest, LargeRequestRoundTrips) {
  std::vector<TimeSeries> series(2000);
  for (size_t i = 0; i < series.size(); ++i) {
    series[i].labels = Labels{{"__name__", "m" + std::to_string(i % 50)},
                              {"instance", "10.0.0." + std::to_string(i % 255)},
                              {"long", std::string(200, 'v')}};
    series[i].samples = {{static_cast<int64_t>(i) * 1000, static_cast<double>(i) / 3}};
  }
  std::string body;
  EncodeWriteRequest(series, {}, &body);
  DecodedWriteRequest d;
  ASSERT_TRUE(DecodeWriteRequest(body, kDefaultMaxDecodedBytes, &d).ok());
  ASSERT_EQ(d.series.size(), 2000u);
  EXPECT_EQ(d.LabelsOf(d.series[1999])[1].value, "10.0.0.214");
  EXPECT_EQ(d.SamplesOf(d.series[1999])[0].value, 1999.0 / 3);
}

}  // namespace
}  // namespace abhra::remote
