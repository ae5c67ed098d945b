// HTTP, TCP and TLS checks against real servers on 127.0.0.1 started by the tests.
#include <cmath>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "probe/check/scheduler.h"
#include "common/http/test_certs.h"
#include "probe/check/testing/test_http_server.h"
#include "probe/config/config_loader.h"

namespace abhra::probe {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

// Builds one target from a YAML flow map of check options, through the real config loader.
Target MakeTarget(std::string_view kind, const std::string& options,
                  const std::string& target_extra = ", timeout: 2s") {
  std::string yaml = fmt::format(
      "environment: test\ncluster: c1\ntargets:\n  - {{name: t, interval: 10s{}, "
      "{}: {{{}}}}}\n",
      target_extra, kind, options);
  ConfigParseOutcome out = ParseConfigText(yaml, "test.yml");
  EXPECT_TRUE(out.errors.empty()) << yaml << "\n" << ::testing::PrintToString(out.errors);
  if (out.config.targets.empty()) return Target{};
  return out.config.targets[0];
}

// The value of a sample, NaN when absent.
double Value(const CheckResult& r, std::string_view name, std::vector<Label> labels = {}) {
  for (const CheckSample& s : r.samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nan("");
}

class ChecksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = TestHttpServer::Start([](const TestRequest& req) {
      TestResponse r;
      const std::string& p = req.target;
      if (p == "/ok") {
        r.body = "hello ok";
        r.headers = {{"X-App-Version", "1.2.3"}, {"Server", "testsrv/2.1"},
                     {"Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"}};
      } else if (p == "/status/503") {
        r.status = 503;
        r.body = "down";
      } else if (p == "/redirect") {
        r.status = 302;
        r.headers = {{"Location", "/ok"}};
      } else if (p == "/loop") {
        r.status = 302;
        r.headers = {{"Location", "/loop"}};
      } else if (p == "/json/up") {
        r.body = R"({"status":"UP","build":{"version":"2.0.1"},"db":{"latency":12}})";
        r.headers = {{"Content-Type", "application/json"}};
      } else if (p == "/json/down") {
        r.status = 200;
        r.body = R"({"status":"DOWN"})";
      } else if (p == "/slow") {
        r.delay_ms = 5000;
      } else if (p == "/big") {
        r.body = std::string(5000, 'x');
      } else if (p == "/echo") {
        r.body = fmt::format("method={} auth={} probe={} body={}", req.method,
                             req.Header("Authorization"), req.Header("X-Probe"), req.body);
      } else {
        r.status = 404;
      }
      return r;
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // Runs one check once.
  TargetResult Run(const Target& t) {
    Scheduler scheduler(Clock::Real(), MakeBuiltinCheck, nullptr);
    auto results = scheduler.RunOnce({t});
    return results.at(0);
  }
  CheckResult Http(const std::string& path, const std::string& options = "",
                   const std::string& target_extra = ", timeout: 2s") {
    std::string opts = fmt::format("url: \"{}\"", server_->Url(path));
    if (!options.empty()) opts += ", " + options;
    return Run(MakeTarget("http", opts, target_extra)).result;
  }

  static TestHttpServer* server_;
};
TestHttpServer* ChecksTest::server_ = nullptr;

TEST_F(ChecksTest, SuccessReportsBlackboxSamples) {
  CheckResult r = Http("/ok");
  EXPECT_TRUE(r.success) << r.failure_detail;
  EXPECT_EQ(r.failure_reason, "");
  EXPECT_EQ(Value(r, "probe_http_status_code"), 200);
  EXPECT_EQ(Value(r, "probe_http_content_length"), 8);
  EXPECT_EQ(Value(r, "probe_http_uncompressed_body_length"), 8);
  EXPECT_EQ(Value(r, "probe_http_redirects"), 0);
  EXPECT_EQ(Value(r, "probe_http_ssl"), 0);
  EXPECT_EQ(Value(r, "probe_http_version"), 1.1);
  EXPECT_EQ(Value(r, "probe_ip_protocol"), 4);
  EXPECT_EQ(Value(r, "probe_failed_due_to_regex"), 0);
  EXPECT_EQ(Value(r, "probe_http_last_modified_timestamp_seconds"), 1445412480);
  for (const char* phase : {"resolve", "connect", "tls", "processing", "transfer"}) {
    double v = Value(r, "probe_http_duration_seconds", {{"phase", phase}});
    EXPECT_FALSE(std::isnan(v)) << phase;
    EXPECT_GE(v, 0) << phase;
  }
  EXPECT_EQ(Value(r, "probe_http_duration_seconds", {{"phase", "tls"}}), 0);
  EXPECT_FALSE(std::isnan(Value(r, "probe_dns_lookup_time_seconds")));
  EXPECT_TRUE(std::isnan(Value(r, "probe_ssl_earliest_cert_expiry")));
  EXPECT_GT(r.duration_seconds, 0);
}

TEST_F(ChecksTest, StatusCodes) {
  CheckResult r = Http("/status/503");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "status_code");
  EXPECT_EQ(Value(r, "probe_http_status_code"), 503);
  EXPECT_TRUE(Http("/status/503", "valid_status_codes: [5xx]").success);
  EXPECT_TRUE(Http("/status/503", "valid_status_codes: [200, 500-503]").success);
  EXPECT_FALSE(Http("/ok", "valid_status_codes: [201]").success);
  EXPECT_EQ(Http("/missing").failure_reason, "status_code");
}

TEST_F(ChecksTest, Redirects) {
  CheckResult r = Http("/redirect");
  EXPECT_TRUE(r.success) << r.failure_detail;
  EXPECT_EQ(Value(r, "probe_http_redirects"), 1);
  EXPECT_EQ(Value(r, "probe_http_status_code"), 200);

  CheckResult no_follow = Http("/redirect", "follow_redirects: false");
  EXPECT_FALSE(no_follow.success);
  EXPECT_EQ(no_follow.failure_reason, "status_code");
  EXPECT_EQ(Value(no_follow, "probe_http_status_code"), 302);
  EXPECT_TRUE(Http("/redirect", "follow_redirects: false, valid_status_codes: [302]").success);

  CheckResult loop = Http("/loop", "max_redirects: 3");
  EXPECT_FALSE(loop.success);
  EXPECT_EQ(loop.failure_reason, "redirects");
}

TEST_F(ChecksTest, BodyRegexes) {
  CheckResult r = Http("/ok", "fail_if_body_matches: [\"hel+o\"]");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "body_regex");
  EXPECT_EQ(Value(r, "probe_failed_due_to_regex"), 1);
  EXPECT_TRUE(Http("/ok", "fail_if_body_matches: [\"error\"]").success);
  EXPECT_TRUE(Http("/ok", "fail_if_body_not_matches: [\"o+k$\"]").success);
  CheckResult nm = Http("/ok", "fail_if_body_not_matches: [\"^bye\"]");
  EXPECT_EQ(nm.failure_reason, "body_regex");
  EXPECT_EQ(Value(nm, "probe_failed_due_to_regex"), 1);
}

TEST_F(ChecksTest, HeaderRegexes) {
  EXPECT_EQ(Http("/ok", "fail_if_header_matches: [{header: server, regexp: \"testsrv/2\"}]")
                .failure_reason,
            "header_regex");
  EXPECT_TRUE(Http("/ok", "fail_if_header_matches: [{header: Server, regexp: nginx}]").success);
  EXPECT_TRUE(
      Http("/ok", "fail_if_header_not_matches: [{header: X-App-Version, regexp: \"^1\\\\.\"}]")
          .success);
  EXPECT_EQ(Http("/ok", "fail_if_header_not_matches: [{header: X-Missing, regexp: x}]")
                .failure_reason,
            "header_regex");
  EXPECT_TRUE(Http("/ok", "fail_if_header_not_matches: [{header: X-Missing, regexp: x, "
                          "allow_missing: true}]")
                  .success);
}

TEST_F(ChecksTest, JsonConditionsAndVersion) {
  CheckResult up = Http("/json/up", "json_conditions: ['$.status == \"UP\"', '$.db.latency < 100'], "
                                    "version: {json_field: $.build.version}");
  EXPECT_TRUE(up.success) << up.failure_detail;
  EXPECT_EQ(up.version, "2.0.1");
  CheckResult slow_db = Http("/json/up", "json_conditions: ['$.db.latency < 10']");
  EXPECT_EQ(slow_db.failure_reason, "json_condition");
  EXPECT_THAT(slow_db.failure_detail, ::testing::HasSubstr("$.db.latency < 10"));
  EXPECT_EQ(Http("/ok", "json_conditions: ['$.status == \"UP\"']").failure_reason, "json_parse");
  EXPECT_EQ(Http("/ok", "version: {header: x-app-version}").version, "1.2.3");
}

TEST_F(ChecksTest, HealthKindDefaultsToSpringStatus) {
  auto run = [&](const std::string& path) {
    return Run(MakeTarget("health", fmt::format("url: \"{}\"", server_->Url(path)))).result;
  };
  EXPECT_TRUE(run("/json/up").success);
  CheckResult down = run("/json/down");
  EXPECT_FALSE(down.success);
  EXPECT_EQ(down.failure_reason, "json_condition");
}

TEST_F(ChecksTest, MethodHeadersBodyAndAuth) {
  EXPECT_TRUE(Http("/echo", "method: POST, body: 'ping=1', headers: {X-Probe: abc}, "
                            "bearer_token: tok, fail_if_body_not_matches: "
                            "['method=POST auth=Bearer tok probe=abc body=ping=1']")
                  .success);
  EXPECT_TRUE(Http("/echo", "method: PUT, basic_auth: {username: u, password: p}, "
                            "fail_if_body_not_matches: ['method=PUT auth=Basic dTpw ']")
                  .success);
  // HEAD: no body is read.
  CheckResult head = Http("/ok", "method: HEAD");
  EXPECT_TRUE(head.success) << head.failure_detail;
  EXPECT_EQ(Value(head, "probe_http_uncompressed_body_length"), 0);
}

TEST_F(ChecksTest, UnreadablePasswordFileIsAConfigFailure) {
  CheckResult r = Http("/ok", "basic_auth: {username: u, password_file: /nonexistent/pw}");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "config");
}

