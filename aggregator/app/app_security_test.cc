// The aggregator's security behaviour end to end, in-process: which token opens which
// endpoint, the admin API switch, that no token ever reaches the log, and that label values
// and alert texts pushed by anyone who may write cannot inject markup into the status page.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "aggregator/app/aggregator_app.h"
#include "common/base/clock.h"
#include "common/base/log_capture.h"
#include "common/http/test_client.h"
#include "common/remote/write_request_encoder.h"

namespace abhra::aggregator {
namespace {

constexpr const char* kTenantToken = "tenant-tok-Hx81q";
constexpr const char* kReadToken = "read-tok-Zr52m";
constexpr const char* kAdminToken = "admin-tok-Pq07c";
constexpr const char* kWebhookToken = "hook-tok-Wt44e";

http::Headers Bearer(const std::string& token) {
  http::Headers h;
  h.Add("Authorization", "Bearer " + token);
  return h;
}

std::string RemoteWriteBody(const std::vector<std::pair<Labels, double>>& series, int64_t t_ms) {
  std::vector<remote::TimeSeries> ts;
  for (const auto& [labels, value] : series) {
    remote::TimeSeries s;
    s.labels = labels;
    s.samples = {{t_ms - 30'000, value}, {t_ms, value}};
    ts.push_back(std::move(s));
  }
  std::string body;
  remote::EncodeWriteRequest(ts, {}, &body);
  return body;
}

http::Headers RemoteWriteHeaders(const std::string& token = "") {
  http::Headers h;
  h.Add("Content-Encoding", "snappy");
  h.Add("Content-Type", "application/x-protobuf");
  h.Add("X-Prometheus-Remote-Write-Version", "0.1.0");
  if (!token.empty()) h.Add("Authorization", "Bearer " + token);
  return h;
}

class AppSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/abhra_app_security_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content << "\n";
    return path;
  }

  AggregatorOptions Options() {
    AggregatorOptions o;
    o.data_dir = dir_ + "/data";
    o.http.listen = "127.0.0.1:0";
    o.http.handler_threads = 2;
    return o;
  }

  AggregatorOptions GuardedOptions() {
    AggregatorOptions o = Options();
    o.config.tenants = {{"prod", kTenantToken, std::nullopt}};
    o.config.auth.read_token_file = WriteFile("read.token", kReadToken);
    o.config.auth.admin_token_file = WriteFile("admin.token", kAdminToken);
    o.config.auth.webhook_token_file = WriteFile("webhook.token", kWebhookToken);
    o.enable_admin_api = true;
    return o;
  }

  static int Status(uint16_t port, std::string_view method, std::string_view target,
                    const http::Headers& headers = {}, std::string_view body = {}) {
    auto r = http::Fetch(port, method, target, body, headers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : -1;
  }

  std::string dir_;
};

TEST_F(AppSecurityTest, EachTokenOpensItsOwnEndpointsOnly) {
  LogCapture logs;
  auto app = AggregatorApp::Start(GuardedOptions());
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  uint16_t port = (*app)->port();
  const auto read = Bearer(kReadToken), admin = Bearer(kAdminToken), tenant = Bearer(kTenantToken),
             hook = Bearer(kWebhookToken);

  // Health and readiness never need a token.
  EXPECT_EQ(Status(port, "GET", "/-/healthy"), 200);
  EXPECT_EQ(Status(port, "GET", "/-/ready"), 200);

  // Reads: the query API, metadata, rules, the status page, /metrics.
  for (const char* target : {"/api/v1/query?query=1", "/api/v1/labels", "/api/v1/rules",
                             "/api/v1/alerts", "/api/v1/status/buildinfo", "/api/v1/status/page",
                             "/api/v1/incidents", "/", "/metrics", "/api/v1/nonexistent"}) {
    auto anonymous = http::Fetch(port, "GET", target);
    ASSERT_TRUE(anonymous.ok());
    EXPECT_EQ(anonymous->status, 401) << target;
    EXPECT_EQ(anonymous->headers.GetOr("WWW-Authenticate"), R"(Bearer realm="abhra")") << target;
    EXPECT_EQ(Status(port, "GET", target, tenant), 403) << "write token reads " << target;
    EXPECT_EQ(Status(port, "GET", target, admin), 403) << target;
    EXPECT_EQ(Status(port, "GET", target, hook), 403) << target;
  }
  for (const char* target : {"/api/v1/query?query=1", "/api/v1/labels", "/api/v1/rules", "/",
                             "/metrics", "/api/v1/status/page"}) {
    EXPECT_EQ(Status(port, "GET", target, read), 200) << target;
  }

  // Writes: only the tenant's token.
  std::string body = RemoteWriteBody({{Labels({{"__name__", "up"}, {"env", "prod"}}), 1}},
                                     Clock::Real().NowMillis());
  EXPECT_EQ(Status(port, "POST", "/api/v1/write", RemoteWriteHeaders(), body), 401);
  EXPECT_EQ(Status(port, "POST", "/api/v1/write", RemoteWriteHeaders(kReadToken), body), 401)
      << "the read token cannot write";
  EXPECT_EQ(Status(port, "POST", "/api/v1/write", RemoteWriteHeaders(kAdminToken), body), 401);
  EXPECT_EQ(Status(port, "POST", "/api/v1/write", RemoteWriteHeaders(kTenantToken), body), 204);

  // Admin: only the admin token.
  EXPECT_EQ(Status(port, "POST", "/api/v1/admin/flush"), 401);
  EXPECT_EQ(Status(port, "POST", "/api/v1/admin/flush", read), 403) << "read token admins";
  EXPECT_EQ(Status(port, "POST", "/api/v1/admin/flush", tenant), 403);
  EXPECT_EQ(Status(port, "POST", "/api/v1/admin/flush", admin), 200);
  EXPECT_EQ(Status(port, "POST", "/api/v1/admin/compact", admin), 200);

  // The Alertmanager webhook: only its token.
  const std::string alert =
      R"({"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A","env":"prod"},)"
      R"("annotations":{"summary":"s"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"f1"}]})";
  EXPECT_EQ(Status(port, "POST", "/api/v1/alertmanager/webhook", read, alert), 403);
  EXPECT_EQ(Status(port, "POST", "/api/v1/alertmanager/webhook", {}, alert), 401);
  EXPECT_EQ(Status(port, "POST", "/api/v1/alertmanager/webhook", hook, alert), 200);

  (*app)->Stop();
  std::string text = logs.text();
  EXPECT_NE(text.find("request refused"), std::string::npos) << "refusals are logged";
  EXPECT_NE(text.find("tokens_required=read,admin,webhook"), std::string::npos) << text;
  for (const char* token : {kTenantToken, kReadToken, kAdminToken, kWebhookToken}) {
    EXPECT_EQ(text.find(token), std::string::npos) << token << " leaked into the log:\n" << text;
  }
}

TEST_F(AppSecurityTest, AdminApiIsOffByDefaultAndSaysSoLikePrometheus) {
  auto app = AggregatorApp::Start(Options());
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  for (const char* target : {"/api/v1/admin/flush", "/api/v1/admin/compact"}) {
    auto r = http::Fetch((*app)->port(), "POST", target);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 500) << target;
    EXPECT_EQ(r->body,
              R"({"status":"error","errorType":"unavailable","error":"admin APIs disabled"})");
  }
  EXPECT_EQ(Status((*app)->port(), "GET", "/api/v1/query?query=1"), 200) << "reads open";
}

TEST_F(AppSecurityTest, AuthConfigurationErrorsStopTheStartWithoutShowingTokens) {
  LogCapture logs;
  AggregatorOptions no_admin_token = GuardedOptions();
  no_admin_token.config.auth.admin_token_file.clear();
  auto a = AggregatorApp::Start(no_admin_token);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("needs auth.admin_token_file"), std::string::npos)
      << a.status().message();

