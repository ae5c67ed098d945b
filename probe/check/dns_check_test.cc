// DNS checks against a fake DNS server on 127.0.0.1 (UDP) started by the test.
#include "probe/check/dns_check.h"


#include <cmath>

#include <gtest/gtest.h>

#include "probe/check/scheduler.h"
#include "probe/check/testing/fake_dns_server.h"
#include "probe/config/config_loader.h"

namespace abhra::probe {
namespace {

double Value(const CheckResult& r, std::string_view name) {
  for (const CheckSample& s : r.samples) {
    if (s.name == name && s.labels.empty()) return s.value;
  }
  return std::nan("");
}

class DnsCheckTest : public ::testing::Test {
 protected:
  CheckResult Run(const std::string& options, const std::string& timeout = "1s") {
    std::string yaml = fmt::format(
        "environment: e\ncluster: c\ntargets:\n  - {{name: d, timeout: {}, dns: {{server: "
        "\"127.0.0.1:{}\", {}}}}}\n",
        timeout, server_.port(), options);
    ConfigParseOutcome cfg = ParseConfigText(yaml, "t.yml");
    EXPECT_TRUE(cfg.errors.empty()) << ::testing::PrintToString(cfg.errors);
    Scheduler scheduler(Clock::Real(), MakeBuiltinCheck, nullptr);
    return scheduler.RunOnce(cfg.config.targets).at(0).result;
  }
  testing::FakeDnsServer server_;
};

TEST_F(DnsCheckTest, AnswerRecordsAndRegexes) {
  CheckResult r = Run("query_name: ok.test");
  EXPECT_TRUE(r.success) << r.failure_detail;
  EXPECT_EQ(Value(r, "probe_dns_answer_rrs"), 2);
  EXPECT_EQ(Value(r, "probe_dns_query_succeeded"), 1);
  EXPECT_EQ(Value(r, "probe_ip_protocol"), 4);
  EXPECT_TRUE(Run("query_name: ok.test, fail_if_none_matches: ['ok\\.test\\.\\t300\\tIN\\tA\\t192\\.0\\.2\\.2']").success);
  // fail_if_not_matches: every record must match.
  EXPECT_EQ(Run("query_name: ok.test, fail_if_not_matches: ['192\\.0\\.2\\.2$']").failure_reason,
            "dns_answer");
  EXPECT_TRUE(Run("query_name: ok.test, fail_if_not_matches: ['^ok\\.test\\.\\t']").success);
  EXPECT_EQ(Run("query_name: ok.test, fail_if_all_match: ['IN\\tA']").failure_reason, "dns_answer");
  EXPECT_TRUE(Run("query_name: ok.test, fail_if_all_match: ['192\\.0\\.2\\.1$']").success);
  CheckResult bad = Run("query_name: ok.test, fail_if_matches: ['192\\.0\\.2\\.1$']");
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.failure_reason, "dns_answer");
  EXPECT_EQ(Run("query_name: ok.test, fail_if_none_matches: ['10\\.0\\.0\\.1']").failure_reason,
            "dns_answer");
}

TEST_F(DnsCheckTest, Rcodes) {
  CheckResult nx = Run("query_name: nx.test");
  EXPECT_FALSE(nx.success);
  EXPECT_EQ(nx.failure_reason, "dns_rcode");
  EXPECT_EQ(Value(nx, "probe_dns_query_succeeded"), 1);
  EXPECT_TRUE(Run("query_name: nx.test, valid_rcodes: [NXDOMAIN]").success);
  EXPECT_EQ(Run("query_name: nx.test, valid_rcodes: [NXDOMAIN], fail_if_no_answer: true").failure_reason,
            "dns_answer");
}

TEST_F(DnsCheckTest, SoaSerial) {
  CheckResult r = Run("query_name: soa.test, query_type: SOA");
  EXPECT_TRUE(r.success) << r.failure_detail;
  EXPECT_EQ(Value(r, "probe_dns_serial"), 2024112301);
}

TEST_F(DnsCheckTest, TimeoutWhenNoAnswer) {
  CheckResult r = Run("query_name: slow.test", "200ms");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "timeout");
  EXPECT_EQ(Value(r, "probe_dns_query_succeeded"), 0);
}

TEST(DnsMessage, QueryAndMalformedAnswers) {
  std::string q;
  ASSERT_TRUE(BuildDnsQuery(0x1234, "www.example.com.", 28, &q).ok());
  EXPECT_EQ(q.size(), 12u + 17u + 4u);
  EXPECT_EQ(q.substr(12, 5), std::string("\x03www\x07", 5));
  EXPECT_FALSE(BuildDnsQuery(1, std::string(64, 'a') + ".com", 1, &q).ok());
  EXPECT_FALSE(ParseDnsResponse("short").ok());
  // A query is not a response.
  EXPECT_FALSE(ParseDnsResponse(q).ok());
  EXPECT_EQ(DnsTypeFromName("AAAA"), 28);
  EXPECT_EQ(DnsRcodeName(3), "NXDOMAIN");
}

}  // namespace
}  // namespace abhra::probe