TEST_F(ChecksTest, BodySizeLimit) {
  CheckResult r = Http("/big", "body_size_limit: 1KiB");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "body_too_large");
  EXPECT_TRUE(Http("/big").success);
}

TEST_F(ChecksTest, Timeout) {
  CheckResult r = Http("/slow", "", ", timeout: 300ms");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "timeout");
}

TEST_F(ChecksTest, ConnectionRefusedAndDns) {
  auto closed = TestHttpServer::Start([](const TestRequest&) { return TestResponse{}; });
  ASSERT_TRUE(closed.ok());
  std::string url = (*closed)->Url("/");
  (*closed)->Stop();
  CheckResult refused = Run(MakeTarget("http", fmt::format("url: \"{}\"", url))).result;
  EXPECT_FALSE(refused.success);
  EXPECT_EQ(refused.failure_reason, "connect_refused") << refused.failure_detail;

  CheckResult dns = Run(MakeTarget("http", "url: \"http://no-such-host.invalid/\"")).result;
  EXPECT_FALSE(dns.success);
  EXPECT_EQ(dns.failure_reason, "dns") << dns.failure_detail;
}

TEST_F(ChecksTest, SslRequirements) {
  CheckResult r = Http("/ok", "fail_if_not_ssl: true");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_reason, "ssl_required");
  EXPECT_TRUE(Http("/ok", "fail_if_ssl: true").success);
}

