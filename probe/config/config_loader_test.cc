#include "probe/config/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace abhra::probe {
namespace {

using ::testing::HasSubstr;

constexpr const char* kFull = R"(
environment: prod
cluster: eu-1
external_labels:
  region: eu
global:
  interval: 30s
  timeout: 5s
aggregator:
  url: http://127.0.0.1:9090/api/v1/write
  bearer_token: s3cret
  remote_timeout: 10s
  queue: {dir: /tmp/q, max_bytes: 64MiB}
  max_samples_per_send: 500
  shards: 2
targets:
  - name: api
    service: payments
    interval: 15s
    timeout: 3s
    retries: 2
    labels: {team: core}
    http:
      url: https://api.example.com/health
      method: POST
      headers: {X-Probe: abhra}
      body: '{"ping":1}'
      bearer_token: tok
      valid_status_codes: [2xx, 301, 400-404]
      fail_if_body_matches: ["error"]
      fail_if_body_not_matches: "ok"
      fail_if_header_matches:
        - {header: Server, regexp: "nginx/1\\.0"}
      fail_if_header_not_matches:
        - {header: Content-Type, regexp: "json", allow_missing: true}
      json_conditions: ['$.status == "UP"', '$.db.latency < 100']
      tls: {ca_file: /etc/ca.pem, server_name: api.internal, insecure_skip_verify: false}
      fail_if_not_ssl: true
      follow_redirects: false
      ip_protocol: ip4
      version: {json_field: $.build.version}
  - name: actuator
    health:
      url: http://10.0.0.1:8080/actuator/health
      version: {header: X-App-Version}
  - name: redis
    tcp: {address: "redis:6379"}
  - name: app-metrics
    scrape:
      url: http://10.0.0.2:9100/metrics
      honor_labels: true
      version: {metric: app_build_info, label: version}
)";

