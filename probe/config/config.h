// The probe's configuration: what it is (environment, cluster), where it pushes (aggregator),
// and what it checks (targets). Loaded from YAML by config_loader.h; the YAML reference with
// every key is probe/config/docs/config.md and examples are in probe/config/examples/.
// All durations are milliseconds. Plain values; copy freely; the compiled regexes are shared
// immutable RE2 objects and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "probe/config/json_condition.h"

namespace re2 {
class RE2;
}

namespace abhra::probe {

struct Regex {
  std::string pattern;
  std::shared_ptr<const re2::RE2> re;  // unanchored search, as blackbox_exporter matches
  bool Search(std::string_view text) const;
};

struct TlsConfig {
  std::string ca_file;      // PEM bundle to verify the server with; system store when empty
  std::string cert_file;    // client certificate (PEM), with key_file
  std::string key_file;
  std::string server_name;  // SNI and the name verified in the certificate; URL host when empty
  bool insecure_skip_verify = false;
};

enum class IpProtocol { kAny, kIp4, kIp6 };

struct BasicAuth {
  std::string username;
  std::string password;
  std::string password_file;  // read at each request when set
};

// Where a target's application version comes from (the `version` label of abhra_target_info).
struct VersionSource {
  enum class Kind { kNone, kJsonField, kHeader, kMetricLabel };
  Kind kind = Kind::kNone;
  std::optional<JsonPath> json_field;  // kJsonField
  std::string header;                  // kHeader (case-insensitive)
  std::string metric;                  // kMetricLabel: metric name ...
  std::string label;                   // ... and its label holding the version
};

// How one HTTP request is made (shared by checks, health and scrape targets).
struct HttpRequestConfig {
  std::string url;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<BasicAuth> basic_auth;
  std::string bearer_token;
  std::string bearer_token_file;
  TlsConfig tls;
  bool follow_redirects = true;
  int max_redirects = 10;
  IpProtocol ip_protocol = IpProtocol::kAny;
  int64_t body_size_limit = 10 * 1024 * 1024;  // bytes read at most; larger bodies fail
};

// A status-code set: each entry is an inclusive range.
struct StatusCodeRange {
  int low = 0;
  int high = 0;
};

struct HeaderMatch {
  std::string header;  // case-insensitive
  Regex regexp;
  bool allow_missing = false;  // a missing header passes instead of failing
};

struct HttpCheckConfig {
  HttpRequestConfig request;
  std::vector<StatusCodeRange> valid_status_codes;  // empty: 200-299
  std::vector<Regex> fail_if_body_matches;
  std::vector<Regex> fail_if_body_not_matches;
  std::vector<HeaderMatch> fail_if_header_matches;
  std::vector<HeaderMatch> fail_if_header_not_matches;
  std::vector<JsonCondition> json_conditions;  // all must hold; body must be JSON
  bool fail_if_ssl = false;
  bool fail_if_not_ssl = false;
  VersionSource version;
};

struct TcpCheckConfig {
  std::string address;  // host:port ([v6]:port)
  bool tls = false;     // also do a TLS handshake after connecting
  TlsConfig tls_config;
  IpProtocol ip_protocol = IpProtocol::kAny;
};

// A DNS query sent over UDP to one server (blackbox_exporter's dns prober).
struct DnsCheckConfig {
  std::string server;      // ip:port or [v6]:port of the DNS server asked
  std::string query_name;  // e.g. "example.com"
  uint16_t query_type = 1;  // A
  std::string query_type_name = "A";
  std::vector<int> valid_rcodes = {0};  // NOERROR
  // Over the answer records rendered as "<name>.\t<ttl>\tIN\t<TYPE>\t<rdata>", with
  // blackbox_exporter's validate_answer_rrs semantics: fail when any record matches a
  // fail_if_matches regex; when any record does not match a fail_if_not_matches regex; when
  // every record matches a fail_if_all_match regex; when no record matches a
  // fail_if_none_matches regex. No records with fail_if_not_matches or fail_if_none_matches
  // set also fails.
  std::vector<Regex> fail_if_matches;
  std::vector<Regex> fail_if_not_matches;
  std::vector<Regex> fail_if_all_match;
  std::vector<Regex> fail_if_none_matches;
  bool fail_if_no_answer = false;
};

struct ScrapeConfig {
  HttpRequestConfig request;
  bool honor_labels = false;
  int64_t sample_limit = 0;  // 0: none; more samples fail the scrape
  VersionSource version;     // usually kMetricLabel
};

enum class TargetKind { kHttp, kHealth, kTcp, kScrape, kDns };
std::string_view TargetKindName(TargetKind kind);  // "http", "health", "tcp", "scrape", "dns"

struct Target {
  std::string name;     // unique; `target` label of checks, `job` label of scrapes
  std::string service;  // `service` label; defaults to name
  TargetKind kind = TargetKind::kHttp;
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  int retries = 0;  // extra attempts within one interval before the target counts as down
  std::map<std::string, std::string> labels;  // extra labels on every series of the target
  HttpCheckConfig http;  // kHttp, kHealth
  TcpCheckConfig tcp;    // kTcp
  ScrapeConfig scrape;   // kScrape
  DnsCheckConfig dns;    // kDns
  int line = 0;          // 1-based line in the config file, for messages

  // The `instance` label: the URL for HTTP kinds, host:port for TCP, the server for DNS.
  const std::string& Instance() const;
};

struct QueueConfig {
  std::string dir;  // durable queue directory; empty: in memory only (lost on restart)
  int64_t max_bytes = 1LL << 30;
};

struct AggregatorConfig {
  std::string url;  // remote-write endpoint, e.g. http://agg:9090/api/v1/write
  std::string bearer_token;
  std::string token_file;
  TlsConfig tls;
  int64_t remote_timeout_ms = 30'000;
  QueueConfig queue;
  int max_samples_per_send = 2000;
  int64_t batch_send_deadline_ms = 5'000;
  int shards = 4;
  int64_t min_backoff_ms = 30;
  int64_t max_backoff_ms = 5'000;
  bool retry_on_http_429 = true;
  // How often the probe's own abhra_probe_* metrics are pushed along with the results
  // (job="abhra-probe"); 0: never (they are still served at /metrics).
  int64_t self_metrics_interval_ms = 15'000;
};

struct ProbeConfig {
  std::string environment;  // `env` label
  std::string cluster;      // `cluster` label
  std::map<std::string, std::string> external_labels;
  int64_t default_interval_ms = 30'000;
  int64_t default_timeout_ms = 10'000;
  int default_retries = 0;
  std::optional<AggregatorConfig> aggregator;  // absent: results only exposed locally
  std::vector<Target> targets;
};

}  // namespace abhra::probe