TEST_F(ChecksTest, TcpConnect) {
  std::string addr = fmt::format("127.0.0.1:{}", server_->port());
  TargetResult ok = Run(MakeTarget("tcp", fmt::format("address: \"{}\"", addr)));
  EXPECT_TRUE(ok.result.success) << ok.result.failure_detail;
  EXPECT_EQ(Value(ok.result, "probe_ip_protocol"), 4);

  auto closed = TestHttpServer::Start([](const TestRequest&) { return TestResponse{}; });
  ASSERT_TRUE(closed.ok());
  int port = (*closed)->port();
  (*closed)->Stop();
  TargetResult refused =
      Run(MakeTarget("tcp", fmt::format("address: \"127.0.0.1:{}\"", port)));
  EXPECT_FALSE(refused.result.success);
  EXPECT_EQ(refused.result.failure_reason, "connect_refused");
}

TEST_F(ChecksTest, RetriesBeforeCountingAsDown) {
  TargetResult r = Run(MakeTarget(
      "http", fmt::format("url: \"{}\"", server_->Url("/status/503")), ", timeout: 1s, retries: 2"));
  EXPECT_FALSE(r.result.success);
  EXPECT_EQ(r.attempts, 3);
  TargetResult once = Run(MakeTarget("http", fmt::format("url: \"{}\"", server_->Url("/ok")), ", timeout: 1s, retries: 2"));
  EXPECT_TRUE(once.result.success);
  EXPECT_EQ(once.attempts, 1);
}