TEST(ConfigLoader, ParsesEveryOption) {
  ConfigParseOutcome out = ParseConfigText(kFull, "probe.yml");
  ASSERT_TRUE(out.errors.empty()) << ::testing::PrintToString(out.errors);
  const ProbeConfig& c = out.config;
  EXPECT_EQ(c.environment, "prod");
  EXPECT_EQ(c.cluster, "eu-1");
  EXPECT_EQ(c.external_labels.at("region"), "eu");
  ASSERT_TRUE(c.aggregator.has_value());
  EXPECT_EQ(c.aggregator->url, "http://127.0.0.1:9090/api/v1/write");
  EXPECT_EQ(c.aggregator->remote_timeout_ms, 10'000);
  EXPECT_EQ(c.aggregator->queue.max_bytes, 64LL << 20);
  EXPECT_EQ(c.aggregator->shards, 2);
  ASSERT_EQ(c.targets.size(), 4u);

  const Target& api = c.targets[0];
  EXPECT_EQ(api.kind, TargetKind::kHttp);
  EXPECT_EQ(api.service, "payments");
  EXPECT_EQ(api.interval_ms, 15'000);
  EXPECT_EQ(api.timeout_ms, 3'000);
  EXPECT_EQ(api.retries, 2);
  EXPECT_EQ(api.labels.at("team"), "core");
  EXPECT_EQ(api.line, 17);
  const HttpCheckConfig& h = api.http;
  EXPECT_EQ(h.request.method, "POST");
  EXPECT_EQ(h.request.headers.at(0).first, "X-Probe");
  EXPECT_EQ(h.request.body, "{\"ping\":1}");
  EXPECT_EQ(h.request.bearer_token, "tok");
  ASSERT_EQ(h.valid_status_codes.size(), 3u);
  EXPECT_EQ(h.valid_status_codes[0].low, 200);
  EXPECT_EQ(h.valid_status_codes[0].high, 299);
  EXPECT_EQ(h.valid_status_codes[2].low, 400);
  EXPECT_EQ(h.valid_status_codes[2].high, 404);
  ASSERT_EQ(h.fail_if_body_matches.size(), 1u);
  EXPECT_TRUE(h.fail_if_body_matches[0].Search("an error here"));
  ASSERT_EQ(h.fail_if_body_not_matches.size(), 1u);
  ASSERT_EQ(h.fail_if_header_matches.size(), 1u);
  EXPECT_EQ(h.fail_if_header_matches[0].header, "Server");
  EXPECT_TRUE(h.fail_if_header_not_matches[0].allow_missing);
  ASSERT_EQ(h.json_conditions.size(), 2u);
  EXPECT_EQ(h.request.tls.server_name, "api.internal");
  EXPECT_TRUE(h.fail_if_not_ssl);
  EXPECT_FALSE(h.request.follow_redirects);
  EXPECT_EQ(h.request.ip_protocol, IpProtocol::kIp4);
  EXPECT_EQ(h.version.kind, VersionSource::Kind::kJsonField);

  const Target& health = c.targets[1];
  EXPECT_EQ(health.kind, TargetKind::kHealth);
  EXPECT_EQ(health.service, "actuator");  // defaults to the name
  EXPECT_EQ(health.interval_ms, 30'000);  // global
  EXPECT_EQ(health.timeout_ms, 5'000);
  ASSERT_EQ(health.http.json_conditions.size(), 1u);  // the Spring default
  EXPECT_TRUE(health.http.json_conditions[0].Evaluate(nlohmann::json::parse(R"({"status":"UP"})")));
  EXPECT_EQ(health.http.version.header, "X-App-Version");

  EXPECT_EQ(c.targets[2].kind, TargetKind::kTcp);
  EXPECT_EQ(c.targets[2].Instance(), "redis:6379");
  EXPECT_EQ(c.targets[3].kind, TargetKind::kScrape);
  EXPECT_TRUE(c.targets[3].scrape.honor_labels);
  EXPECT_EQ(c.targets[3].scrape.version.metric, "app_build_info");
}

std::vector<std::string> Errors(const std::string& yaml) {
  return ParseConfigText(yaml, "p.yml").errors;
}

std::string Join(const std::vector<std::string>& errs) {
  std::string all;
  for (const std::string& e : errs) all += e + "\n";
  return all;
}

constexpr const char* kHead = "environment: dev\ncluster: c1\n";

TEST(ConfigLoader, UnknownKeyWithLineAndColumn) {
  auto errs = Errors(std::string(kHead) + "targets:\n  - name: a\n    htp: {url: http://x}\n");
  ASSERT_EQ(errs.size(), 2u) << ::testing::PrintToString(errs);
  EXPECT_THAT(errs[0], HasSubstr("p.yml:4:5: target \"a\" needs exactly one of http, health, tcp, scrape, dns"));
  EXPECT_THAT(errs[1], HasSubstr("p.yml:5:5: unknown key \"htp\" in targets[0]"));
}

TEST(ConfigLoader, ReportsEveryErrorNotJustTheFirst) {
  auto errs = Errors(std::string(kHead) + R"(global: {interval: 10x}
targets:
  - name: a
    interval: 10s
    timeout: 20s
    http:
      url: ftp://x/
      fail_if_body_matches: ["(unclosed"]
      json_conditions: ["status == 1"]
      follow_redirects: maybe
      max_redirects: lots
      valid_status_codes: [2xx, 99]
  - name: a
    tcp: {address: "nohost"}
)");
  std::string all = Join(errs);
  EXPECT_THAT(all, HasSubstr("p.yml:3:20: global.interval: invalid duration \"10x\""));
  EXPECT_THAT(all, HasSubstr("p.yml:7:14: target \"a\": timeout 20s is greater than interval 10s"));
  EXPECT_THAT(all, HasSubstr("p.yml:9:12: target \"a\".http.url: invalid URL \"ftp://x/\": scheme must be http or https"));
  EXPECT_THAT(all, HasSubstr("p.yml:10:30: target \"a\".http.fail_if_body_matches: invalid regular expression \"(unclosed\": missing )"));
  EXPECT_THAT(all, HasSubstr("p.yml:11:25: target \"a\".http.json_conditions: invalid JSON condition \"status == 1\": invalid JSON path"));
  EXPECT_THAT(all, HasSubstr("p.yml:12:25: target \"a\".http.follow_redirects must be true or false, got \"maybe\""));
  EXPECT_THAT(all, HasSubstr("p.yml:13:22: target \"a\".http.max_redirects must be an integer, got \"lots\""));
  EXPECT_THAT(all, HasSubstr("p.yml:14:33: target \"a\".http.valid_status_codes: \"99\" is not a status code"));
  EXPECT_THAT(all, HasSubstr("p.yml:15:5: duplicate target name \"a\" (first at line 5)"));
  EXPECT_THAT(all, HasSubstr("invalid address \"nohost\": missing port"));
  EXPECT_EQ(errs.size(), 10u) << all;
  EXPECT_TRUE(std::is_sorted(errs.begin(), errs.end(), [](const std::string& a, const std::string& b) {
    return std::stoi(a.substr(6)) < std::stoi(b.substr(6));
  })) << all;
}

TEST(ConfigLoader, WrongTypes) {
  auto errs = Errors(std::string(kHead) + "targets: {a: 1}\nexternal_labels: [x]\n");
  std::string all = Join(errs);
  EXPECT_THAT(all, HasSubstr("p.yml:3:10: targets must be a list, got a map"));
  EXPECT_THAT(all, HasSubstr("p.yml:4:18: external_labels must be a map of strings, got a list"));
}

TEST(ConfigLoader, RequiredAndReserved) {
  auto errs = Errors("external_labels: {env: x, target: z, 1bad: y}\n");
  std::string all = Join(errs);
  EXPECT_THAT(all, HasSubstr("environment is required"));
  EXPECT_THAT(all, HasSubstr("cluster is required"));
  EXPECT_THAT(all, HasSubstr("label \"env\" is reserved"));
  EXPECT_THAT(all, HasSubstr("label \"target\" is reserved"));
  EXPECT_THAT(all, HasSubstr("invalid label name \"1bad\""));
}

TEST(ConfigLoader, SelfMetricsInterval) {
  const std::string head = "environment: e\ncluster: c\naggregator:\n  url: http://h:1/api/v1/write\n";
  ConfigParseOutcome def = ParseConfigText(head, "p.yml");
  ASSERT_TRUE(def.errors.empty()) << ::testing::PrintToString(def.errors);
  EXPECT_EQ(def.config.aggregator->self_metrics_interval_ms, 15'000);
  ConfigParseOutcome set = ParseConfigText(head + "  self_metrics_interval: 1m\n", "p.yml");
  ASSERT_TRUE(set.errors.empty()) << ::testing::PrintToString(set.errors);
  EXPECT_EQ(set.config.aggregator->self_metrics_interval_ms, 60'000);
  ConfigParseOutcome off = ParseConfigText(head + "  self_metrics_interval: 0\n", "p.yml");
  ASSERT_TRUE(off.errors.empty()) << ::testing::PrintToString(off.errors);
  EXPECT_EQ(off.config.aggregator->self_metrics_interval_ms, 0);
  auto errs = Errors(head + "  self_metrics_interval: 10ms\n");
  EXPECT_THAT(Join(errs), HasSubstr("p.yml:5:26: aggregator.self_metrics_interval must be 0 (off) or at least 1s"));
}

TEST(ConfigLoader, SyntaxErrorHasPosition) {
  auto errs = Errors("environment: [unclosed\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0], HasSubstr("p.yml:2:1: YAML syntax error"));
}

TEST(ConfigLoader, TimeoutDefaultsToAtMostInterval) {
  auto out = ParseConfigText(std::string(kHead) +
                                 "global: {timeout: 10s}\ntargets:\n  - {name: a, interval: 2s, "
                                 "tcp: {address: \"[::1]:80\"}}\n",
                             "p.yml");
  ASSERT_TRUE(out.errors.empty()) << ::testing::PrintToString(out.errors);
  EXPECT_EQ(out.config.targets[0].timeout_ms, 2'000);
  EXPECT_EQ(out.config.targets[0].retries, 0);
}

TEST(ConfigLoader, VersionSourceRules) {
  auto errs = Errors(std::string(kHead) + R"(targets:
  - name: a
    http: {url: "http://x", version: {metric: m, label: version}}
  - name: b
    scrape: {url: "http://x", version: {json_field: "$.v"}}
  - name: c
    http: {url: "http://x", version: {header: X, json_field: "$.v"}}
)");
  std::string all = Join(errs);
  EXPECT_EQ(errs.size(), 3u) << all;
  EXPECT_THAT(all, HasSubstr("metric/label versions apply to scrape targets"));
  EXPECT_THAT(all, HasSubstr("scrape targets take the version from a header or a metric label"));
  EXPECT_THAT(all, HasSubstr("needs exactly one of json_field, header"));
}

TEST(ConfigLoader, DnsTargets) {
  auto out = ParseConfigText(std::string(kHead) + R"(targets:
  - name: d
    dns: {server: "127.0.0.1:53", query_name: example.com, query_type: AAAA,
          valid_rcodes: [NOERROR, NXDOMAIN], fail_if_none_matches: ["\\tIN\\tAAAA\\t"]}
)", "p.yml");
  ASSERT_TRUE(out.errors.empty()) << Join(out.errors);
  const DnsCheckConfig& d = out.config.targets[0].dns;
  EXPECT_EQ(out.config.targets[0].kind, TargetKind::kDns);
  EXPECT_EQ(out.config.targets[0].Instance(), "127.0.0.1:53");
  EXPECT_EQ(d.query_type, 28);
  EXPECT_EQ(d.valid_rcodes, (std::vector<int>{0, 3}));
  ASSERT_EQ(d.fail_if_none_matches.size(), 1u);

  auto errs = Errors(std::string(kHead) + R"(targets:
  - name: d
    dns: {server: "dns.example:53", query_type: ANY, valid_rcodes: [OK]}
)");
  std::string all = Join(errs);
  EXPECT_THAT(all, HasSubstr("must be an IP address and port"));
  EXPECT_THAT(all, HasSubstr("query_name is required"));
  EXPECT_THAT(all, HasSubstr("query_type must be one of"));
  EXPECT_THAT(all, HasSubstr("unknown rcode \"OK\""));
}

TEST(ConfigLoader, LoadFileErrors) {
  auto r = LoadConfigFile("/nonexistent/probe.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot read the configuration file"));
  std::string path = ::testing::TempDir() + "/cfg_test.yml";
  std::ofstream(path) << kFull;
  auto ok = LoadConfigFile(path);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->targets.size(), 4u);
}

}  // namespace
}  // namespace abhra::probe
