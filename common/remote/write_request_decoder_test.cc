#include "common/remote/write_request_decoder.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/remote/proto/remote_write_v1.pb.h"
#include "common/remote/protobuf_decoder.h"
#include "common/remote/test_util.h"

namespace abhra::remote {
namespace {

using ::testing::HasSubstr;
using testing::Bits;
using testing::Bytes;
using testing::ExpectSameDecoded;

double StaleMarker() { return wire::BitsToDouble(0x7ff0000000000002ull); }

prompb::WriteRequest SampleRequest() {
  prompb::WriteRequest req;
  for (int i = 0; i < 3; ++i) {
    prompb::TimeSeries* ts = req.add_timeseries();
    auto* l = ts->add_labels();
    l->set_name("__name__");
    l->set_value("http_requests_total");
    l = ts->add_labels();
    l->set_name("code");
    l->set_value(std::to_string(200 + i));
    l = ts->add_labels();
    l->set_name("job");
    l->set_value("api");
    for (int k = 0; k < i + 1; ++k) {
      auto* s = ts->add_samples();
      s->set_value(1.5 * k + i);
      s->set_timestamp(1700000000000 + 15000 * k);
    }
  }
  auto* ex = req.mutable_timeseries(1)->add_exemplars();
  ex->set_value(0.25);
  ex->set_timestamp(1700000000123);
  auto* el = ex->add_labels();
  el->set_name("trace_id");
  el->set_value("abc123");
  req.mutable_timeseries(2)->add_histograms()->set_count_int(7);
  req.mutable_timeseries(2)->add_histograms()->set_sum(1.0);
  auto* md = req.add_metadata();
  md->set_type(prompb::MetricMetadata::COUNTER);
  md->set_metric_family_name("http_requests_total");
  md->set_help("Requests.\nAll of them.");
  md->set_unit("requests");
  return req;
}

TEST(WriteRequestDecoderTest, DecodesEveryField) {
  std::string raw = SampleRequest().SerializeAsString();
  std::string body;
  SnappyCompress(raw, &body);
  DecodedWriteRequest d;
  ASSERT_TRUE(DecodeWriteRequest(body, kDefaultMaxDecodedBytes, &d).ok());
  ASSERT_EQ(d.series.size(), 3u);
  EXPECT_EQ(d.labels.size(), 9u);
  EXPECT_EQ(d.samples.size(), 6u);
  auto l = d.LabelsOf(d.series[1]);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l[0].value, "http_requests_total");
  EXPECT_EQ(l[1].value, "201");
  auto s = d.SamplesOf(d.series[1]);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].timestamp_ms, 1700000015000);
  EXPECT_EQ(s[1].value, 2.5);
  ASSERT_EQ(d.ExemplarsOf(d.series[1]).size(), 1u);
  const ExemplarView& ex = d.ExemplarsOf(d.series[1])[0];
  EXPECT_EQ(ex.value, 0.25);
  EXPECT_EQ(ex.timestamp_ms, 1700000000123);
  ASSERT_EQ(d.LabelsOf(ex).size(), 1u);
  EXPECT_EQ(d.LabelsOf(ex)[0].value, "abc123");
  EXPECT_EQ(d.series[2].histograms, 2u);
  EXPECT_EQ(d.histograms_skipped, 2u);
  ASSERT_EQ(d.metadata.size(), 1u);
  EXPECT_EQ(d.metadata[0].type, MetricType::kCounter);
  EXPECT_EQ(d.metadata[0].family_name, "http_requests_total");
  EXPECT_EQ(d.metadata[0].help, "Requests.\nAll of them.");
  EXPECT_EQ(d.metadata[0].unit, "requests");
  EXPECT_EQ(d.series[0].metadata, kNoMetadata);

  // Views point into the decoded buffer, not into copies.
  const char* b = d.buffer.data();
  EXPECT_GE(l[0].name.data(), b);
  EXPECT_LT(l[0].name.data(), b + d.body.size());

  // The generated classes see the same thing.
  ProtobufWriteRequestDecoder pd;
  DecodedWriteRequest g;
  ASSERT_TRUE(pd.Decode(body, kDefaultMaxDecodedBytes, &g).ok());
  ExpectSameDecoded(d, g);
}