TEST_F(ChecksTest, ManyConcurrentChecksOnOneThread) {
  std::vector<Target> targets;
  for (int i = 0; i < 200; ++i) {
    Target t = MakeTarget("http", fmt::format("url: \"{}\"", server_->Url(i % 2 ? "/ok" : "/status/503")));
    t.name = fmt::format("t{}", i);
    targets.push_back(std::move(t));
  }
  Scheduler scheduler(Clock::Real(), MakeBuiltinCheck, nullptr);
  auto results = scheduler.RunOnce(targets);
  ASSERT_EQ(results.size(), 200u);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(results[i].target_name, fmt::format("t{}", i));
    EXPECT_EQ(results[i].result.success, i % 2 == 1) << i << " " << results[i].result.failure_detail;
  }
}

// ---- TLS with a chain made in the test ----

class TlsChecksTest : public ChecksTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/abhra_tls_" + std::to_string(::getpid()));
    auto certs = http::MakeTestCerts(*dir_, 365, 30, "DNS:probe.test");
    ASSERT_TRUE(certs.ok()) << certs.status().ToString();
    certs_ = new http::TestCerts(*certs);
    auto handler = [](const TestRequest& req) {
      TestResponse r;
      r.body = req.target == "/json" ? R"({"status":"UP"})" : "secure hello";
      return r;
    };
    auto s = TestHttpServer::Start(handler, testing::TestTlsOptions{certs_->server_chain,
                                                                    certs_->server_key, ""});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    tls_server_ = std::move(s).value().release();
    auto m = TestHttpServer::Start(handler, testing::TestTlsOptions{certs_->server_chain,
                                                                    certs_->server_key,
                                                                    certs_->ca_cert});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    mtls_server_ = std::move(m).value().release();
  }
  static void TearDownTestSuite() {
    delete tls_server_;
    delete mtls_server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete certs_;
  }
  CheckResult Https(TestHttpServer* server, const std::string& tls_options,
                    const std::string& more = "") {
    std::string opts = fmt::format("url: \"{}\", tls: {{{}}}", server->Url("/"), tls_options);
    if (!more.empty()) opts += ", " + more;
    return Run(MakeTarget("http", opts)).result;
  }

  static std::string* dir_;
  static http::TestCerts* certs_;
  static TestHttpServer* tls_server_;
  static TestHttpServer* mtls_server_;
};
std::string* TlsChecksTest::dir_ = nullptr;
http::TestCerts* TlsChecksTest::certs_ = nullptr;
TestHttpServer* TlsChecksTest::tls_server_ = nullptr;
TestHttpServer* TlsChecksTest::mtls_server_ = nullptr;

