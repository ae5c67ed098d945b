// Decodes a request produced by the shared bench generator (Python protobuf + python-snappy):
// see testdata/README.md for how it was made and where the expected facts come from.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/remote/protobuf_decoder.h"
#include "common/remote/test_util.h"
#include "common/remote/write_request_decoder.h"

namespace abhra::remote {
namespace {

std::string ReadFixture(const std::string& name) {
  // ctest runs from the repository root; allow running the binary from elsewhere too.
  for (const std::string& dir : {std::string("common/remote/testdata/"),
                                 std::string(ABHRA_REMOTE_TESTDATA "/")}) {
    std::ifstream in(dir + name, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }
  }
  return {};
}

TEST(FixtureTest, DecodesGeneratorOutput) {
  std::string body = ReadFixture("gen_1000x1.rw");
  ASSERT_EQ(body.size(), 25992u);
  DecodedWriteRequest d;
  Status st = DecodeWriteRequest(body, kDefaultMaxDecodedBytes, &d);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(d.body.size(), 194440u);
  ASSERT_EQ(d.series.size(), 1000u);
  EXPECT_EQ(d.labels.size(), 7737u);
  ASSERT_EQ(d.samples.size(), 1000u);
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  for (const SampleValue& s : d.samples) {
    min_t = std::min(min_t, s.timestamp_ms);
    max_t = std::max(max_t, s.timestamp_ms);
  }
  EXPECT_EQ(min_t, 1767225615782);
  EXPECT_EQ(max_t, 1767225628564);
  auto first = d.LabelsOf(d.series[0]);
  ASSERT_EQ(first.size(), 7u);
  EXPECT_EQ(first[0].value, "go_goroutines");
  EXPECT_EQ(first[3].name, "instance");
  EXPECT_EQ(first[3].value, "10.6.37.211:8080");
  auto last = d.LabelsOf(d.series[999]);
  EXPECT_EQ(last[0].value, "http_request_duration_seconds_bucket");
  EXPECT_EQ(last[5].name, "le");
  EXPECT_EQ(last[5].value, "10");
  EXPECT_EQ(d.SamplesOf(d.series[999])[0].value, 852437.0);
  EXPECT_EQ(d.SamplesOf(d.series[999])[0].timestamp_ms, 1767225622189);

  ProtobufWriteRequestDecoder pd;
  DecodedWriteRequest g;
  ASSERT_TRUE(pd.Decode(body, kDefaultMaxDecodedBytes, &g).ok());
  testing::ExpectSameDecoded(d, g);
}

}  // namespace
}  // namespace abhra::remote
