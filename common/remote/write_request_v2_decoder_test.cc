#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/remote/proto/remote_write_v2.pb.h"
#include "common/remote/test_util.h"
#include "common/remote/write_request_decoder.h"

namespace abhra::remote {
namespace {

namespace v2 = io::prometheus::write::v2;
using ::testing::HasSubstr;
using testing::Bits;
using testing::Bytes;

v2::Request SampleRequestV2() {
  v2::Request req;
  for (const char* s : {"", "__name__", "http_requests_total", "job", "api", "code", "200",
                        "Requests served.", "requests", "trace_id", "t-1", "500"}) {
    req.add_symbols(s);
  }
  auto* ts = req.add_timeseries();
  for (uint32_t r : {1, 2, 5, 6, 3, 4}) ts->add_labels_refs(r);
  auto* s = ts->add_samples();
  s->set_value(10);
  s->set_timestamp(1700000000000);
  s->set_start_timestamp(1699999000000);
  s = ts->add_samples();
  s->set_value(12);
  s->set_timestamp(1700000015000);
  auto* md = ts->mutable_metadata();
  md->set_type(v2::Metadata::METRIC_TYPE_COUNTER);
  md->set_help_ref(7);
  md->set_unit_ref(8);
  auto* ex = ts->add_exemplars();
  ex->add_labels_refs(9);
  ex->add_labels_refs(10);
  ex->set_value(0.5);
  ex->set_timestamp(-5);
  ts->add_histograms()->set_count_int(3);

  auto* ts2 = req.add_timeseries();
  for (uint32_t r : {1, 2, 5, 11}) ts2->add_labels_refs(r);
  ts2->add_samples()->set_value(1);
  return req;
}

TEST(WriteRequestV2DecoderTest, ResolvesSymbolsAndMetadata) {
  std::string body;
  SnappyCompress(SampleRequestV2().SerializeAsString(), &body);
  DecodedWriteRequest d;
  Status st = DecodeWriteRequestV2(body, kDefaultMaxDecodedBytes, &d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(d.series.size(), 2u);
  auto l = d.LabelsOf(d.series[0]);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "__name__");
  EXPECT_EQ(l[0].value, "http_requests_total");
  EXPECT_EQ(l[1].name, "code");
  EXPECT_EQ(l[1].value, "200");
  EXPECT_EQ(l[2].name, "job");
  EXPECT_EQ(l[2].value, "api");
  auto s = d.SamplesOf(d.series[0]);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].value, 10);
  EXPECT_EQ(s[0].timestamp_ms, 1700000000000);
  EXPECT_EQ(s[1].timestamp_ms, 1700000015000);
  ASSERT_NE(d.series[0].metadata, kNoMetadata);
  const MetadataView& m = d.metadata[d.series[0].metadata];
  EXPECT_EQ(m.type, MetricType::kCounter);
  EXPECT_EQ(m.family_name, "http_requests_total");
  EXPECT_EQ(m.help, "Requests served.");
  EXPECT_EQ(m.unit, "requests");
  ASSERT_EQ(d.ExemplarsOf(d.series[0]).size(), 1u);
  const ExemplarView& ex = d.ExemplarsOf(d.series[0])[0];
  EXPECT_EQ(ex.timestamp_ms, -5);
  EXPECT_EQ(d.LabelsOf(ex)[0].name, "trace_id");
  EXPECT_EQ(d.LabelsOf(ex)[0].value, "t-1");
  EXPECT_EQ(d.histograms_skipped, 1u);
  EXPECT_EQ(d.series[1].metadata, kNoMetadata);
  EXPECT_EQ(d.LabelsOf(d.series[1])[1].value, "500");
}

