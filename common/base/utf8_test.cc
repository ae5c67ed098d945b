#include "common/base/utf8.h"

#include <gtest/gtest.h>

namespace abhra {
namespace {

TEST(Utf8Test, Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));                  // truncated
  EXPECT_FALSE(IsValidUtf8("abcdefgh\x80"));          // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));              // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));          // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));      // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Utf8Test, Length) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("caf\xc3\xa9 \xf0\x9f\x98\x80"), 6u);
}

}  // namespace
}  // namespace abhra
