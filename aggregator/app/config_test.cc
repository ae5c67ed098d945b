#include "aggregator/app/config.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace abhra::aggregator {
namespace {

constexpr int64_t kHour = StorageConfig::kHour;
constexpr int64_t kDay = StorageConfig::kDay;

TEST(ConfigTest, FullDocument) {
  auto c = ParseConfig(R"(
tenants:
  - name: prod
    token: s3cret
  - name: dev
storage:
  block_duration: 2h
  retention_raw: 30d
  retention_5m: 180d
  retention_1h: 2y
  wal_fsync: always
alertmanagers:
  - http://alertmanager:9093/
  - https://am.example.com
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->tenants.size(), 2u);
  EXPECT_EQ(c->tenants[0].name, "prod");
  EXPECT_EQ(c->tenants[0].token, "s3cret");
  EXPECT_EQ(c->tenants[1].name, "dev");
  EXPECT_EQ(c->tenants[1].token, "");
  EXPECT_EQ(c->storage.block_duration_ms, 2 * kHour);
  EXPECT_EQ(c->storage.retention_raw_ms, 30 * kDay);
  EXPECT_EQ(c->storage.retention_5m_ms, 180 * kDay);
  EXPECT_EQ(c->storage.retention_1h_ms, 2 * 365 * kDay);
  EXPECT_EQ(c->storage.wal_fsync, WalFsync::kAlways);
  EXPECT_EQ(c->alertmanagers,
            (std::vector<std::string>{"http://alertmanager:9093", "https://am.example.com"}));
}

TEST(ConfigTest, EmptyAndPartialDocumentsGiveDefaults) {
  for (std::string_view doc : {"", "# only a comment\n", "---\n", "storage:\n", "tenants: []\n"}) {
    auto c = ParseConfig(doc);
    ASSERT_TRUE(c.ok()) << doc << ": " << c.status().ToString();
    EXPECT_TRUE(c->tenants.empty());
    EXPECT_EQ(c->storage.block_duration_ms, 2 * kHour);
    EXPECT_EQ(c->storage.retention_raw_ms, 15 * kDay);
    EXPECT_EQ(c->storage.wal_fsync, WalFsync::kBatch);
  }
  auto zero = ParseConfig("storage: {retention_raw: 0}");
  ASSERT_TRUE(zero.ok()) << zero.status().ToString();
  EXPECT_EQ(zero->storage.retention_raw_ms, 0) << "0 keeps data forever";
}

// Expects an InvalidArgument whose message contains every one of `needles`.
void ExpectError(std::string_view doc, std::initializer_list<std::string_view> needles) {
  auto c = ParseConfig(doc, "agg.yaml");
  ASSERT_FALSE(c.ok()) << doc;
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  for (std::string_view n : needles) {
    EXPECT_NE(c.status().message().find(n), std::string::npos)
        << "want \"" << n << "\" in: " << c.status().message();
  }
}

TEST(ConfigTest, UnknownKeysWithPositions) {
  ExpectError("tenants: []\nstorge: {}\n", {"agg.yaml:2:1:", "unknown key \"storge\"", "storage"});
  ExpectError("storage:\n  block_duraton: 2h\n", {"agg.yaml:2:3:", "\"block_duraton\"", "block_duration"});
  ExpectError("tenants:\n  - name: a\n    tokn: x\n", {"agg.yaml:3:5:", "\"tokn\" in tenants[0]"});
}

TEST(ConfigTest, BadTypesAndValues) {
  ExpectError("tenants: prod\n", {"agg.yaml:1:10:", "tenants must be a list"});
  ExpectError("tenants:\n  - prod\n", {"agg.yaml:2:5:", "tenants[0] must be a map"});
  ExpectError("tenants:\n  - token: x\n", {"tenants[0] needs a name"});
  ExpectError("tenants:\n  - name: [a]\n", {"tenants[0].name must be a string, got a list"});
  ExpectError("tenants:\n  - name: a\n  - name: a\n", {"agg.yaml:3:11:", "\"a\" is a duplicate"});
  ExpectError("storage: [1]\n", {"storage must be a map"});
  ExpectError("storage:\n  block_duration: 2 hours\n",
              {"agg.yaml:2:19:", "storage.block_duration", "invalid duration \"2 hours\""});
  ExpectError("storage: {block_duration: 0}\n", {"block_duration must be greater than 0"});
  ExpectError("storage: {retention_raw: 1h}\n", {"retention_raw must be 0 (forever) or at least"});
  ExpectError("storage:\n  wal_fsync: sometimes\n",
              {"agg.yaml:2:14:", "always, batch, never", "\"sometimes\""});
  ExpectError("alertmanagers: http://am\n", {"alertmanagers must be a list"});
  ExpectError("alertmanagers: [am:9093]\n", {"alertmanagers[0] must be an http:// or https:// URL"});
  ExpectError("- a\n- b\n", {"the configuration must be a map"});
}

TEST(ConfigTest, ReportsEveryError) {
  auto c = ParseConfig("storage:\n  wal_fsync: x\n  retention_5m: y\nextra: 1\n", "f");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("f:2:"), std::string::npos) << m;
  EXPECT_NE(m.find("f:3:"), std::string::npos) << m;
  EXPECT_NE(m.find("f:4:"), std::string::npos) << m;
  EXPECT_LT(m.find("f:2:"), m.find("f:3:")) << "in document order";
  EXPECT_LT(m.find("f:3:"), m.find("f:4:"));
}

