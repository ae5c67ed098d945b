// DNS checks against a fake DNS server on 127.0.0.1 (UDP) started by the test.
#include "probe/check/dns_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "probe/check/scheduler.h"
#include "probe/config/config_loader.h"

namespace abhra::probe {
namespace {

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xff));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v & 0xffff));
}

// Answers: ok.test A 192.0.2.1 and 192.0.2.2; soa.test SOA serial 2024112301; nx.test
// NXDOMAIN; slow.test never.
class FakeDnsServer {
 public:
  FakeDnsServer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeDnsServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[512];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) continue;
      std::string q(buf, static_cast<size_t>(n));
      // The question name as text.
      std::string name;
      for (size_t i = 12; i < q.size() && q[i] != 0; i += static_cast<size_t>(q[i]) + 1) {
        name += q.substr(i + 1, static_cast<size_t>(q[i])) + ".";
      }
      if (name == "slow.test.") continue;
      std::string r = q.substr(0, 2);
      uint16_t rcode = name == "nx.test." ? 3 : 0;
      Put16(&r, static_cast<uint16_t>(0x8180 | rcode));  // QR RD RA
      Put16(&r, 1);
      uint16_t answers = name == "ok.test." ? 2 : name == "soa.test." ? 1 : 0;
      Put16(&r, answers);
      Put16(&r, 0);
      Put16(&r, 0);
      r += q.substr(12);  // the question
      if (name == "ok.test.") {
        for (int last : {1, 2}) {
          Put16(&r, 0xC00C);
          Put16(&r, 1);
          Put16(&r, 1);
          Put32(&r, 300);
          Put16(&r, 4);
          r += std::string{char(192), char(0), char(2), static_cast<char>(last)};
        }
      } else if (name == "soa.test.") {
        Put16(&r, 0xC00C);
        Put16(&r, 6);
        Put16(&r, 1);
        Put32(&r, 60);
        std::string rdata;
        rdata += std::string("\x02ns\xC0\x0C", 5);  // ns.soa.test.
        rdata += std::string("\x05" "admin" "\xC0\x0C", 8);
        Put32(&rdata, 2024112301);
        for (int i = 0; i < 4; ++i) Put32(&rdata, 3600);
        Put16(&r, static_cast<uint16_t>(rdata.size()));
        r += rdata;
      }
      ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

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
  FakeDnsServer server_;
};

TEST_F(DnsCheckTest, AnswerRecordsAndRegexes) {
  CheckResult r = Run("query_name: ok.test");
  EXPECT_TRUE(r.success) << r.failure_detail;
  EXPECT_EQ(Value(r, "probe_dns_answer_rrs"), 2);
  EXPECT_EQ(Value(r, "probe_dns_query_succeeded"), 1);
  EXPECT_EQ(Value(r, "probe_ip_protocol"), 4);
  EXPECT_TRUE(Run("query_name: ok.test, fail_if_not_matches: ['ok\\.test\\.\\t300\\tIN\\tA\\t192\\.0\\.2\\.2']").success);
  CheckResult bad = Run("query_name: ok.test, fail_if_matches: ['192\\.0\\.2\\.1$']");
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.failure_reason, "dns_answer");
  EXPECT_EQ(Run("query_name: ok.test, fail_if_not_matches: ['10\\.0\\.0\\.1']").failure_reason,
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