TEST(WriteRequestV2DecoderTest, UnpackedRefsAndSymbolsAfterSeries) {
  Bytes ts;
  // Unpacked refs, split across two fields (a packed chunk and loose varints).
  ts.Tag(1, wire::kVarint).Varint(1);
  ts.Tag(1, wire::kVarint).Varint(2);
  ts.Str(1, Bytes().Varint(3).Varint(4).str());
  ts.Msg(2, Bytes().Double(1, wire::BitsToDouble(0x7ff0000000000002ull)).Int(2, -1));
  Bytes req;
  req.Msg(5, ts);
  for (const char* s : {"", "__name__", "up", "job", "x"}) req.Str(4, s);
  DecodedWriteRequest d;
  Status st = ParseWriteRequestV2(req.str(), &d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(d.labels.size(), 2u);
  EXPECT_EQ(d.labels[0].value, "up");
  EXPECT_EQ(d.labels[1].name, "job");
  EXPECT_EQ(d.labels[1].value, "x");
  EXPECT_EQ(Bits(d.samples[0].value), 0x7ff0000000000002ull);
  EXPECT_EQ(d.samples[0].timestamp_ms, -1);

  // The generated classes accept the unpacked form too.
  v2::Request parsed;
  ASSERT_TRUE(parsed.ParseFromString(req.str()));
  EXPECT_EQ(parsed.timeseries(0).labels_refs_size(), 4);
}

Status ParseV2(std::string_view bytes) {
  DecodedWriteRequest d;
  return ParseWriteRequestV2(bytes, &d);
}

TEST(WriteRequestV2DecoderTest, BadReferences) {
  Bytes syms = Bytes().Str(4, "").Str(4, "a");
  Status s = ParseV2(Bytes(syms).Msg(5, Bytes().Str(1, Bytes().Varint(1).Varint(7).str())).str());
  EXPECT_THAT(s.message(), HasSubstr("label reference 7 at byte"));
  EXPECT_THAT(s.message(), HasSubstr("out of range (2 symbols) in series 0"));
  s = ParseV2(Bytes(syms).Msg(5, Bytes().Str(1, Bytes().Varint(1).str())).str());
  EXPECT_THAT(s.message(), HasSubstr("odd number of series labels_refs (1)"));
  s = ParseV2(Bytes(syms).Msg(5, Bytes().Msg(5, Bytes().Int(3, 9))).str());
  EXPECT_THAT(s.message(), HasSubstr("help_ref 9"));
  s = ParseV2(Bytes(syms).Msg(5, Bytes().Msg(4, Bytes().Str(1, Bytes().Varint(1).str()))).str());
  EXPECT_THAT(s.message(), HasSubstr("odd number of exemplar labels_refs"));
  s = ParseV2(Bytes().Str(4, "not empty").str());
  EXPECT_THAT(s.message(), HasSubstr("symbols[0] must be the empty string"));
  s = ParseV2(Bytes(syms).Msg(5, Bytes().Str(1, std::string("\x81", 1))).str());
  EXPECT_THAT(s.message(), HasSubstr("truncated varint"));
  s = ParseV2(Bytes(syms).Msg(5, Bytes().Double(1, 1.0)).str());
  EXPECT_THAT(s.message(), HasSubstr("field 1 of TimeSeries has wire type 1, want 2"));
}

TEST(WriteRequestV2DecoderTest, RefsWithoutSymbols) {
  Status s = ParseV2(Bytes().Msg(5, Bytes().Str(1, Bytes().Varint(0).Varint(0).str())).str());
  EXPECT_THAT(s.message(), HasSubstr("out of range (0 symbols)"));
}

TEST(WriteRequestV2DecoderTest, EmptyAndUnknown) {
  DecodedWriteRequest d;
  std::string body;
  SnappyCompress("", &body);
  ASSERT_TRUE(DecodeWriteRequestV2(body, 100, &d).ok());
  EXPECT_TRUE(d.series.empty());
  // Reserved fields 1-3 and an unknown field 6 in the series are skipped.
  Bytes req = Bytes().Str(1, "old").Int(2, 3).Str(4, "").Msg(5, Bytes().Int(6, 1).Str(7, "z"));
  ASSERT_TRUE(ParseWriteRequestV2(req.str(), &d).ok());
  ASSERT_EQ(d.series.size(), 1u);
  EXPECT_TRUE(d.labels.empty());
}

TEST(WriteRequestV2DecoderTest, PrefixesNeverCrash) {
  std::string raw = SampleRequestV2().SerializeAsString();
  DecodedWriteRequest d;
  int ok = 0;
  for (size_t n = 0; n <= raw.size(); ++n) ok += ParseWriteRequestV2(raw.substr(0, n), &d).ok();
  EXPECT_GE(ok, 2);  // the empty prefix and the whole request
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    (void)ParseWriteRequestV2(bad, &d);
  }
}

}  // namespace
}  // namespace abhra::remote