TEST_F(TlsChecksTest, VerifiedWithCaAndServerName) {
  CheckResult r = Https(tls_server_, fmt::format("ca_file: {}, server_name: probe.test", certs_->ca_cert));
  ASSERT_TRUE(r.success) << r.failure_reason << ": " << r.failure_detail;
  EXPECT_EQ(Value(r, "probe_http_ssl"), 1);
  auto leaf_expiry = http::CertNotAfter(certs_->server_cert);
  ASSERT_TRUE(leaf_expiry.ok());
  // The leaf (30 days) expires before the CA (365 days): the earliest of the chain.
  EXPECT_EQ(Value(r, "probe_ssl_earliest_cert_expiry"), *leaf_expiry);
  EXPECT_EQ(Value(r, "probe_tls_version_info", {{"version", "TLS 1.3"}}), 1);
  EXPECT_GT(Value(r, "probe_http_duration_seconds", {{"phase", "tls"}}), 0);
  EXPECT_EQ(r.failure_reason, "");
}

TEST_F(TlsChecksTest, FailuresAndInsecureToggle) {
  // Unknown CA.
  CheckResult no_ca = Https(tls_server_, "server_name: probe.test");
  EXPECT_FALSE(no_ca.success);
  EXPECT_EQ(no_ca.failure_reason, "tls") << no_ca.failure_detail;
  // Right CA, wrong name (the certificate only names probe.test).
  CheckResult wrong_name = Https(tls_server_, fmt::format("ca_file: {}", certs_->ca_cert));
  EXPECT_FALSE(wrong_name.success);
  EXPECT_EQ(wrong_name.failure_reason, "tls") << wrong_name.failure_detail;
  // insecure_skip_verify accepts both, and still reports the chain.
  CheckResult insecure = Https(tls_server_, "insecure_skip_verify: true");
  EXPECT_TRUE(insecure.success) << insecure.failure_detail;
  EXPECT_EQ(Value(insecure, "probe_ssl_earliest_cert_expiry"),
            *http::CertNotAfter(certs_->server_cert));
  CheckResult forbidden = Https(tls_server_, "insecure_skip_verify: true", "fail_if_ssl: true");
  EXPECT_EQ(forbidden.failure_reason, "ssl_forbidden");
  EXPECT_TRUE(Https(tls_server_, "insecure_skip_verify: true", "fail_if_not_ssl: true").success);
}

TEST_F(TlsChecksTest, ClientCertificate) {
  std::string base = fmt::format("ca_file: {}, server_name: probe.test", certs_->ca_cert);
  CheckResult with_cert = Https(mtls_server_, fmt::format("{}, cert_file: {}, key_file: {}", base,
                                                          certs_->client_cert, certs_->client_key));
  EXPECT_TRUE(with_cert.success) << with_cert.failure_reason << ": " << with_cert.failure_detail;
  CheckResult without = Https(mtls_server_, base);
  EXPECT_FALSE(without.success);
}

TEST_F(TlsChecksTest, TcpWithTls) {
  TargetResult r = Run(MakeTarget(
      "tcp", fmt::format("address: \"127.0.0.1:{}\", tls: true, tls_config: {{ca_file: {}, "
                         "insecure_skip_verify: true}}",
                         tls_server_->port(), certs_->ca_cert)));
  EXPECT_TRUE(r.result.success) << r.result.failure_detail;
  EXPECT_EQ(Value(r.result, "probe_ssl_earliest_cert_expiry"),
            *http::CertNotAfter(certs_->server_cert));
}

}  // namespace
}  // namespace abhra::probe