TEST(ConfigTest, BrokenYaml) {
  ExpectError("storage: {block_duration: 2h\n", {"agg.yaml:", "invalid YAML"});
  ExpectError("tenants:\n  - name: a\n - name: b\n", {"agg.yaml:", "invalid YAML"});
}

TEST(ConfigTest, LoadFile) {
  std::string path = ::testing::TempDir() + "/abhra_agg_config_test.yaml";
  {
    std::ofstream out(path);
    out << "storage:\n  wal_fsync: never\n";
  }
  auto c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage.wal_fsync, WalFsync::kNever);
  std::remove(path.c_str());
  auto missing = LoadConfigFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kIOError);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

TEST(DurationTest, PrometheusSyntax) {
  EXPECT_EQ(*ParseDuration("0"), 0);
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("15s"), 15000);
  EXPECT_EQ(*ParseDuration("1m30s"), 90000);
  EXPECT_EQ(*ParseDuration("2h"), 2 * kHour);
  EXPECT_EQ(*ParseDuration("1d12h"), 36 * kHour);
  EXPECT_EQ(*ParseDuration("1w"), 7 * kDay);
  EXPECT_EQ(*ParseDuration("1y"), 365 * kDay);
  for (std::string_view bad : {"", "h", "1", "1.5h", "-1h", "1s1m", "1h1h", "1x", "2 h",
                               "99999999999999999999y", "1ms5s"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace abhra::aggregator

namespace abhra::aggregator {
namespace {

TEST(ConfigTest, AlertingKeys) {
  auto c = ParseConfig(R"(
external_url: http://agg.example:9090/
evaluation_interval: 15s
rules:
  templates_dir: /etc/abhra/alerts
  output_dir: /var/lib/abhra/rules
  environments_from: config
  provision: false
  write_on_refresh: true
  refresh_interval: 30s
  files: [a.yaml, b.yaml]
notifier:
  resend_delay: 2m
  timeout: 5s
  queue_capacity: 100
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->external_url, "http://agg.example:9090");
  EXPECT_EQ(c->evaluation_interval_ms, 15000);
  EXPECT_EQ(c->rules.templates_dir, "/etc/abhra/alerts");
  EXPECT_EQ(c->rules.output_dir, "/var/lib/abhra/rules");
  EXPECT_FALSE(c->rules.environments_from_data);
  EXPECT_FALSE(c->rules.provision);
  EXPECT_TRUE(c->rules.write_on_refresh);
  EXPECT_EQ(c->rules.refresh_interval_ms, 30000);
  EXPECT_EQ(c->rules.files, (std::vector<std::string>{"a.yaml", "b.yaml"}));
  EXPECT_EQ(c->notifier.resend_delay_ms, 120000);
  EXPECT_EQ(c->notifier.timeout_ms, 5000);
  EXPECT_EQ(c->notifier.queue_capacity, 100u);

  auto d = ParseConfig("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->evaluation_interval_ms, 60000);
  EXPECT_EQ(d->rules.templates_dir, "alerts");
  EXPECT_TRUE(d->rules.environments_from_data);
  EXPECT_TRUE(d->rules.provision);
}

TEST(ConfigTest, BadAlertingValues) {
  auto c = ParseConfig(R"(external_url: ftp://x
evaluation_interval: 0
rules:
  environments_from: both
  provision: maybe
  files: [""]
  bogus: 1
notifier:
  queue_capacity: -3
  resend_delay: 0
)", "a.yaml");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("a.yaml:1:15: external_url must be an http:// or https:// URL"), std::string::npos) << m;
  EXPECT_NE(m.find("evaluation_interval must be greater than 0"), std::string::npos) << m;
  EXPECT_NE(m.find("rules.environments_from must be data or config, got \"both\""), std::string::npos) << m;
  EXPECT_NE(m.find("rules.provision must be true or false"), std::string::npos) << m;
  EXPECT_NE(m.find("rules.files[0] must not be empty"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key \"bogus\" in rules"), std::string::npos) << m;
  EXPECT_NE(m.find("notifier.queue_capacity must be a positive integer"), std::string::npos) << m;
  EXPECT_NE(m.find("notifier.resend_delay must be greater than 0"), std::string::npos) << m;
}

TEST(ConfigTest, SeriesLimitsPerTenantAndDefault) {
  auto c = ParseConfig(R"(
tenants:
  - {name: prod, max_series: 500000}
  - {name: lab, max_series: 0}
  - {name: dev}
limits:
  max_series_per_tenant: 100000
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->limits.max_series_per_tenant, 100000u);
  EXPECT_EQ(c->tenants[0].max_series, std::optional<size_t>(500000));
  EXPECT_EQ(c->tenants[1].max_series, std::optional<size_t>(0));
  EXPECT_EQ(c->tenants[2].max_series, std::nullopt);
  EXPECT_EQ(ParseConfig("")->limits.max_series_per_tenant, 0u) << "unlimited by default";
  ExpectError("limits: {max_series_per_tenant: -1}",
              {"agg.yaml:1:33: limits.max_series_per_tenant must be a non-negative integer, got \"-1\""});
  ExpectError("tenants: [{name: a, max_series: lots}]",
              {"tenants[0].max_series must be a non-negative integer, got \"lots\""});
  ExpectError("limits: {max_series: 1}", {"unknown key \"max_series\" in limits"});
}

TEST(ConfigTest, AuthTokenFiles) {
  auto c = ParseConfig(R"(
auth:
  read_token_file: /etc/abhra/read.token
  admin_token_file: /etc/abhra/admin.token
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->auth.read_token_file, "/etc/abhra/read.token");
  EXPECT_EQ(c->auth.admin_token_file, "/etc/abhra/admin.token");
  EXPECT_EQ(c->auth.webhook_token_file, "");
  EXPECT_EQ(ParseConfig("")->auth.read_token_file, "") << "open by default";
  ExpectError("auth: {read_token: s3cret}", {"unknown key \"read_token\" in auth"});
  ExpectError("auth: {read_token_file: \"\"}", {"auth.read_token_file must not be empty"});
  ExpectError("auth: [x]", {"auth must be a map of token files, got a list"});
}

TEST(ConfigTest, TenantTokensMustDifferAndAreNotShown) {
  auto c = ParseConfig("tenants: [{name: a, token: tok-AAA1}, {name: b, token: tok-AAA1}]");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("tenants[1].token is the same as tenants[0].token"),
            std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find("tok-AAA1"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace abhra::aggregator
