#include "common/remote/protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace abhra::remote {
namespace {

using ::testing::HasSubstr;

TEST(ProtocolTest, ContentTypes) {
  auto v = [](std::string_view ct) {
    Result<ProtocolVersion> r = ProtocolFromContentType(ct);
    EXPECT_TRUE(r.ok()) << ct << ": " << r.status().ToString();
    return r.ok() ? *r : ProtocolVersion::kV1;
  };
  EXPECT_EQ(v(""), ProtocolVersion::kV1);
  EXPECT_EQ(v("application/x-protobuf"), ProtocolVersion::kV1);
  EXPECT_EQ(v("Application/X-Protobuf ; charset=utf-8"), ProtocolVersion::kV1);
  EXPECT_EQ(v("application/x-protobuf;proto=prometheus.WriteRequest"), ProtocolVersion::kV1);
  EXPECT_EQ(v(kContentTypeV2), ProtocolVersion::kV2);
  EXPECT_EQ(v("application/x-protobuf; PROTO = \"io.prometheus.write.v2.Request\""),
            ProtocolVersion::kV2);
}

TEST(ProtocolTest, RejectedContentTypes) {
  Result<ProtocolVersion> r = ProtocolFromContentType("application/json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "unsupported Content-Type \"application/json\": want application/x-protobuf");
  r = ProtocolFromContentType("application/x-protobuf;proto=io.prometheus.write.v3.Request");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("unsupported remote-write proto"));
  EXPECT_FALSE(ProtocolFromContentType(";proto=prometheus.WriteRequest").ok());
}

TEST(ProtocolTest, ContentEncoding) {
  EXPECT_TRUE(CheckContentEncoding("snappy").ok());
  EXPECT_TRUE(CheckContentEncoding("Snappy").ok());
  EXPECT_TRUE(CheckContentEncoding("").ok());
  Status s = CheckContentEncoding("gzip");
  EXPECT_EQ(s.message(), "unsupported Content-Encoding \"gzip\": want snappy");
}

}  // namespace
}  // namespace abhra::remote
