#include "common/http/url.h"

#include <gtest/gtest.h>

namespace abhra::http {
namespace {

TEST(PercentDecodeTest, Escapes) {
  EXPECT_EQ(*PercentDecode("a%20b", false), "a b");
  EXPECT_EQ(*PercentDecode("%7B%7d", false), "{}");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("%2B", true), "+");
  EXPECT_EQ(*PercentDecode("", true), "");
  EXPECT_EQ(*PercentDecode("%00", true), std::string(1, '\0'));
  EXPECT_EQ(*PercentDecode("%C3%A9", true), "\xC3\xA9");
}

TEST(PercentDecodeTest, BrokenEscapesAreErrors) {
  for (std::string_view bad : {"%", "%4", "abc%", "%zz", "%4g", "a%%20"}) {
    auto r = PercentDecode(bad, true);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  }
  auto r = PercentDecode("up%2", true);
  EXPECT_NE(r.status().message().find("offset 2"), std::string::npos) << r.status().ToString();
}

TEST(PercentEncodeTest, RoundTrip) {
  std::string raw = "sum(rate(x{job=~\"a|b\"}[5m])) / 2 & é";
  EXPECT_EQ(*PercentDecode(PercentEncode(raw), true), raw);
  EXPECT_EQ(*PercentDecode(PercentEncode(raw, false), false), raw);
  EXPECT_EQ(PercentEncode("a b+c"), "a+b%2Bc");
  EXPECT_EQ(PercentEncode("a b", false), "a%20b");
  EXPECT_EQ(PercentEncode("-_.~"), "-_.~");
}

TEST(ParseQueryStringTest, PairsInOrder) {
  Params p;
  ASSERT_TRUE(ParseQueryString("query=up%7Bjob%3D%22a%22%7D&time=4&match[]=a&match%5B%5D=b", &p).ok());
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(*p.Get("query"), "up{job=\"a\"}");
  EXPECT_EQ(*p.Get("time"), "4");
  EXPECT_EQ(p.GetAll("match[]"), (std::vector<std::string_view>{"a", "b"}));
}

TEST(ParseQueryStringTest, EdgeCases) {
  Params p;
  ASSERT_TRUE(ParseQueryString("&&a&b=&=c&d=1=2&e=x+y&", &p).ok());
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(*p.Get("a"), "");
  EXPECT_EQ(*p.Get("b"), "");
  EXPECT_EQ(*p.Get(""), "c");
  EXPECT_EQ(*p.Get("d"), "1=2") << "only the first '=' separates";
  EXPECT_EQ(*p.Get("e"), "x y");
  Params empty;
  ASSERT_TRUE(ParseQueryString("", &empty).ok());
  EXPECT_TRUE(empty.empty());
}

TEST(ParseQueryStringTest, BadEscapeNamesTheParameter) {
  Params p;
  Status s = ParseQueryString("ok=1&query=rate(x%ZZ)", &p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("\"query\""), std::string::npos) << s.ToString();
  Status s2 = ParseQueryString("bad%G=1", &p);
  EXPECT_NE(s2.message().find("bad%G"), std::string::npos) << s2.ToString();
}

TEST(IsFormContentTypeTest, MediaTypeOnly) {
  EXPECT_TRUE(IsFormContentType("application/x-www-form-urlencoded"));
  EXPECT_TRUE(IsFormContentType("Application/X-WWW-Form-URLEncoded; charset=UTF-8"));
  EXPECT_TRUE(IsFormContentType(" application/x-www-form-urlencoded ;"));
  EXPECT_FALSE(IsFormContentType("application/x-protobuf"));
  EXPECT_FALSE(IsFormContentType(""));
  EXPECT_FALSE(IsFormContentType("multipart/form-data"));
}

Request FormRequest(std::string method, std::string query, std::string body,
                    std::string content_type = "application/x-www-form-urlencoded") {
  Request r;
  r.method = std::move(method);
  r.raw_query = std::move(query);
  r.body = std::move(body);
  if (!content_type.empty()) r.headers.Add("Content-Type", std::move(content_type));
  return r;
}

TEST(ParseFormTest, BodyWinsAndBothAreKept) {
  auto p = ParseForm(FormRequest("POST", "query=url&start=1&match[]=u", "query=body&step=15&match[]=b"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p->Get("query"), "body");
  EXPECT_EQ(*p->Get("start"), "1");
  EXPECT_EQ(*p->Get("step"), "15");
  EXPECT_EQ(p->GetAll("query"), (std::vector<std::string_view>{"body", "url"}));
  EXPECT_EQ(p->GetAll("match[]"), (std::vector<std::string_view>{"b", "u"}));
}

TEST(ParseFormTest, BodyIgnoredWithoutFormContentTypeOrForGet) {
  auto p = ParseForm(FormRequest("POST", "a=1", "a=2", "application/x-protobuf"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 1u);
  EXPECT_EQ(*p->Get("a"), "1");
  auto g = ParseForm(FormRequest("GET", "a=1", "a=2"));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g->Get("a"), "1");
  auto none = ParseForm(FormRequest("POST", "", "a=2", ""));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParseFormTest, ErrorsSayWhere) {
  auto b = ParseForm(FormRequest("POST", "", "query=%"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("form body"), std::string::npos) << b.status().ToString();
  auto u = ParseForm(FormRequest("POST", "query=%", "a=1"));
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("URL query"), std::string::npos) << u.status().ToString();
}

}  // namespace
}  // namespace abhra::http
