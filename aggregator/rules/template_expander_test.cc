#include "aggregator/rules/template_expander.h"

#include <cmath>

#include <gtest/gtest.h>

namespace abhra::rules {
namespace {

std::string Expand(std::string_view text, double value = 0.5) {
  Labels labels{{"instance", "a:80"}, {"service", "web"}};
  Labels external{{"cluster", "eu1"}};
  auto r = ExpandTemplate(text, {&labels, &external, value, "http://agg:9090"});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : "";
}

TEST(TemplateExpanderTest, LabelsValueAndExternal) {
  EXPECT_EQ(Expand("{{ $labels.service }} on {{$labels.instance}} is {{ $value }}"),
            "web on a:80 is 0.5");
  EXPECT_EQ(Expand("{{ .Labels.service }}/{{ .Value }}"), "web/0.5");
  EXPECT_EQ(Expand("{{ $externalLabels.cluster }} {{ $externalURL }}"), "eu1 http://agg:9090");
  EXPECT_EQ(Expand("missing=[{{ $labels.nope }}]"), "missing=[]");
  EXPECT_EQ(Expand("no templates here"), "no templates here");
  EXPECT_EQ(Expand("a {{- $labels.service -}} b"), "awebb");
}

TEST(TemplateExpanderTest, Functions) {
  EXPECT_EQ(Expand("{{ $value | humanizePercentage }}", 0.0512), "5.12%");
  EXPECT_EQ(Expand("{{ $value | humanize }}", 1234567), "1.235M");
  EXPECT_EQ(Expand("{{ $value | humanizeDuration }}", 90061), "1d 1h 1m 1s");
  EXPECT_EQ(Expand("{{ printf \"%.2f\" $value }}", 3.14159), "3.14");
  EXPECT_EQ(Expand("{{ $value | printf \"%.1f%%\" }}", 99.44), "99.4%");
  EXPECT_EQ(Expand("{{ $labels.service | toUpper }}"), "WEB");
}

TEST(TemplateExpanderTest, PrometheusHumanizeFormats) {
  EXPECT_EQ(Humanize(0), "0");
  EXPECT_EQ(Humanize(1000), "1k");
  EXPECT_EQ(Humanize(0.001234), "1.234m");
  EXPECT_EQ(Humanize(12.5), "12.5");
  EXPECT_EQ(Humanize1024(2048), "2ki");
  EXPECT_EQ(HumanizeDuration(0), "0s");
  EXPECT_EQ(HumanizeDuration(1.5), "1.5s");
  EXPECT_EQ(HumanizeDuration(0.0025), "2.5ms");
  EXPECT_EQ(HumanizeDuration(3600), "1h 0m 0s");
  EXPECT_EQ(HumanizeDuration(-61), "-1m 1s");
  EXPECT_EQ(HumanizePercentage(1), "100%");
  EXPECT_EQ(Humanize(NAN), "NaN");
}

TEST(TemplateExpanderTest, GoFloatFormat) {
  EXPECT_EQ(FormatGoFloat(0.5), "0.5");
  EXPECT_EQ(FormatGoFloat(100000), "100000");
  EXPECT_EQ(FormatGoFloat(1e6), "1e+06");
  EXPECT_EQ(FormatGoFloat(1234567), "1.234567e+06");
  EXPECT_EQ(FormatGoFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatGoFloat(0.00001), "1e-05");
  EXPECT_EQ(FormatGoFloat(INFINITY), "+Inf");
  EXPECT_EQ(FormatGoFloat(0), "0");
}

TEST(TemplateExpanderTest, RejectsWhatItDoesNotSupport) {
  EXPECT_FALSE(CheckTemplate("{{ if $value }}x{{ end }}").ok());
  EXPECT_FALSE(CheckTemplate("{{ $value | frobnicate }}").ok());
  EXPECT_FALSE(CheckTemplate("{{ $foo }}").ok());
  EXPECT_FALSE(CheckTemplate("{{ $labels.service ").ok());
  EXPECT_FALSE(CheckTemplate("{{ \"unterminated }}").ok());
  EXPECT_FALSE(CheckTemplate("{{ }}").ok());
  EXPECT_TRUE(CheckTemplate("{{ $value | humanize }} {{ printf \"%d\" 3 }}").ok());
  Labels labels;
  auto r = ExpandTemplate("{{ $labels.x | humanize }}", {&labels, nullptr, 1, ""});
  ASSERT_FALSE(r.ok());  // "" is not a number
  EXPECT_NE(r.status().message().find("cannot convert"), std::string::npos);
  EXPECT_NE(CheckTemplate("{{ index $labels \"x\" }}").message().find("index"), std::string::npos);
}

}  // namespace
}  // namespace abhra::rules