TEST(WriteRequestDecoderTest, MetricTypeNames) {
  EXPECT_EQ(MetricTypeName(MetricType::kUnknown), "unknown");
  EXPECT_EQ(MetricTypeName(MetricType::kGaugeHistogram), "gaugehistogram");
  EXPECT_EQ(MetricTypeName(MetricType::kStateset), "stateset");
}

TEST(WriteRequestDecoderTest, EmptyRequest) {
  std::string body;
  SnappyCompress("", &body);
  DecodedWriteRequest d;
  ASSERT_TRUE(DecodeWriteRequest(body, kDefaultMaxDecodedBytes, &d).ok());
  EXPECT_TRUE(d.series.empty());
  EXPECT_TRUE(d.metadata.empty());
}

TEST(WriteRequestDecoderTest, EmptyMessagesAndDefaults) {
  // A series with an empty Label and an empty Sample: proto3 defaults.
  Bytes ts;
  ts.Msg(1, Bytes()).Msg(2, Bytes());
  DecodedWriteRequest d;
  std::string body = Bytes().Msg(1, ts).str();  // the views point into it
  ASSERT_TRUE(ParseWriteRequest(body, &d).ok());
  ASSERT_EQ(d.labels.size(), 1u);
  EXPECT_EQ(d.labels[0].name, "");
  ASSERT_EQ(d.samples.size(), 1u);
  EXPECT_EQ(d.samples[0].timestamp_ms, 0);
  EXPECT_EQ(Bits(d.samples[0].value), 0u);
}

TEST(WriteRequestDecoderTest, SpecialValuesAreBitExact) {
  const double values[] = {std::nan(""),
                           StaleMarker(),
                           wire::BitsToDouble(0x7ff8000000000001ull),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           -0.0,
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::max()};
  const int64_t times[] = {-1, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max(), -1700000000000, 0, 1, 2, 3};
  prompb::WriteRequest req;
  auto* ts = req.add_timeseries();
  for (size_t i = 0; i < std::size(values); ++i) {
    auto* s = ts->add_samples();
    s->set_value(values[i]);
    s->set_timestamp(times[i]);
  }
  DecodedWriteRequest d;
  std::string raw = req.SerializeAsString();
  ASSERT_TRUE(ParseWriteRequest(raw, &d).ok());
  ASSERT_EQ(d.samples.size(), std::size(values));
  for (size_t i = 0; i < std::size(values); ++i) {
    EXPECT_EQ(Bits(d.samples[i].value), Bits(values[i])) << i;
    EXPECT_EQ(d.samples[i].timestamp_ms, times[i]) << i;
  }
  EXPECT_EQ(Bits(d.samples[1].value), 0x7ff0000000000002ull);
}

// Every wire type as an unknown field, at every message level.
std::string Unknowns() {
  Bytes b;
  b.Int(99, 12345);
  b.Tag(100, wire::kFixed64).Fixed64(42);
  b.Str(101, "ignored");
  b.Tag(102, wire::kFixed32).Raw("abcd");
  b.Tag(103, wire::kStartGroup).Int(1, 5).Str(2, "in group");
  b.Tag(104, wire::kStartGroup).Int(1, 1).Tag(104, wire::kEndGroup);  // nested group
  b.Tag(103, wire::kEndGroup);
  return b.str();
}

