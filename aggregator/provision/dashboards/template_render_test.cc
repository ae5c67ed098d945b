#include "aggregator/provision/dashboards/template_render.h"

#include <gtest/gtest.h>

namespace abhra::provision {
namespace {

TEST(UidSuffixTest, MatchesTheReferenceRenderer) {
  // Values printed by `dashboards/render.sh --uid-suffix ENV [VERSION]`.
  EXPECT_EQ(UidSuffix("abhra-env-", {"prod"}), "prod-6754af96");
  EXPECT_EQ(UidSuffix("abhra-ver-", {"prod", "1.4.2"}), "prod-1-4-2-84b45b18");
  EXPECT_EQ(UidSuffix("abhra-ver-", {"eu-west-1-production-canary-environment",
                                     "v10.20.30+meta.with.plus"}),
            "eu-west-1-production-307a76f3");
  EXPECT_EQ(UidSuffix("abhra-ver-", {"Prod_EU", "1.0"}), "prod-eu-1-0-22d1192f");
  EXPECT_EQ(UidSuffix("abhra-env-", {"\xc3\xbcmlaut-env"}), "mlaut-env-6fcdaf8d");
  EXPECT_EQ(UidSuffix("abhra-ver-", {"---", "!!!"}), "f0a7bcf9");
}

TEST(UidSuffixTest, NeverLongerThanGrafanaAllows) {
  std::string long_env(200, 'a');
  for (std::string prefix : {"abhra-env-", "abhra-ver-", "x-"}) {
    std::string uid = prefix + UidSuffix(prefix, {long_env, "1.2.3"});
    EXPECT_LE(uid.size(), kMaxUidLength) << uid;
  }
  // Names that differ only after the cut still get different uids through the hash.
  EXPECT_NE(UidSuffix("abhra-env-", {long_env + "x"}), UidSuffix("abhra-env-", {long_env + "y"}));
}

TEST(EscapeJsonStringPythonStyleTest, AsJsonDumps) {
  EXPECT_EQ(EscapeJsonStringPythonStyle("plain-1.2"), "plain-1.2");
  EXPECT_EQ(EscapeJsonStringPythonStyle("a\"b\\c/d"), "a\\\"b\\\\c/d");
  EXPECT_EQ(EscapeJsonStringPythonStyle("\n\r\t\b\f\x01\x7f"), "\\n\\r\\t\\b\\f\\u0001\\u007f");
  EXPECT_EQ(EscapeJsonStringPythonStyle("\xc3\xbc"), "\\u00fc");
  EXPECT_EQ(EscapeJsonStringPythonStyle("\xf0\x9f\x98\x80"), "\\ud83d\\ude00");
  EXPECT_EQ(EscapeJsonStringPythonStyle("\xff"), "\\ufffd");
  EXPECT_EQ(EscapeJsonStringPythonStyle("<script>"), "<script>");
}

TEST(RenderTemplateTextTest, ReplacesPlaceholdersOnly) {
  auto r = RenderTemplateText(R"({"a":"${env}-$env-${uid_suffix}","b":"$__range"} tail ${ open)",
                              {{"env", "pr\"od"}, {"uid_suffix", "x"}}, "t.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, R"({"a":"pr\"od-$env-x","b":"$__range"} tail ${ open)");
}

TEST(RenderTemplateTextTest, RejectsUnknownAndMalformedPlaceholders) {
  auto missing = RenderTemplateText("{\n\"a\": \"${version}\"}", {{"env", "prod"}}, "t.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "t.json:2: no value for placeholder ${version}");
  auto bad = RenderTemplateText("\"${Env}\"", {{"Env", "prod"}}, "t.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "t.json:1: malformed placeholder ${Env}");
}

}  // namespace
}  // namespace abhra::provision
