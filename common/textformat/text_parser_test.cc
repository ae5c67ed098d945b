#include "common/textformat/text_parser.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace abhra::textformat {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  Status status;
  std::vector<ParsedSample> samples;
  std::vector<MetricFamilyInfo> families;
};

Parsed Parse(std::string_view body, Format format = Format::kPrometheus) {
  Parsed p;
  p.status = ParseTextFormat(body, format, &p.samples, &p.families);
  return p;
}

Parsed ParseOM(std::string_view body) { return Parse(body, Format::kOpenMetrics); }

std::string ErrorOf(std::string_view body, Format format = Format::kPrometheus) {
  Parsed p = Parse(body, format);
  EXPECT_FALSE(p.status.ok()) << "accepted: " << body;
  EXPECT_TRUE(p.status.ok() || p.status.Is(Status::Code::kInvalidArgument));
  return p.status.message();
}

std::string ErrorOfOM(std::string_view body) { return ErrorOf(body, Format::kOpenMetrics); }

TEST(ContentTypeTest, PicksFormat) {
  EXPECT_EQ(FormatFromContentType("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            Format::kOpenMetrics);
  EXPECT_EQ(FormatFromContentType("application/openmetrics-text;version=0.0.1"),
            Format::kOpenMetrics);
  EXPECT_EQ(FormatFromContentType(" Application/OpenMetrics-Text "), Format::kOpenMetrics);
  EXPECT_EQ(FormatFromContentType("text/plain; version=0.0.4; charset=utf-8"),
            Format::kPrometheus);
  EXPECT_EQ(FormatFromContentType(""), Format::kPrometheus);
  EXPECT_EQ(FormatFromContentType("application/json"), Format::kPrometheus);
  EXPECT_EQ(FormatFromContentType("application/openmetrics-textx"), Format::kPrometheus);
}

TEST(TextParserTest, BasicSamplesAndMetadata) {
  Parsed p = Parse(
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
      "\n"
      "# A free comment\n"
      "  # indented comment\n"
      "metric_without_timestamp_and_labels 12.47\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.samples.size(), 3u);
  EXPECT_EQ(p.samples[0].labels.ToString(), "http_requests_total{code=\"200\", method=\"post\"}");
  EXPECT_EQ(p.samples[0].value, 1027);
  EXPECT_EQ(p.samples[0].timestamp_ms, 1395066363000);
  EXPECT_EQ(p.samples[1].value, 3);
  EXPECT_EQ(p.samples[2].labels.MetricName(), "metric_without_timestamp_and_labels");
  EXPECT_EQ(p.samples[2].labels.size(), 1u);
  EXPECT_FALSE(p.samples[2].timestamp_ms.has_value());
  ASSERT_EQ(p.families.size(), 1u);
  EXPECT_EQ(p.families[0].name, "http_requests_total");
  EXPECT_EQ(p.families[0].type, MetricType::kCounter);
  EXPECT_EQ(p.families[0].help, "The total number of HTTP requests.");
}

TEST(TextParserTest, HelpEscapes) {
  Parsed p = Parse("# HELP m A \\\\ backslash,\\na newline and a \"quote\".\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.families[0].help, "A \\ backslash,\na newline and a \"quote\".");
  EXPECT_EQ(ErrorOf("# HELP m bad \\t escape\n"),
            "line 1, column 14: invalid escape sequence '\\t'");
  EXPECT_EQ(ErrorOf("# HELP m ends with \\"), "line 1, column 20: unfinished escape sequence at the end of the line");
  // \" is only an escape in OpenMetrics help.
  EXPECT_THAT(ErrorOf("# HELP m say \\\"hi\\\"\n"), HasSubstr("invalid escape sequence '\\\"'"));
  Parsed om = ParseOM("# HELP m say \\\"hi\\\"\n# EOF\n");
  ASSERT_TRUE(om.status.ok()) << om.status.ToString();
  EXPECT_EQ(om.families[0].help, "say \"hi\"");
}

TEST(TextParserTest, LabelValueEscapes) {
  Parsed p = Parse("m{path=\"C:\\\\dir\",msg=\"say \\\"hi\\\"\\nbye\"} 1\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.samples[0].labels.Get("path"), "C:\\dir");
  EXPECT_EQ(p.samples[0].labels.Get("msg"), "say \"hi\"\nbye");
  EXPECT_EQ(ErrorOf("m{a=\"\\x\"} 1\n"), "line 1, column 6: invalid escape sequence '\\x'");
  EXPECT_EQ(ErrorOf("m{a=\"open} 1\n"), "line 1, column 5: unterminated value of label \"a\"");
}

TEST(TextParserTest, SpecialValues) {
  Parsed p = Parse("a NaN\nb +Inf\nc -Inf\nd Inf\ne 1.5e-3\nf -0\ng 1E6\nh nan\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.samples.size(), 8u);
  EXPECT_TRUE(std::isnan(p.samples[0].value));
  EXPECT_EQ(p.samples[1].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(p.samples[2].value, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(p.samples[3].value, std::numeric_limits<double>::infinity());
  EXPECT_EQ(p.samples[4].value, 0.0015);
  EXPECT_TRUE(std::signbit(p.samples[5].value));
  EXPECT_EQ(p.samples[6].value, 1e6);
  EXPECT_TRUE(std::isnan(p.samples[7].value));
  EXPECT_EQ(ErrorOf("m 0x1A\n"), "line 1, column 3: invalid value \"0x1A\"");
  EXPECT_EQ(ErrorOf("m 1_000\n"), "line 1, column 3: invalid value \"1_000\"");
  EXPECT_EQ(ErrorOf("m\n"), "line 1, column 2: expected a value after \"m\", got end of line");
}

TEST(TextParserTest, Timestamps) {
  Parsed p = Parse("a 1 -1500\nb 2 +7\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.samples[0].timestamp_ms, -1500);
  EXPECT_EQ(p.samples[1].timestamp_ms, 7);
  EXPECT_EQ(ErrorOf("m 1 1.5\n"),
            "line 1, column 5: invalid timestamp \"1.5\": want integer milliseconds");
  EXPECT_EQ(ErrorOf("m 1 2 3\n"), "line 1, column 7: unexpected '3' after the sample");
}

TEST(TextParserTest, MissingTrailingNewlineTolerated) {
  Parsed p = Parse("# TYPE m gauge\nm 1\nn{a=\"b\"} 2 123");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.samples.size(), 2u);
  EXPECT_EQ(p.samples[1].timestamp_ms, 123);
  EXPECT_TRUE(Parse("").status.ok());
  EXPECT_TRUE(Parse("\n\n").status.ok());
}

TEST(TextParserTest, LabelSetForms) {
  Parsed p = Parse(
      "a{} 1\n"
      "b{x=\"1\",} 2\n"
      "c { x = \"1\" , y=\"\" } 3\n"
      "d{x=\"1\"}4\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.samples.size(), 4u);
  EXPECT_EQ(p.samples[0].labels.size(), 1u);
  EXPECT_EQ(p.samples[1].labels.Get("x"), "1");
  EXPECT_EQ(p.samples[2].labels.size(), 3u);  // empty values are kept as exposed
  EXPECT_EQ(p.samples[3].value, 4);
}

TEST(TextParserTest, LabelErrorsHaveLineAndColumn) {
  EXPECT_EQ(ErrorOf("ok 1\nok 2\nup{instance=\"a\",job\"x\"} 1\n"),
            "line 3, column 20: expected '=' after label name \"job\", got '\"'");
  EXPECT_EQ(ErrorOf("m{a=\"1\",a=\"2\"} 1\n"), "line 1, column 9: duplicate label name \"a\"");
  EXPECT_EQ(ErrorOf("m{1a=\"x\"} 1\n"), "line 1, column 3: expected a label name or '}', got '1'");
  EXPECT_EQ(ErrorOf("m{a-b=\"x\"} 1\n"),
            "line 1, column 4: expected '=' after label name \"a\", got '-'");
  EXPECT_EQ(ErrorOf("m{a=x} 1\n"),
            "line 1, column 5: expected '\"' to start the value of label \"a\", got 'x'");
  EXPECT_EQ(ErrorOf("m{a=\"x\" b=\"y\"} 1\n"),
            "line 1, column 9: expected ',' or '}' after the value of label \"a\", got 'b'");
  EXPECT_EQ(ErrorOf("m{__name__=\"x\"} 1\n"),
            "line 1, column 3: label name \"__name__\" is reserved");
  EXPECT_EQ(ErrorOf("m{a=\"1\"\n"),
            "line 1, column 8: expected ',' or '}' after the value of label \"a\", got end of line");
  EXPECT_EQ(ErrorOf("m{,} 1\n"), "line 1, column 3: expected a label name or '}', got ','");
}

TEST(TextParserTest, MetricNameErrors) {
  EXPECT_EQ(ErrorOf("1m 1\n"), "line 1, column 1: expected a metric name, got '1'");
  EXPECT_EQ(ErrorOf("m-x 1\n"), "line 1, column 2: invalid character '-' in metric name");
  EXPECT_EQ(ErrorOf("m.x 1\n"), "line 1, column 2: invalid character '.' in metric name");
  EXPECT_EQ(ErrorOf("{a=\"b\"} 1\n"), "line 1, column 1: expected a metric name, got '{'");
  EXPECT_TRUE(Parse("ns:sub_system:metric 1\n_x 2\n").status.ok());
  EXPECT_EQ(ErrorOf("# TYPE 1x counter\n"),
            "line 1, column 8: expected a metric name after # TYPE, got '1'");
}

TEST(TextParserTest, InvalidUtf8Rejected) {
  EXPECT_EQ(ErrorOf("m{a=\"\xff\"} 1\n"), "line 1, column 5: value of label \"a\" is not valid UTF-8");
  Parsed p = Parse("m{a=\"caf\xc3\xa9\"} 1\n");
  ASSERT_TRUE(p.status.ok());
  EXPECT_EQ(p.samples[0].labels.Get("a"), "caf\xc3\xa9");
}

TEST(TextParserTest, TypeRules) {
  EXPECT_EQ(ErrorOf("# TYPE m gauge\n# TYPE m counter\n"),
            "line 2, column 8: second TYPE line for \"m\"");
  EXPECT_EQ(ErrorOf("# HELP m a\n# HELP m b\n"), "line 2, column 8: second HELP line for \"m\"");
  EXPECT_EQ(ErrorOf("m 1\n# TYPE m gauge\n"), "line 2, column 8: TYPE line for \"m\" after its samples");
  EXPECT_THAT(ErrorOf("h_bucket{le=\"1\"} 1\n# TYPE h histogram\n"), HasSubstr("after its samples"));
  EXPECT_EQ(ErrorOf("# TYPE m info\n"),
            "line 1, column 10: unknown metric type \"info\"; want counter, gauge, histogram, "
            "summary or untyped");
  EXPECT_THAT(ErrorOf("# TYPE m Counter\n"), HasSubstr("unknown metric type \"Counter\""));
  Parsed p = Parse("# TYPE a untyped\n# TYPE b summary  \n# TYPE c histogram\n#TYPE d gauge\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.families.size(), 4u);
  EXPECT_EQ(p.families[0].type, MetricType::kUnknown);
  EXPECT_EQ(p.families[1].type, MetricType::kSummary);
  EXPECT_EQ(p.families[2].type, MetricType::kHistogram);
  EXPECT_EQ(p.families[3].type, MetricType::kGauge);
  // Metadata is optional for the caller.
  std::vector<ParsedSample> samples;
  EXPECT_TRUE(ParseTextFormat("# TYPE m gauge\nm 1\n", Format::kPrometheus, &samples, nullptr).ok());
  EXPECT_EQ(samples.size(), 1u);
}

TEST(TextParserTest, CarriageReturnIsAnError) {
  EXPECT_EQ(ErrorOf("m 1\r\n"), "line 1, column 4: unexpected carriage return after the sample");
}

TEST(TextParserTest, NodeExporterStyleBody) {
  const char* body = R"EOS(# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.4869e-05
go_gc_duration_seconds{quantile="0.25"} 3.6219e-05
go_gc_duration_seconds{quantile="0.5"} 4.4e-05
go_gc_duration_seconds{quantile="0.75"} 5.9171e-05
go_gc_duration_seconds{quantile="1"} 0.000866375
go_gc_duration_seconds_sum 0.213734918
go_gc_duration_seconds_count 3802
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 1.29585604e+06
node_cpu_seconds_total{cpu="0",mode="iowait"} 5421.18
node_cpu_seconds_total{cpu="0",mode="system"} 11022.95
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/nvme0n1p2",fstype="ext4",mountpoint="/"} 3.1662010368e+11
node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 3.3445888e+09
# HELP node_network_receive_bytes_total Network device statistic receive_bytes.
# TYPE node_network_receive_bytes_total counter
node_network_receive_bytes_total{device="lo"} 1.234567e+08
# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.
# TYPE node_scrape_collector_success gauge
node_scrape_collector_success{collector="arp"} 1
node_scrape_collector_success{collector="thermal_zone"} 0
# HELP prometheus_http_request_duration_seconds Histogram of latencies for HTTP requests.
# TYPE prometheus_http_request_duration_seconds histogram
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="0.1"} 131
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="0.2"} 131
prometheus_http_request_duration_seconds_bucket{handler="/metrics",le="+Inf"} 131
prometheus_http_request_duration_seconds_sum{handler="/metrics"} 0.6523
prometheus_http_request_duration_seconds_count{handler="/metrics"} 131
# HELP node_time_seconds System time in seconds since epoch (1970).
# TYPE node_time_seconds gauge
node_time_seconds 1.7006e+09
# HELP node_uname_info Labeled system information as provided by the uname system call.
# TYPE node_uname_info gauge
node_uname_info{domainname="(none)",machine="x86_64",nodename="host-1",release="6.1.0-13-amd64",sysname="Linux",version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"} 1
)EOS";
  Parsed p = Parse(body);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.samples.size(), 22u);
  EXPECT_EQ(p.families.size(), 8u);
  EXPECT_EQ(p.samples[6].labels.MetricName(), "go_gc_duration_seconds_count");
  EXPECT_EQ(p.samples[6].labels.size(), 1u);
  EXPECT_EQ(p.samples[6].value, 3802);
  EXPECT_EQ(p.samples[17].labels.Get("le"), "+Inf");
  EXPECT_EQ(p.samples.back().labels.Get("version"),
            "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)");
  EXPECT_EQ(p.families[5].type, MetricType::kHistogram);
}

// ---- OpenMetrics ----

TEST(OpenMetricsTest, FullExample) {
  Parsed p = ParseOM(
      "# TYPE acme_http_router_request_seconds summary\n"
      "# UNIT acme_http_router_request_seconds seconds\n"
      "# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.\n"
      "acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32\n"
      "acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0\n"
      "acme_http_router_request_seconds_created{path=\"/api/v1\",method=\"GET\"} 1605281325.0\n"
      "# TYPE go_goroutines gauge\n"
      "go_goroutines 69 1520879607.789\n"
      "# TYPE foo counter\n"
      "foo_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67\n"
      "foo_created 1520872607.123\n"
      "# TYPE hist histogram\n"
      "hist_bucket{le=\"0.5\"} 3 # {trace_id=\"x\"} 0.4 1520879607.7\n"
      "hist_bucket{le=\"+Inf\"} 5\n"
      "# TYPE s stateset\n"
      "s{s=\"a\"} 1\n"
      "# TYPE i info\n"
      "i_info{version=\"1.0\"} 1\n"
      "# TYPE gh gaugehistogram\n"
      "gh_gcount 2\n"
      "# TYPE u unknown\n"
      "u 1\n"
      "# EOF\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.samples.size(), 12u);
  EXPECT_EQ(p.samples[2].labels.MetricName(), "acme_http_router_request_seconds_created");
  EXPECT_EQ(p.samples[3].timestamp_ms, 1520879607789);
  EXPECT_EQ(p.samples[4].labels.MetricName(), "foo_total");
  ASSERT_TRUE(p.samples[4].exemplar.has_value());
  EXPECT_EQ(p.samples[4].exemplar->labels.Get("trace_id"), "KOO5S4vxi0o");
  EXPECT_EQ(p.samples[4].exemplar->value, 0.67);
  EXPECT_FALSE(p.samples[4].exemplar->timestamp_ms.has_value());
  EXPECT_EQ(p.samples[5].labels.MetricName(), "foo_created");
  EXPECT_EQ(p.samples[6].exemplar->timestamp_ms, 1520879607700);
  EXPECT_FALSE(p.samples[7].exemplar.has_value());
  ASSERT_EQ(p.families.size(), 8u);
  EXPECT_EQ(p.families[0].unit, "seconds");
  EXPECT_EQ(p.families[0].type, MetricType::kSummary);
  EXPECT_EQ(p.families[0].help, "Latency though all of ACME's HTTP request router.");
  EXPECT_EQ(p.families[2].type, MetricType::kCounter);
  EXPECT_EQ(p.families[4].type, MetricType::kStateset);
  EXPECT_EQ(p.families[5].type, MetricType::kInfo);
  EXPECT_EQ(p.families[6].type, MetricType::kGaugeHistogram);
  EXPECT_EQ(p.families[7].type, MetricType::kUnknown);
}

TEST(OpenMetricsTest, EofRules) {
  EXPECT_TRUE(ParseOM("# EOF\n").status.ok());
  EXPECT_TRUE(ParseOM("m 1\n# EOF").status.ok());
  EXPECT_EQ(ErrorOfOM("m 1\n"),
            "line 2, column 1: missing \"# EOF\" at the end of an OpenMetrics body");
  EXPECT_EQ(ErrorOfOM(""), "line 1, column 1: missing \"# EOF\" at the end of an OpenMetrics body");
  EXPECT_EQ(ErrorOfOM("# EOF\nm 1\n"), "line 2, column 1: unexpected content after # EOF");
  EXPECT_EQ(ErrorOfOM("# EOF\n\n"), "line 2, column 1: unexpected content after # EOF");
  EXPECT_EQ(ErrorOfOM("m 1"), "line 1, column 4: line does not end with a newline");
}

TEST(OpenMetricsTest, StrictWhitespaceAndComments) {
  EXPECT_EQ(ErrorOfOM("m  1\n# EOF\n"),
            "line 1, column 3: expected exactly one space before the value");
  EXPECT_EQ(ErrorOfOM("m\t1\n# EOF\n"), "line 1, column 2: expected a space before the value, got tab");
  EXPECT_EQ(ErrorOfOM(" m 1\n# EOF\n"),
            "line 1, column 1: leading whitespace (not allowed in OpenMetrics)");
  EXPECT_EQ(ErrorOfOM("m 1\n\n# EOF\n"), "line 2, column 1: empty line (not allowed in OpenMetrics)");
  EXPECT_EQ(ErrorOfOM("# hello\n# EOF\n"),
            "line 1, column 1: unknown comment: OpenMetrics allows only # HELP, # TYPE, # UNIT "
            "and # EOF");
  EXPECT_EQ(ErrorOfOM("m{a = \"b\"} 1\n# EOF\n"),
            "line 1, column 4: expected '=' after label name \"a\", got ' '");
  EXPECT_EQ(ErrorOfOM("m 1 \n# EOF\n"), "line 1, column 5: unexpected trailing space");
  EXPECT_EQ(ErrorOfOM("m{a=\"b\"}1\n# EOF\n"),
            "line 1, column 9: expected a space before the value, got '1'");
}

TEST(OpenMetricsTest, TypesAndUnits) {
  EXPECT_THAT(ErrorOfOM("# TYPE m untyped\n# EOF\n"), HasSubstr("unknown metric type \"untyped\""));
  EXPECT_EQ(ErrorOfOM("# UNIT m_seconds bytes\n# EOF\n"),
            "line 1, column 18: unit \"bytes\" is not a suffix of metric name \"m_seconds\"");
  EXPECT_THAT(ErrorOfOM("# UNIT seconds seconds\n# EOF\n"), HasSubstr("is not a suffix"));
  EXPECT_EQ(ErrorOfOM("# TYPE foo counter\nfoo_total 1\n# TYPE foo counter\n# EOF\n"),
            "line 3, column 8: second TYPE line for \"foo\"");
  EXPECT_EQ(ErrorOfOM("foo_total 1\n# TYPE foo counter\n# EOF\n"),
            "line 2, column 8: TYPE line for \"foo\" after its samples");
  EXPECT_EQ(ErrorOfOM("# UNIT m_s s\n# UNIT m_s s\n# EOF\n"),
            "line 2, column 8: second UNIT line for \"m_s\"");
  Parsed p = ParseOM("# UNIT m_seconds \n# HELP m_seconds\n# EOF\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.families[0].unit, "");
  EXPECT_EQ(p.families[0].help, "");
}

TEST(OpenMetricsTest, TimestampsAreFloatSeconds) {
  Parsed p = ParseOM("a 1 1.5\nb 1 -2\nc 1 1e3\n# EOF\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.samples[0].timestamp_ms, 1500);
  EXPECT_EQ(p.samples[1].timestamp_ms, -2000);
  EXPECT_EQ(p.samples[2].timestamp_ms, 1000000);
  EXPECT_EQ(ErrorOfOM("m 1 NaN\n# EOF\n"),
            "line 1, column 5: invalid timestamp \"NaN\": want seconds as a finite float");
}

TEST(OpenMetricsTest, ExemplarErrors) {
  EXPECT_EQ(ErrorOfOM("m_total 1 # trace 1\n# EOF\n"),
            "line 1, column 13: expected '{' to start the exemplar labels, got 't'");
  EXPECT_EQ(ErrorOfOM("m_total 1 # {a=\"b\"}\n# EOF\n"),
            "line 1, column 20: expected a space before the exemplar value, got end of line");
  EXPECT_THAT(ErrorOfOM("m_total 1 # {a=\"b\"} x\n# EOF\n"), HasSubstr("invalid exemplar value \"x\""));
  std::string long_value(130, 'v');
  EXPECT_THAT(ErrorOfOM("m_total 1 # {a=\"" + long_value + "\"} 1\n# EOF\n"),
              HasSubstr("exemplar labels have 131 characters, limit 128"));
  Parsed p = ParseOM("m_total 1 123 # {} 2 3\n# EOF\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.samples[0].timestamp_ms, 123000);
  EXPECT_EQ(p.samples[0].exemplar->value, 2);
  EXPECT_EQ(p.samples[0].exemplar->timestamp_ms, 3000);
  // In text 0.0.4 a '#' after the value is not an exemplar.
  EXPECT_THAT(ErrorOf("m_total 1 # {a=\"b\"} 1\n"), HasSubstr("invalid timestamp \"#\""));
}

TEST(OpenMetricsTest, LabelsAsInText) {
  Parsed p = ParseOM("m{} 1\nn{a=\"x\\\"y\",b=\"\\n\",} 2\n# EOF\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.samples[1].labels.Get("a"), "x\"y");
  EXPECT_EQ(p.samples[1].labels.Get("b"), "\n");
  EXPECT_EQ(ErrorOfOM("m{a=\"1\",a=\"1\"} 1\n# EOF\n"), "line 1, column 9: duplicate label name \"a\"");
}

}  // namespace
}  // namespace abhra::textformat

namespace abhra::textformat {
namespace {

// Random bodies drawn from the characters that matter to the grammar: the parser must
// either accept or return InvalidArgument with a position, never crash or read out of
// bounds (run under ABHRA_SANITIZE=ON for teeth).
TEST(TextParserFuzzTest, RandomBodiesNeverCrash) {
  const std::string alphabet = "ab_:{}=\",# \t\n\\1.e+-NaInfHELPTYPEUNITEOF\xc3\xa9\xff\r";
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const char* seeds[] = {"# HELP m x\n# TYPE m gauge\nm{a=\"b\"} 1 2\n",
                         "# TYPE m_total counter\nm_total 1 # {t=\"x\"} 1 2\n# EOF\n"};
  for (int i = 0; i < 20000; ++i) {
    std::string body = seeds[i % 2];
    int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = next() % (body.size() + 1);
      char c = alphabet[next() % alphabet.size()];
      switch (next() % 3) {
        case 0: body.insert(pos, 1, c); break;
        case 1: if (pos < body.size()) body[pos] = c; break;
        case 2: if (pos < body.size()) body.erase(pos, 1); break;
      }
    }
    for (Format f : {Format::kPrometheus, Format::kOpenMetrics}) {
      std::vector<ParsedSample> samples;
      std::vector<MetricFamilyInfo> families;
      Status s = ParseTextFormat(body, f, &samples, &families);
      if (!s.ok()) {
        ASSERT_TRUE(s.Is(Status::Code::kInvalidArgument)) << s.ToString();
        ASSERT_EQ(s.message().rfind("line ", 0), 0u) << s.message();
      }
    }
  }
}

}  // namespace
}  // namespace abhra::textformat