TEST(WriteRequestDecoderTest, UnknownFieldsAreSkippedAtEveryLevel) {
  std::string u = Unknowns();
  Bytes label = Bytes().Raw(u).Str(1, "job").Raw(u).Str(2, "api").Raw(u);
  Bytes sample = Bytes().Raw(u).Double(1, 3.5).Raw(u).Int(2, 1000).Raw(u);
  Bytes exemplar_label = Bytes().Str(1, "trace_id").Str(2, "t").Raw(u);
  Bytes exemplar = Bytes().Raw(u).Msg(1, exemplar_label).Double(2, 1.0).Int(3, 7).Raw(u);
  Bytes ts = Bytes().Raw(u).Msg(1, label).Raw(u).Msg(2, sample).Msg(3, exemplar).Raw(u);
  Bytes md = Bytes().Int(1, 2).Raw(u).Str(2, "m").Str(3, "field 3 is not in the schema").Str(4, "h");
  Bytes req = Bytes().Raw(u).Msg(1, ts).Raw(u).Msg(2, Bytes().Str(1, "reserved 2")).Msg(3, md);

  DecodedWriteRequest d;
  Status st = ParseWriteRequest(req.str(), &d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(d.series.size(), 1u);
  ASSERT_EQ(d.labels.size(), 1u);
  EXPECT_EQ(d.labels[0].name, "job");
  EXPECT_EQ(d.labels[0].value, "api");
  ASSERT_EQ(d.samples.size(), 1u);
  EXPECT_EQ(d.samples[0].value, 3.5);
  EXPECT_EQ(d.samples[0].timestamp_ms, 1000);
  ASSERT_EQ(d.exemplars.size(), 1u);
  EXPECT_EQ(d.exemplars[0].timestamp_ms, 7);
  ASSERT_EQ(d.metadata.size(), 1u);
  EXPECT_EQ(d.metadata[0].type, MetricType::kGauge);
  EXPECT_EQ(d.metadata[0].help, "h");

  ProtobufWriteRequestDecoder pd;
  DecodedWriteRequest g;
  ASSERT_TRUE(pd.Parse(req.str(), &g).ok());
  ExpectSameDecoded(d, g);
}

TEST(WriteRequestDecoderTest, FieldsInAnyOrderAndRepeatedScalarsLastWins) {
  Bytes sample = Bytes().Int(2, 5).Double(1, 1.0).Double(1, 2.0);
  Bytes label = Bytes().Str(2, "v").Str(1, "a").Str(1, "b");
  Bytes ts = Bytes().Msg(2, sample).Msg(1, label).Msg(2, sample);
  DecodedWriteRequest d;
  std::string body = Bytes().Msg(1, ts).str();  // the views point into it
  ASSERT_TRUE(ParseWriteRequest(body, &d).ok());
  ASSERT_EQ(d.samples.size(), 2u);
  EXPECT_EQ(d.samples[0].value, 2.0);
  EXPECT_EQ(d.samples[0].timestamp_ms, 5);
  EXPECT_EQ(d.labels[0].name, "b");
  EXPECT_EQ(d.labels[0].value, "v");
}

Status Parse(std::string_view bytes) {
  DecodedWriteRequest d;
  return ParseWriteRequest(bytes, &d);
}

TEST(WriteRequestDecoderTest, TruncatedVarint) {
  Status s = Parse(std::string("\x0a\x80", 2));
  EXPECT_TRUE(s.Is(Status::Code::kInvalidArgument));
  EXPECT_EQ(s.message(), "remote-write: truncated varint at byte 1");
  // Inside a sample timestamp of series 0: byte offsets count from the start of the body.
  Bytes sample = Bytes().Double(1, 1).Tag(2, wire::kVarint).Raw("\xff\xff");
  std::string body = Bytes().Msg(1, Bytes().Msg(2, sample)).str();
  s = Parse(body);
  EXPECT_EQ(s.message(), "remote-write: truncated varint at byte 14 (series 0)");
}

TEST(WriteRequestDecoderTest, TooLongVarint) {
  std::string body = Bytes().Tag(99, wire::kVarint).Raw(std::string(11, '\xff')).str();
  EXPECT_THAT(Parse(body).message(), HasSubstr("malformed varint (longer than 10 bytes) at byte 2"));
}

TEST(WriteRequestDecoderTest, LengthPastEnd) {
  Status s = Parse(std::string("\x0a\x05\x0a", 3));
  EXPECT_EQ(s.message(),
            "remote-write: length 5 of field 1 of WriteRequest at byte 1 runs past the end "
            "(1 bytes left)");
  // A nested length longer than its parent but shorter than the whole buffer.
  std::string nested = Bytes().Msg(1, Bytes().Raw("\x0a\x10")).Raw(std::string(20, '\0')).str();
  EXPECT_THAT(Parse(nested).message(), HasSubstr("length 16 of field 1 of TimeSeries at byte 3"));
  // Huge declared length.
  std::string huge = Bytes().Tag(1, wire::kLengthDelimited).Varint(1ull << 62).str();
  EXPECT_THAT(Parse(huge).message(), HasSubstr("runs past the end"));
}

TEST(WriteRequestDecoderTest, WrongWireTypes) {
  Status s = Parse(Bytes().Msg(1, Bytes().Int(1, 1)).str());
  EXPECT_EQ(s.message(), "protobuf: field 1 of TimeSeries has wire type 0, want 2 at byte 2 (series 0)");
  s = Parse(Bytes().Int(1, 1).str());
  EXPECT_EQ(s.message(), "protobuf: field 1 of WriteRequest has wire type 0, want 2 at byte 0");
  s = Parse(Bytes().Msg(1, Bytes().Msg(2, Bytes().Int(1, 5))).str());
  EXPECT_THAT(s.message(), HasSubstr("field 1 of Sample has wire type 0, want 1"));
  s = Parse(Bytes().Msg(1, Bytes().Msg(2, Bytes().Double(2, 5))).str());
  EXPECT_THAT(s.message(), HasSubstr("field 2 of Sample has wire type 1, want 0"));
  s = Parse(Bytes().Msg(1, Bytes().Msg(1, Bytes().Int(2, 5))).str());
  EXPECT_THAT(s.message(), HasSubstr("field 2 of Label has wire type 0, want 2"));
  s = Parse(Bytes().Msg(3, Bytes().Str(1, "x")).str());
  EXPECT_THAT(s.message(), HasSubstr("field 1 of MetricMetadata has wire type 2, want 0"));
}

TEST(WriteRequestDecoderTest, BadTags) {
  EXPECT_EQ(Parse(std::string("\x00", 1)).message(),
            "protobuf: invalid field number 0 in WriteRequest at byte 0");
  EXPECT_EQ(Parse(std::string("\x0e", 1)).message(),
            "protobuf: invalid wire type 6 for field 1 of WriteRequest at byte 0");
  EXPECT_THAT(Parse(std::string("\x0f", 1)).message(), HasSubstr("invalid wire type 7"));
  EXPECT_THAT(Parse(Bytes().Tag(5, wire::kEndGroup).str()).message(),
              HasSubstr("unexpected end-group tag for field 5"));
  EXPECT_THAT(Parse(Bytes().Tag(5, wire::kStartGroup).Int(1, 1).str()).message(),
              HasSubstr("unterminated group"));
  EXPECT_THAT(Parse(Bytes().Tag(5, wire::kStartGroup).Tag(6, wire::kEndGroup).str()).message(),
              HasSubstr("end-group tag for field 6 closes group 5"));
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += Bytes().Tag(5, wire::kStartGroup).str();
  EXPECT_THAT(Parse(deep).message(), HasSubstr("nested deeper than"));
  std::string big_field = Bytes().Varint((uint64_t{1} << 29) << 3).str();
  EXPECT_THAT(Parse(big_field).message(), HasSubstr("exceeds 2^29-1"));
}

TEST(WriteRequestDecoderTest, TruncatedFixed) {
  std::string body = Bytes().Msg(1, Bytes().Msg(2, Bytes().Tag(1, wire::kFixed64).Raw("abc"))).str();
  EXPECT_THAT(Parse(body).message(), HasSubstr("truncated fixed64 field 1 of Sample"));
  std::string f32 = Bytes().Tag(9, wire::kFixed32).Raw("ab").str();
  EXPECT_THAT(Parse(f32).message(), HasSubstr("truncated fixed32 field 9 of WriteRequest"));
}

TEST(WriteRequestDecoderTest, InvalidUtf8InLabel) {
  std::string body = Bytes().Msg(1, Bytes().Msg(1, Bytes().Str(1, "job").Str(2, "\xc3"))).str();
  Status s = Parse(body);
  EXPECT_THAT(s.message(), HasSubstr("string field 2 of Label"));
  EXPECT_THAT(s.message(), HasSubstr("not valid UTF-8"));
  ProtobufWriteRequestDecoder pd;
  DecodedWriteRequest g;
  EXPECT_FALSE(pd.Parse(body, &g).ok());  // the generated parser refuses it too
}

TEST(WriteRequestDecoderTest, SeriesIndexInErrors) {
  Bytes good = Bytes().Msg(1, Bytes().Str(1, "a").Str(2, "b"));
  std::string body = Bytes().Msg(1, good).Msg(1, good).Msg(1, Bytes().Int(2, 1)).str();
  EXPECT_THAT(Parse(body).message(), HasSubstr("(series 2)"));
}

TEST(WriteRequestDecoderTest, ReuseClearsPreviousRequest) {
  std::string big = SampleRequest().SerializeAsString();
  prompb::WriteRequest small;
  small.add_timeseries()->add_samples()->set_value(9);
  DecodedWriteRequest d;
  ASSERT_TRUE(ParseWriteRequest(big, &d).ok());
  std::string small_raw = small.SerializeAsString();
  ASSERT_TRUE(ParseWriteRequest(small_raw, &d).ok());
  EXPECT_EQ(d.series.size(), 1u);
  EXPECT_EQ(d.samples.size(), 1u);
  EXPECT_TRUE(d.labels.empty());
  EXPECT_TRUE(d.metadata.empty());
  EXPECT_EQ(d.histograms_skipped, 0u);
  // Failure leaves a cleared or partial structure but never crashes on reuse.
  EXPECT_FALSE(ParseWriteRequest(std::string("\x0a\x80", 2), &d).ok());
  ASSERT_TRUE(ParseWriteRequest(big, &d).ok());
  EXPECT_EQ(d.series.size(), 3u);
}

TEST(WriteRequestDecoderTest, SnappyErrorsPassThrough) {
  DecodedWriteRequest d;
  Status s = DecodeWriteRequest("", kDefaultMaxDecodedBytes, &d);
  EXPECT_THAT(s.message(), HasSubstr("snappy: corrupt input"));
  std::string raw = SampleRequest().SerializeAsString();
  std::string body;
  SnappyCompress(raw, &body);
  s = DecodeWriteRequest(body, raw.size() - 1, &d);
  EXPECT_TRUE(s.Is(Status::Code::kResourceExhausted));
  s = DecodeWriteRequest(std::string_view(body).substr(0, body.size() - 2), 1 << 20, &d);
  EXPECT_TRUE(s.Is(Status::Code::kInvalidArgument));
}

// Every prefix and many single-byte corruptions: the decoder must fail cleanly or succeed,
// never read out of bounds (run under ABHRA_SANITIZE=ON for teeth). Where both succeed, the
// hand-rolled and generated decoders must agree.
TEST(WriteRequestDecoderTest, PrefixesAndCorruptionsNeverCrash) {
  std::string raw = SampleRequest().SerializeAsString();
  ProtobufWriteRequestDecoder pd;
  DecodedWriteRequest d, g;
  for (size_t n = 0; n <= raw.size(); ++n) {
    std::string cut = raw.substr(0, n);
    Status s = ParseWriteRequest(cut, &d);
    if (s.ok() && pd.Parse(cut, &g).ok()) ExpectSameDecoded(d, g);
  }
  int agreed = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = raw;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      Status s = ParseWriteRequest(bad, &d);
      if (s.ok() && pd.Parse(bad, &g).ok()) {
        ExpectSameDecoded(d, g);
        ++agreed;
      }
    }
  }
  EXPECT_GT(agreed, 0);
}

}  // namespace
}  // namespace abhra::remote
