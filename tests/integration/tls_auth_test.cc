// abhra-probe pushes to abhra-aggregator over TLS with its tenant token, and the data arrives;
// the aggregator's read and admin tokens guard what they should; a plain-HTTP client on the
// TLS port is refused cleanly while serving goes on; and no token appears in either log,
// even at debug level.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/http/router.h"
#include "common/http/server.h"
#include "common/http/test_certs.h"
#include "common/http/test_client.h"
#include "tests/integration/subprocess.h"

namespace abhra::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTenantToken = "tenant-tok-Vb93s";
constexpr const char* kReadToken = "read-tok-Ky61d";
constexpr const char* kAdminToken = "admin-tok-Jn28f";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

http::Headers Bearer(const std::string& token) {
  http::Headers h;
  h.Add("Authorization", "Bearer " + token);
  return h;
}

TEST(TlsAuthTest, ProbePushesOverTlsAndTokensGuardTheirEndpoints) {
  std::string dir = MakeTempDir("abhra-tls-auth");
  ASSERT_FALSE(dir.empty());
  auto certs = http::MakeTestCerts(dir + "/pki", 365, 30, "DNS:localhost,IP:127.0.0.1");
  ASSERT_TRUE(certs.ok()) << certs.status().ToString();
  std::ofstream(dir + "/tenant.token") << kTenantToken << "\n";
  std::ofstream(dir + "/read.token") << kReadToken << "\n";
  std::ofstream(dir + "/admin.token") << kAdminToken << "\n";
  std::ofstream(dir + "/aggregator.yaml")
      << "tenants:\n  - {name: tls, token: " << kTenantToken << "}\n"
      << "auth:\n  read_token_file: " << dir << "/read.token\n"
      << "  admin_token_file: " << dir << "/admin.token\n";

  // The service the probe checks (plain HTTP, in-process).
  http::Router service_routes;
  service_routes.Handle("GET", "/",
                        [](const http::Request&, http::Response* r) { r->SetText(200, "ok"); });
  http::ServerOptions service_options;
  service_options.listen = "127.0.0.1:0";
  service_options.handler_threads = 1;
  auto service = http::Server::Start(service_options, &service_routes);
  ASSERT_TRUE(service.ok()) << service.status().ToString();

  const uint16_t port = FreePort();
  const std::string agg_log = dir + "/aggregator.log";
  auto aggregator =
      Subprocess::Start({ABHRA_AGGREGATOR_BIN, "--data-dir", dir + "/data", "--listen",
                         "127.0.0.1:" + std::to_string(port), "--config", dir + "/aggregator.yaml",
                         "--web.tls-cert-file", certs->server_chain, "--web.tls-key-file",
                         certs->server_key, "--web.enable-admin-api", "--log.level", "debug"},
                        agg_log);
  ASSERT_TRUE(aggregator.ok()) << aggregator.status().ToString();
  const http::TlsClientOptions tls{certs->ca_cert, "localhost"};
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    auto r = http::FetchTls(port, tls, "GET", "/-/ready");
    ready = r.ok() && r->status == 200;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ready) << "aggregator not ready over TLS; see " << agg_log;

  const uint16_t probe_port = FreePort();
  const std::string probe_log = dir + "/probe.log";
  std::ofstream(dir + "/probe.yml") << fmt::format(
      "environment: tls\ncluster: c1\n"
      "aggregator:\n"
      "  url: https://127.0.0.1:{}/api/v1/write\n"
      "  token_file: {}/tenant.token\n"
      "  tls: {{ca_file: {}}}\n"
      "  queue: {{dir: {}/queue}}\n"
      "  batch_send_deadline: 200ms\n  min_backoff: 50ms\n  max_backoff: 500ms\n"
      "targets:\n  - {{name: web, interval: 1s, timeout: 800ms, http: {{url: "
      "\"http://127.0.0.1:{}/\"}}}}\n",
      port, dir, certs->ca_cert, dir, (*service)->port());
  auto probe =
      Subprocess::Start({ABHRA_PROBE_BIN, "--config", dir + "/probe.yml", "--listen",
                         "127.0.0.1:" + std::to_string(probe_port), "--log-level", "debug"},
                        probe_log);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();

  // The probe's results arrive, read back over TLS with the read token.
  const std::string query = "/api/v1/query?query=probe_success%7Benv%3D%22tls%22%7D";
  bool arrived = false;
  for (int i = 0; i < 150 && !arrived; ++i) {
    auto r = http::FetchTls(port, tls, "GET", query, {}, Bearer(kReadToken));
    if (r.ok() && r->status == 200) {
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      arrived = !j.is_discarded() && !j["data"]["result"].empty() &&
                j["data"]["result"][0]["metric"]["service"] == "web" &&
                j["data"]["result"][0]["value"][1] == "1";
    }
    if (!arrived) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(arrived) << "no probe_success{env=\"tls\"} = 1; see " << probe_log << " and "
                       << agg_log;

  // Plain HTTP on the TLS port: a clear 400, then the port goes on serving TLS.
  for (int i = 0; i < 3; ++i) {
    auto plain = http::Fetch(port, "GET", query, {}, Bearer(kReadToken));
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_EQ(plain->status, 400);
    EXPECT_NE(plain->body.find("HTTP request to an HTTPS server"), std::string::npos);
  }

  // Each token opens its own class only.
  auto status = [&](std::string_view method, std::string_view target, const http::Headers& h) {
    auto r = http::FetchTls(port, tls, method, target, {}, h);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->status : -1;
  };
  EXPECT_EQ(status("GET", "/-/healthy", {}), 200);
  EXPECT_EQ(status("GET", query, {}), 401);
  EXPECT_EQ(status("GET", query, Bearer(kTenantToken)), 403) << "the write token reads";
  EXPECT_EQ(status("GET", query, Bearer(kAdminToken)), 403);
  EXPECT_EQ(status("GET", "/metrics", {}), 401);
  EXPECT_EQ(status("GET", "/metrics", Bearer(kReadToken)), 200);
  EXPECT_EQ(status("POST", "/api/v1/write", Bearer(kReadToken)), 401) << "the read token writes";
  EXPECT_EQ(status("POST", "/api/v1/admin/flush", Bearer(kReadToken)), 403);
  EXPECT_EQ(status("POST", "/api/v1/admin/flush", Bearer(kTenantToken)), 403);
  EXPECT_EQ(status("POST", "/api/v1/admin/flush", Bearer(kAdminToken)), 200);
  EXPECT_EQ(status("GET", query, Bearer(kReadToken)), 200) << "still serving";

  probe->Signal(SIGTERM);
  EXPECT_EQ(probe->Wait(), 0);
  aggregator->Signal(SIGTERM);
  EXPECT_EQ(aggregator->Wait(), 0);

  const std::string agg_text = ReadAll(agg_log);
  const std::string probe_text = ReadAll(probe_log);
  EXPECT_NE(agg_text.find("request refused"), std::string::npos) << "refusals are logged";
  EXPECT_NE(agg_text.find("tls=on"), std::string::npos);
  for (const char* token : {kTenantToken, kReadToken, kAdminToken}) {
    EXPECT_EQ(agg_text.find(token), std::string::npos) << token << " in " << agg_log;
    EXPECT_EQ(probe_text.find(token), std::string::npos) << token << " in " << probe_log;
  }
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

TEST(TlsAuthTest, TlsFlagsMustComeTogether) {
  std::string dir = MakeTempDir("abhra-tls-flags");
  ASSERT_FALSE(dir.empty());
  std::ofstream(dir + "/cert.pem") << "x\n";
  auto proc = Subprocess::Start(
      {ABHRA_AGGREGATOR_BIN, "--data-dir", dir + "/data", "--web.tls-cert-file", dir + "/cert.pem"},
      dir + "/out.log");
  ASSERT_TRUE(proc.ok());
  EXPECT_NE(proc->Wait(), 0);
  std::string out = ReadAll(dir + "/out.log");
  EXPECT_NE(out.find("--web.tls-key-file"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/data")) << "refused before touching the data dir";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace abhra::testing
