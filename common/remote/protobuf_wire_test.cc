#include "common/remote/protobuf_wire.h"

#include <limits>

#include <gtest/gtest.h>

namespace abhra::remote::wire {
namespace {

TEST(ProtobufWireTest, VarintRoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383},
                     uint64_t{16384}, uint64_t{1} << 35, std::numeric_limits<uint64_t>::max(),
                     static_cast<uint64_t>(int64_t{-1})}) {
    std::string s;
    AppendVarint(&s, v);
    EXPECT_EQ(s.size(), VarintSize(v));
    const char* p = s.data();
    uint64_t got = 0;
    ASSERT_EQ(ReadVarint(&p, s.data() + s.size(), &got), VarintResult::kOk);
    EXPECT_EQ(got, v);
    EXPECT_EQ(p, s.data() + s.size());
  }
}

TEST(ProtobufWireTest, VarintTruncatedAndTooLong) {
  std::string s;
  AppendVarint(&s, 1u << 20);
  for (size_t n = 0; n < s.size(); ++n) {
    const char* p = s.data();
    uint64_t v;
    EXPECT_EQ(ReadVarint(&p, s.data() + n, &v), VarintResult::kTruncated) << n;
    EXPECT_EQ(p, s.data());
  }
  std::string eleven(10, '\x80');
  eleven += '\x01';
  const char* p = eleven.data();
  uint64_t v;
  EXPECT_EQ(ReadVarint(&p, eleven.data() + eleven.size(), &v), VarintResult::kTooLong);
  std::string tenth_too_big(9, '\xff');
  tenth_too_big += '\x02';
  p = tenth_too_big.data();
  EXPECT_EQ(ReadVarint(&p, p + tenth_too_big.size(), &v), VarintResult::kTooLong);
}

TEST(ProtobufWireTest, IsAscii) {
  EXPECT_TRUE(IsAscii("", 0));
  std::string s(37, 'a');
  EXPECT_TRUE(IsAscii(s.data(), s.size()));
  for (size_t i = 0; i < s.size(); ++i) {
    std::string t = s;
    t[i] = '\x80';
    EXPECT_FALSE(IsAscii(t.data(), t.size())) << i;
    EXPECT_TRUE(IsAscii(t.data(), i)) << i;
  }
}

}  // namespace
}  // namespace abhra::remote::wire