  AggregatorOptions missing = GuardedOptions();
  missing.config.auth.read_token_file = dir_ + "/absent.token";
  auto b = AggregatorApp::Start(missing);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("absent.token"), std::string::npos) << b.status().message();

  AggregatorOptions bad_cert = Options();
  bad_cert.http.tls_cert_file = WriteFile("not-a-cert.pem", "not a certificate");
  bad_cert.http.tls_key_file = WriteFile("not-a-key.pem", "not a key");
  auto d = AggregatorApp::Start(bad_cert);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("not-a-cert.pem"), std::string::npos)
      << d.status().message();

  AggregatorOptions shared = GuardedOptions();
  shared.config.auth.read_token_file = WriteFile("shared.token", kTenantToken);
  auto c = AggregatorApp::Start(shared);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tenant \"prod\""), std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find(kTenantToken), std::string::npos) << c.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/data/wal")) << "refused before storage opens";
  for (const char* token : {kTenantToken, kReadToken, kAdminToken, kWebhookToken}) {
    EXPECT_EQ(logs.text().find(token), std::string::npos) << token;
  }
}

TEST_F(AppSecurityTest, StatusPageEscapesInjectedLabelsAndAlertTexts) {
  const std::string script = "<script>alert(1)</script>";
  const std::string img = "\"><img src=x onerror=alert(2)>";
  auto app = AggregatorApp::Start(Options());
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  uint16_t port = (*app)->port();

  // A probe's series whose labels carry markup, pushed over remote-write.
  int64_t now = Clock::Real().NowMillis();
  auto probe = [&](const std::string& env, const std::string& service, const std::string& name) {
    return Labels({{"__name__", name},
                   {"env", env},
                   {"service", service},
                   {"job", "abhra-probe"},
                   {"instance", img},
                   {"cluster", script}});
  };
  std::string body = RemoteWriteBody({{probe("prod", script, "probe_success"), 1},
                                      {probe("prod", script, "probe_duration_seconds"), 0.25},
                                      {probe(img, "web" + img, "probe_success"), 0},
                                      {probe(img, "web" + img, "probe_duration_seconds"), 0.5},
                                      {Labels({{"__name__", "abhra_target_info"},
                                               {"env", "prod"},
                                               {"service", script},
                                               {"version", img + script}}),
                                       1}},
                                     now);
  ASSERT_EQ(Status(port, "POST", "/api/v1/write", RemoteWriteHeaders(), body), 204);

  // An Alertmanager webhook whose labels and annotations carry markup.
  std::string hook =
      std::string(R"({"version":"4","status":"firing","alerts":[{"status":"firing",)") +
      R"("labels":{"alertname":"<script>alert(1)</script>","env":"prod",)" +
      R"("service":"\"><img src=x onerror=alert(2)>","severity":"critical"},)" +
      R"("annotations":{"summary":"<script>alert(1)</script>\"><img src=x onerror=alert(2)>"},)" +
      R"("startsAt":"2026-01-01T00:00:00Z","fingerprint":"evil1"}]})";
  ASSERT_EQ(Status(port, "POST", "/api/v1/alertmanager/webhook", {}, hook), 200);

  for (const char* target : {"/", "/?partial=1"}) {
    auto page = http::Fetch(port, "GET", target);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->status, 200) << target;
    EXPECT_EQ(page->headers.GetOr("Content-Type"), "text/html; charset=utf-8");
    const std::string& html = page->body;
    // What was pushed is on the page, escaped ...
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << target;
    EXPECT_NE(html.find("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), std::string::npos)
        << target << "\n"
        << html;
    // ... and never raw.
    EXPECT_EQ(html.find(script), std::string::npos) << target;
    EXPECT_EQ(html.find("<img"), std::string::npos) << target;
    EXPECT_EQ(html.find("onerror=alert(2)>"), std::string::npos) << target;
  }
  auto json = http::Fetch(port, "GET", "/api/v1/status/page");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->headers.GetOr("Content-Type"), "application/json") << "never sniffed as HTML";
}

}  // namespace
}  // namespace abhra::aggregator
