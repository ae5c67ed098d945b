// Side by side with the real blackbox_exporter: the same targets, the same options; the
// probe's probe_success, status code, redirects, TLS facts and regex verdicts must agree.
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "probe/check/scheduler.h"
#include "probe/check/testing/fake_dns_server.h"
#include "common/http/test_certs.h"
#include "probe/check/testing/test_http_server.h"
#include "probe/config/config_loader.h"
#include "probe/integration/blackbox_process.h"
#include "probe/scrape/scrape_check.h"

namespace abhra::probe {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

TestResponse Handle(const TestRequest& req) {
  TestResponse r;
  const std::string& p = req.target;
  if (p == "/ok") {
    r.body = "hello ok";
    r.headers = {{"Server", "testsrv/2.1"}};
  } else if (p == "/status/503") {
    r.status = 503;
  } else if (p == "/redirect") {
    r.status = 302;
    r.headers = {{"Location", "/ok"}};
  } else if (p == "/slow") {
    r.delay_ms = 3000;
  } else if (p == "/echo") {
    r.body = fmt::format("method={} auth={} body={}", req.method, req.Header("Authorization"), req.body);
  } else {
    r.status = 404;
  }
  return r;
}

struct Case {
  std::string name;
  std::string blackbox_module;  // YAML flow map of the module
  std::string kind;             // http | tcp
  std::string our_options;      // YAML flow map entries (without url/address)
  std::string target;           // URL or host:port; {plain}/{tls} are replaced
  std::string our_target_extra = ", timeout: 2s";
};

class BlackboxCompareTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(testing::kBlackboxBinary, X_OK) != 0) return;
    dir_ = new std::string(::testing::TempDir() + "/abhra_bbcmp_" + std::to_string(::getpid()));
    std::filesystem::create_directories(*dir_);
    auto certs = http::MakeTestCerts(*dir_ + "/pki", 365, 20, "DNS:probe.test");
    ASSERT_TRUE(certs.ok()) << certs.status().ToString();
    certs_ = new http::TestCerts(*certs);
    plain_ = TestHttpServer::Start(Handle).value().release();
    tls_ = TestHttpServer::Start(Handle, testing::TestTlsOptions{certs_->server_chain,
                                                                 certs_->server_key, ""})
               .value()
               .release();
    dns_ = new testing::FakeDnsServer();
    auto closed = TestHttpServer::Start(Handle);
    closed_port_ = (*closed)->port();
    (*closed)->Stop();
  }
  static void TearDownTestSuite() {
    delete plain_;
    delete tls_;
    delete dns_;
    if (dir_) std::filesystem::remove_all(*dir_);
    delete dir_;
    delete certs_;
  }
  void SetUp() override {
    if (::access(testing::kBlackboxBinary, X_OK) != 0) GTEST_SKIP() << "blackbox_exporter not installed";
  }

  std::string Expand(std::string s) const {
    auto replace = [&](const std::string& from, const std::string& to) {
      for (size_t pos; (pos = s.find(from)) != std::string::npos;) s.replace(pos, from.size(), to);
    };
    replace("{plain}", fmt::format("127.0.0.1:{}", plain_->port()));
    replace("{tls}", fmt::format("127.0.0.1:{}", tls_->port()));
    replace("{closed}", fmt::format("127.0.0.1:{}", closed_port_));
    replace("{dns}", fmt::format("127.0.0.1:{}", dns_->port()));
    replace("{ca}", certs_->ca_cert);
    return s;
  }

  static std::string* dir_;
  static http::TestCerts* certs_;
  static TestHttpServer* plain_;
  static TestHttpServer* tls_;
  static testing::FakeDnsServer* dns_;
  static int closed_port_;
};
std::string* BlackboxCompareTest::dir_ = nullptr;
http::TestCerts* BlackboxCompareTest::certs_ = nullptr;
TestHttpServer* BlackboxCompareTest::plain_ = nullptr;
TestHttpServer* BlackboxCompareTest::tls_ = nullptr;
int BlackboxCompareTest::closed_port_ = 0;
testing::FakeDnsServer* BlackboxCompareTest::dns_ = nullptr;

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"ok", "{prober: http, timeout: 2s}", "http", "", "http://{plain}/ok"},
      {"status_503", "{prober: http, timeout: 2s}", "http", "", "http://{plain}/status/503"},
      {"not_found", "{prober: http, timeout: 2s}", "http", "", "http://{plain}/missing"},
      {"redirect_followed", "{prober: http, timeout: 2s}", "http", "", "http://{plain}/redirect"},
      {"redirect_not_followed", "{prober: http, timeout: 2s, http: {follow_redirects: false}}",
       "http", "follow_redirects: false", "http://{plain}/redirect"},
      {"valid_503", "{prober: http, timeout: 2s, http: {valid_status_codes: [503]}}", "http",
       "valid_status_codes: [503]", "http://{plain}/status/503"},
      {"body_matches", "{prober: http, timeout: 2s, http: {fail_if_body_matches_regexp: ['hel+o']}}",
       "http", "fail_if_body_matches: ['hel+o']", "http://{plain}/ok"},
      {"body_not_matches",
       "{prober: http, timeout: 2s, http: {fail_if_body_not_matches_regexp: ['^bye']}}", "http",
       "fail_if_body_not_matches: ['^bye']", "http://{plain}/ok"},
      {"body_not_matches_ok",
       "{prober: http, timeout: 2s, http: {fail_if_body_not_matches_regexp: ['o+k$']}}", "http",
       "fail_if_body_not_matches: ['o+k$']", "http://{plain}/ok"},
      {"header_matches",
       "{prober: http, timeout: 2s, http: {fail_if_header_matches: [{header: Server, regexp: testsrv}]}}",
       "http", "fail_if_header_matches: [{header: Server, regexp: testsrv}]", "http://{plain}/ok"},
      {"header_missing_allowed",
       "{prober: http, timeout: 2s, http: {fail_if_header_not_matches: [{header: X-Missing, regexp: x, allow_missing: true}]}}",
       "http", "fail_if_header_not_matches: [{header: X-Missing, regexp: x, allow_missing: true}]",
       "http://{plain}/ok"},
      {"header_missing",
       "{prober: http, timeout: 2s, http: {fail_if_header_not_matches: [{header: X-Missing, regexp: x}]}}",
       "http", "fail_if_header_not_matches: [{header: X-Missing, regexp: x}]", "http://{plain}/ok"},
      {"post_body",
       "{prober: http, timeout: 2s, http: {method: POST, body: 'a=1', fail_if_body_not_matches_regexp: ['method=POST .*body=a=1']}}",
       "http", "method: POST, body: 'a=1', fail_if_body_not_matches: ['method=POST .*body=a=1']",
       "http://{plain}/echo"},
      {"basic_auth",
       "{prober: http, timeout: 2s, http: {basic_auth: {username: u, password: p}, fail_if_body_not_matches_regexp: ['auth=Basic dTpw']}}",
       "http", "basic_auth: {username: u, password: p}, fail_if_body_not_matches: ['auth=Basic dTpw']",
       "http://{plain}/echo"},
      {"timeout", "{prober: http, timeout: 1s}", "http", "", "http://{plain}/slow", ", timeout: 1s"},
      {"refused", "{prober: http, timeout: 2s}", "http", "", "http://{closed}/"},
      {"dns", "{prober: http, timeout: 2s, http: {preferred_ip_protocol: ip4}}", "http", "",
       "http://no-such-host.invalid/"},
      {"not_ssl", "{prober: http, timeout: 2s, http: {fail_if_not_ssl: true}}", "http",
       "fail_if_not_ssl: true", "http://{plain}/ok"},
      {"tls_verified",
       "{prober: http, timeout: 2s, http: {tls_config: {ca_file: '{ca}', server_name: probe.test}}}",
       "http", "tls: {ca_file: '{ca}', server_name: probe.test}", "https://{tls}/ok"},
      {"tls_unknown_ca", "{prober: http, timeout: 2s, http: {tls_config: {server_name: probe.test}}}",
       "http", "tls: {server_name: probe.test}", "https://{tls}/ok"},
      {"tls_wrong_name", "{prober: http, timeout: 2s, http: {tls_config: {ca_file: '{ca}'}}}", "http",
       "tls: {ca_file: '{ca}'}", "https://{tls}/ok"},
      {"tls_insecure", "{prober: http, timeout: 2s, http: {tls_config: {insecure_skip_verify: true}}}",
       "http", "tls: {insecure_skip_verify: true}", "https://{tls}/ok"},
      {"tls_fail_if_ssl",
       "{prober: http, timeout: 2s, http: {fail_if_ssl: true, tls_config: {insecure_skip_verify: true}}}",
       "http", "fail_if_ssl: true, tls: {insecure_skip_verify: true}", "https://{tls}/ok"},
      {"tcp_ok", "{prober: tcp, timeout: 2s}", "tcp", "", "{plain}"},
      {"tcp_refused", "{prober: tcp, timeout: 2s}", "tcp", "", "{closed}"},
      {"tcp_tls",
       "{prober: tcp, timeout: 2s, tcp: {tls: true, tls_config: {ca_file: '{ca}', server_name: probe.test}}}",
       "tcp", "tls: true, tls_config: {insecure_skip_verify: true}", "{tls}"},
      {"dns_ok",
       "{prober: dns, timeout: 2s, dns: {query_name: ok.test, query_type: A, preferred_ip_protocol: ip4, "
       "validate_answer_rrs: {fail_if_none_matches_regexp: ['ok\\.test\\.\\t300\\tIN\\tA\\t192\\.0\\.2\\.2']}}}",
       "dns", "query_name: ok.test, query_type: A, fail_if_none_matches: ['ok\\.test\\.\\t300\\tIN\\tA\\t192\\.0\\.2\\.2']",
       "{dns}"},
      {"dns_not_all_match",
       "{prober: dns, timeout: 2s, dns: {query_name: ok.test, preferred_ip_protocol: ip4, "
       "validate_answer_rrs: {fail_if_not_matches_regexp: ['192\\.0\\.2\\.2$']}}}",
       "dns", "query_name: ok.test, fail_if_not_matches: ['192\\.0\\.2\\.2$']", "{dns}"},
      // No fail_if_all_match case: blackbox_exporter 0.23 fails that one when NOT all records
      // match (the opposite of its documentation); the probe follows the documentation.
      {"dns_answer_rejected",
       "{prober: dns, timeout: 2s, dns: {query_name: ok.test, preferred_ip_protocol: ip4, "
       "validate_answer_rrs: {fail_if_matches_regexp: ['192\\.0\\.2\\.1$']}}}",
       "dns", "query_name: ok.test, fail_if_matches: ['192\\.0\\.2\\.1$']", "{dns}"},
      {"dns_nxdomain", "{prober: dns, timeout: 2s, dns: {query_name: nx.test, preferred_ip_protocol: ip4}}",
       "dns", "query_name: nx.test", "{dns}"},
      {"dns_nxdomain_valid",
       "{prober: dns, timeout: 2s, dns: {query_name: nx.test, valid_rcodes: [NXDOMAIN], preferred_ip_protocol: ip4}}",
       "dns", "query_name: nx.test, valid_rcodes: [NXDOMAIN]", "{dns}"},
      {"dns_soa", "{prober: dns, timeout: 2s, dns: {query_name: soa.test, query_type: SOA, preferred_ip_protocol: ip4}}",
       "dns", "query_name: soa.test, query_type: SOA", "{dns}"},
      {"dns_timeout", "{prober: dns, timeout: 1s, dns: {query_name: slow.test, preferred_ip_protocol: ip4}}",
       "dns", "query_name: slow.test", "{dns}", ", timeout: 1s"},
  };
  return cases;
}

