#include "common/remote/snappy_block.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/remote/protobuf_wire.h"

namespace abhra::remote {
namespace {

using ::testing::HasSubstr;

TEST(SnappyBlockTest, RoundTripsSizes) {
  for (size_t n : {0u, 1u, 7u, 100u, 65536u, 200000u}) {
    std::string raw;
    for (size_t i = 0; i < n; ++i) raw.push_back(static_cast<char>((i * 131) % 7 + 'a'));
    std::string compressed = "prefix";
    SnappyCompress(raw, &compressed);  // appends
    ASSERT_EQ(compressed.substr(0, 6), "prefix");
    std::string out = "stale contents that must go";
    ASSERT_TRUE(SnappyDecompress(std::string_view(compressed).substr(6), 1 << 20, &out).ok());
    EXPECT_EQ(out, raw);
  }
}

TEST(SnappyBlockTest, EmptyBodyIsCorrupt) {
  std::string out;
  Status s = SnappyDecompress("", 1 << 20, &out);
  EXPECT_TRUE(s.Is(Status::Code::kInvalidArgument));
  EXPECT_THAT(s.message(), HasSubstr("snappy: corrupt input"));
}

TEST(SnappyBlockTest, TruncatedInputIsCorrupt) {
  std::string raw(5000, 'x');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(i * 7919 % 251);
  std::string compressed;
  SnappyCompress(raw, &compressed);
  for (size_t cut : {compressed.size() - 1, compressed.size() / 2, size_t{3}}) {
    std::string out;
    Status s = SnappyDecompress(std::string_view(compressed).substr(0, cut), 1 << 20, &out);
    EXPECT_TRUE(s.Is(Status::Code::kInvalidArgument)) << cut << ": " << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("snappy: corrupt input"));
  }
}

TEST(SnappyBlockTest, LyingLengthHeaderIsCorrupt) {
  // Header claims 1000 bytes; the body is one 5-byte literal.
  std::string body;
  wire::AppendVarint(&body, 1000);
  body += std::string("\x10", 1) + "hello";
  std::string out;
  Status s = SnappyDecompress(body, 1 << 20, &out);
  EXPECT_TRUE(s.Is(Status::Code::kInvalidArgument)) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("declared 1000 bytes"));

  // And one that claims fewer bytes than the data holds.
  std::string small;
  wire::AppendVarint(&small, 2);
  small += std::string("\x10", 1) + "hello";
  EXPECT_FALSE(SnappyDecompress(small, 1 << 20, &out).ok());
}

TEST(SnappyBlockTest, DeclaredSizeOverLimitFailsBeforeAllocating) {
  std::string body;
  wire::AppendVarint(&body, 99999999);
  body += "\x00";
  std::string out;
  Status s = SnappyDecompress(body, kDefaultMaxDecodedBytes, &out);
  EXPECT_TRUE(s.Is(Status::Code::kResourceExhausted));
  EXPECT_EQ(s.message(), "snappy: corrupt input (decoded length 99999999 exceeds limit 33554432)");
  EXPECT_LT(out.capacity(), 1000u);
}

TEST(SnappyBlockTest, LimitIsInclusive) {
  std::string raw(100, 'a');
  std::string compressed;
  SnappyCompress(raw, &compressed);
  std::string out;
  EXPECT_TRUE(SnappyDecompress(compressed, 100, &out).ok());
  EXPECT_TRUE(SnappyDecompress(compressed, 99, &out).Is(Status::Code::kResourceExhausted));
}

TEST(SnappyBlockTest, UnreadableHeader) {
  std::string out;
  Status s = SnappyDecompress(std::string(11, '\xff'), 1 << 20, &out);
  EXPECT_TRUE(s.Is(Status::Code::kInvalidArgument));
  EXPECT_THAT(s.message(), HasSubstr("unreadable length header"));
}

TEST(SnappyBlockTest, DecompressIntoReusesLargerBuffer) {
  std::string compressed;
  SnappyCompress("abc", &compressed);
  std::string buf(1000, 'z');
  size_t n = 0;
  ASSERT_TRUE(SnappyDecompressInto(compressed, 1 << 20, &buf, &n).ok());
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(buf.size(), 1000u);
  EXPECT_EQ(buf.substr(0, 3), "abc");
}

}  // namespace
}  // namespace abhra::remote
