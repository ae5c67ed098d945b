// The aggregator's configuration file (YAML, --config FILE). Reference with every key:
// aggregator/app/docs/config.md. All durations are milliseconds. Plain values; copy freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::aggregator {

// A tenant is an environment: the `env` label (or THANOS-TENANT header) names it.
struct TenantConfig {
  std::string name;   // unique, non-empty
  std::string token;  // bearer token allowed to write this tenant; empty = no token needed
  // Most series this tenant may have in the head (0 = unlimited); absent: the default,
  // limits.max_series_per_tenant.
  std::optional<size_t> max_series;
};

// Ingestion limits.
struct LimitsConfig {
  size_t max_series_per_tenant = 0;  // series per tenant in the head; 0 = unlimited
};

enum class WalFsync {
  kAlways,  // fsync every write request before acknowledging it
  kBatch,   // fsync on a short timer and at segment cuts (Prometheus' behaviour)
  kNever,   // leave it to the OS
};
std::string_view WalFsyncName(WalFsync mode);

struct StorageConfig {
  static constexpr int64_t kHour = 3600 * 1000;
  static constexpr int64_t kDay = 24 * kHour;
  int64_t block_duration_ms = 2 * kHour;  // head → block cut interval; > 0
  // How long data of each resolution is kept; 0 keeps it forever.
  int64_t retention_raw_ms = 15 * kDay;
  int64_t retention_5m_ms = 90 * kDay;
  int64_t retention_1h_ms = 365 * kDay;
  WalFsync wal_fsync = WalFsync::kBatch;
};

// Alert rules: rendered from the alerts/ templates per environment, plus plain rule files.
struct RulesConfig {
  std::string templates_dir = "alerts";  // holds defaults.yaml; relative to the working dir
  std::string output_dir;                // "" = <data dir>/rules
  bool environments_from_data = true;    // environments_from: data (true) | config (false)
  bool provision = true;                 // evaluate the rendered templates in the rule manager
  bool write_on_refresh = false;         // write the rendered files at every refresh
  int64_t refresh_interval_ms = 60 * 1000;  // re-render (new environments, versions); > 0
  std::vector<std::string> files;        // more Prometheus rule files, evaluated as they are
};

struct NotifierConfig {
  int64_t resend_delay_ms = 60 * 1000;  // re-send still-firing alerts this often; > 0
  int64_t timeout_ms = 10 * 1000;       // per request to an Alertmanager; > 0
  size_t queue_capacity = 10000;        // alerts waiting to be sent; oldest dropped beyond; > 0
};

// Grafana dashboards rendered per environment × version (dashboards/ templates).
struct DashboardsConfig {
  std::string templates_dir = "dashboards";  // dashboards.yaml + templates/
  std::string output_dir;                    // file provisioning target; "" = no files
  std::string grafana_path;  // output dir as Grafana sees it ("" = output_dir/dashboards)
  int64_t refresh_interval_ms = 60 * 1000;
  int64_t version_window_ms = 24 * 3600 * 1000;  // a version stays this long after last seen
};

// Optional push of dashboards to Grafana's HTTP API.
struct GrafanaConfig {
  std::string url;  // "" = no push
  std::string token_file;
  std::string folder_uid;
};

// Bearer tokens for the other access classes (auth/access_policy.h), each read from a file
// so that no secret sits in this configuration; "" = that class is open.
struct AuthConfig {
  std::string read_token_file;     // query API, metadata, rules, status page, /metrics, ...
  std::string admin_token_file;    // /api/v1/admin/* (also needs --web.enable-admin-api)
  std::string webhook_token_file;  // POST /api/v1/alertmanager/webhook
};

struct AggregatorConfig {
  std::vector<TenantConfig> tenants;  // empty: any env may write, no tokens
  AuthConfig auth;
  LimitsConfig limits;
  StorageConfig storage;
  std::vector<std::string> alertmanagers;  // base URLs, e.g. "http://alertmanager:9093"
  // How this aggregator is reached from outside: alerts' generatorURL and $externalURL.
  std::string external_url = "http://localhost:9090";
  int64_t evaluation_interval_ms = 60 * 1000;  // rule groups without `interval`; > 0
  RulesConfig rules;
  NotifierConfig notifier;
  DashboardsConfig dashboards;
  GrafanaConfig grafana;
};

// Parses and validates a YAML document. `source` names it in errors, which carry line and
// column: `agg.yaml:4:5: storage.wal_fsync must be one of always, batch, never, got "sync"`.
// Every problem found is reported (one per line), not just the first. An empty document
// gives the defaults.
Result<AggregatorConfig> ParseConfig(std::string_view yaml, std::string_view source = "<config>");

// Reads and parses a file. IOError when it cannot be read.
Result<AggregatorConfig> LoadConfigFile(const std::string& path);

// Prometheus durations: "15s", "1m30s", "2h", "500ms", "15d", "1w", "1y", "0". Units from
// largest to smallest, each at most once. Milliseconds.
Result<int64_t> ParseDuration(std::string_view text);

}  // namespace abhra::aggregator
