#include "common/base/status.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace abhra {
namespace {

Result<int> ParsePositive(int x) {
  if (x <= 0) return Status::InvalidArgument(fmt::format("value {} must be positive", x));
  return x;
}

Result<int> Doubled(int x) {
  ABHRA_ASSIGN_OR_RETURN(int v, ParsePositive(x));
  return v * 2;
}

Status Check(int x) {
  ABHRA_RETURN_IF_ERROR(ParsePositive(x).status());
  return Status::Ok();
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = Status::Corruption("bad crc in segment 3");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.Is(Status::Code::kCorruption));
  EXPECT_EQ(s.ToString(), "Corruption: bad crc in segment 3");
  EXPECT_EQ(s.WithContext("wal").message(), "wal: bad crc in segment 3");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(StatusTest, FromErrno) {
  Status s = Status::FromErrno("open /x", ENOENT);
  EXPECT_TRUE(s.Is(Status::Code::kIOError));
  EXPECT_EQ(s.message(), "open /x: No such file or directory");
}

TEST(ResultTest, ValueAndError) {
  auto good = Doubled(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 8);
  auto bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "value -1 must be positive");
  EXPECT_EQ(bad.value_or(7), 7);
  EXPECT_TRUE(Check(1).ok());
  EXPECT_EQ(Check(0).code(), Status::Code::kInvalidArgument);
}

TEST(ResultTest, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

}  // namespace
}  // namespace abhra