double Ours(const CheckResult& r, std::string_view name) {
  for (const CheckSample& s : r.samples) {
    if (s.name == name && s.labels.empty()) return s.value;
  }
  return std::nan("");
}

TEST_F(BlackboxCompareTest, SameVerdictsAsBlackboxExporter) {
  std::string modules = "modules:\n";
  for (const Case& c : Cases()) modules += fmt::format("  {}: {}\n", c.name, Expand(c.blackbox_module));
  auto blackbox = testing::BlackboxProcess::Start(*dir_, modules);
  ASSERT_TRUE(blackbox.ok()) << blackbox.status().ToString();

  std::string targets;
  for (const Case& c : Cases()) {
    std::string where = c.kind == "tcp"   ? fmt::format("address: \"{}\"", Expand(c.target))
                        : c.kind == "dns" ? fmt::format("server: \"{}\"", Expand(c.target))
                                          : fmt::format("url: \"{}\"", Expand(c.target));
    std::string opts = c.our_options.empty() ? where : where + ", " + Expand(c.our_options);
    targets += fmt::format("  - {{name: {}, interval: 10s{}, {}: {{{}}}}}\n", c.name,
                           c.our_target_extra, c.kind, opts);
  }
  ConfigParseOutcome cfg = ParseConfigText("environment: t\ncluster: c\ntargets:\n" + targets, "cmp.yml");
  ASSERT_TRUE(cfg.errors.empty()) << ::testing::PrintToString(cfg.errors);
  Scheduler scheduler(Clock::Real(), MakeProbeCheck, nullptr);
  std::vector<TargetResult> ours = scheduler.RunOnce(cfg.config.targets);

  int compared = 0;
  for (size_t i = 0; i < Cases().size(); ++i) {
    const Case& c = Cases()[i];
    SCOPED_TRACE(c.name);
    auto theirs = (*blackbox)->Probe(c.name, Expand(c.target));
    ASSERT_TRUE(theirs.ok()) << theirs.status().ToString();
    const CheckResult& r = ours[i].result;
    ASSERT_TRUE(theirs->count("probe_success"));
    EXPECT_EQ(r.success ? 1 : 0, theirs->at("probe_success"))
        << "ours: " << r.failure_reason << " " << r.failure_detail;
    for (const char* metric : {"probe_http_status_code", "probe_http_redirects", "probe_http_ssl",
                               "probe_failed_due_to_regex", "probe_ssl_earliest_cert_expiry",
                               "probe_http_content_length", "probe_ip_protocol",
                               "probe_dns_answer_rrs", "probe_dns_authority_rrs",
                               "probe_dns_additional_rrs", "probe_dns_serial",
                               "probe_dns_query_succeeded"}) {
      auto it = theirs->find(metric);
      double mine = Ours(r, metric);
      if (it == theirs->end() || std::isnan(mine)) continue;
      EXPECT_EQ(mine, it->second) << metric;
    }
    if (r.success && theirs->count("probe_tls_version_info{version=\"TLS 1.3\"}")) {
      bool found = false;
      for (const CheckSample& s : r.samples) {
        found |= s.name == "probe_tls_version_info" && s.labels.size() == 1 && s.labels[0].value == "TLS 1.3";
      }
      EXPECT_TRUE(found);
    }
    ++compared;
  }
  EXPECT_EQ(compared, static_cast<int>(Cases().size()));
}

}  // namespace
}  // namespace abhra::probe
