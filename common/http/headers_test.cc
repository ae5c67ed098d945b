#include "common/http/headers.h"

#include <gtest/gtest.h>

namespace abhra::http {
namespace {

TEST(HeadersTest, LookupIgnoresCase) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  EXPECT_EQ(*h.Get("content-type"), "text/plain");
  EXPECT_EQ(*h.Get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(h.Get("Content-Length"), nullptr);
  EXPECT_EQ(h.GetOr("X-Missing", "dflt"), "dflt");
}

TEST(HeadersTest, AddKeepsRepeatsSetReplaces) {
  Headers h;
  h.Add("Vary", "a");
  h.Add("vary", "b");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(*h.Get("Vary"), "a");
  h.Set("VARY", "c");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(*h.Get("vary"), "c");
  h.Remove("vary");
  EXPECT_TRUE(h.empty());
}

TEST(ParamsTest, FirstValueAndAllValues) {
  Params p;
  p.Add("match[]", "up");
  p.Add("query", "x");
  p.Add("match[]", "down");
  EXPECT_EQ(*p.Get("match[]"), "up");
  EXPECT_EQ(p.GetAll("match[]"), (std::vector<std::string_view>{"up", "down"}));
  EXPECT_EQ(p.Get("Query"), nullptr) << "parameter names are case-sensitive";
  EXPECT_TRUE(p.GetAll("none").empty());
}

TEST(EqualsIgnoreCaseTest, Basics) {
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_TRUE(EqualsIgnoreCase("aBc", "AbC"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(EqualsIgnoreCase("a-c", "a_c"));
}

}  // namespace
}  // namespace abhra::http
