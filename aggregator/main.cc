// abhra-aggregator: receives remote-write from probes, stores samples in its TSDB and
// serves PromQL, alerting and the status page, all over one HTTP port.
#include <malloc.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <thread>

#include <CLI/CLI.hpp>

#include "aggregator/app/aggregator_app.h"
#include "common/base/logging.h"
#include "common/http/signals.h"
#include "common/metrics/build_info.h"

int main(int argc, char** argv) {
  // glibc gives threads their own malloc arenas (up to 8 per core) and memory freed in one is
  // not reused by another: with many handler threads each query's peak stayed resident per
  // thread (100k-series bench: 357 MiB peak after the query set; 183 MiB with this).
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  // Before any thread starts, so that SIGTERM/SIGINT wait for WaitForTerminationSignal().
  abhra::http::BlockTerminationSignals();

  std::string data_dir;
  std::string listen = "0.0.0.0:9090";
  std::string config_file;
  std::string log_level = "info";
  // Handlers block while a query runs (or waits for a query slot): enough of them that
  // ingestion keeps flowing while queries are busy. CPU-heavy query work itself runs on the
  // shared ParallelFor pool (one thread per core).
  int handler_threads =
      static_cast<int>(std::clamp(4 * std::thread::hardware_concurrency(), 8u, 64u));
  size_t max_connections = 1024;
  size_t max_body_bytes = 32u << 20;
  double shutdown_grace_seconds = 10;
  std::string tls_cert_file;
  std::string tls_key_file;
  bool enable_admin_api = false;
  std::string read_timeout = "30s";
  std::string header_timeout = "10s";
  std::string idle_timeout = "2m";
  size_t ingest_max_inflight_requests = 128;
  size_t ingest_max_inflight_bytes = 256u << 20;
  int query_max_concurrency = 20;
  int64_t query_max_samples = 50'000'000;
  std::string query_timeout = "2m";

  CLI::App cli{
      "abhra-aggregator: the central Abhra server. Probes push samples to it with Prometheus "
      "remote-write (POST /api/v1/write); it stores them in its own TSDB under --data-dir and "
      "answers the Prometheus HTTP API (/api/v1/query, ...) for Grafana, all on one HTTP port "
      "(--listen). It stops cleanly on SIGTERM or SIGINT.",
      "abhra-aggregator"};
  cli.add_option("--data-dir", data_dir,
                 "Directory for the write-ahead log and blocks. Created when missing; must be "
                 "writable and not used by another aggregator (it is locked).")
      ->required();
  cli.add_option("--listen", listen,
                 "HOST:PORT for every HTTP endpoint (remote-write, Prometheus API, /metrics, "
                 "/-/healthy, /-/ready). \":9090\" or \"0.0.0.0:9090\" listens on every "
                 "interface; port 0 picks a free port.")
      ->capture_default_str();
  cli.add_option("--config", config_file,
                 "YAML configuration file: tenants (env name and write token), auth (token files "
                 "for reads, admin and the Alertmanager webhook), storage (block "
                 "duration, retention per resolution, WAL fsync mode) and alertmanagers. "
                 "Reference: aggregator/app/docs/config.md. Defaults apply when omitted.")
      ->check(CLI::ExistingFile);
  cli.add_option("--log.level", log_level, "Only log messages of this level or above.")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cli.add_option("--http.handler-threads", handler_threads,
                 "Worker threads that run HTTP handlers (ingestion and queries). A running or "
                 "waiting query holds one, so keep this above --query.max-concurrency's "
                 "expected load or ingestion waits behind queries.")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cli.add_option("--http.max-connections", max_connections,
                 "Open HTTP connections allowed at once; further ones get 503.")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  cli.add_option("--http.max-body-bytes", max_body_bytes,
                 "Largest request body accepted (remote-write batches included); larger ones "
                 "get 413.")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 32))
      ->capture_default_str();
  // Prometheus-style durations ("30s", "2m", "1m30s").
  CLI::Validator duration(
      [](std::string& text) -> std::string {
        auto d = abhra::aggregator::ParseDuration(text);
        if (!d.ok()) return d.status().message();
        return *d > 0 ? "" : "must be greater than 0";
      },
      "DURATION");
  cli.add_option("--http.read-timeout", read_timeout,
                 "A request (headers and body) must arrive within this time of its first byte, "
                 "so clients trickling bytes cannot hold connections.")
      ->check(duration)
      ->capture_default_str();
  cli.add_option("--http.header-timeout", header_timeout,
                 "The request line and headers must arrive within this time of their first "
                 "byte, and a new connection must send its first byte within it: slow or "
                 "silent clients cannot hold connection slots (--http.max-connections).")
      ->check(duration)
      ->capture_default_str();
  cli.add_option("--http.idle-timeout", idle_timeout,
                 "A kept-alive connection waiting for the first byte of its next request is "
                 "closed after this long.")
      ->check(duration)
      ->capture_default_str();
  cli.add_option("--ingest.max-inflight-requests", ingest_max_inflight_requests,
                 "Remote-write requests accepted at once (being read, queued or stored); "
                 "further ones get 503 with Retry-After before their body is read, and "
                 "senders retry. 0 = unlimited.")
      ->capture_default_str();
  cli.add_option("--ingest.max-inflight-bytes", ingest_max_inflight_bytes,
                 "Bytes of the remote-write requests accepted at once: bodies (Content-Length) "
                 "plus, while one is decoded and stored, its decoded size. A request that "
                 "would exceed it gets 503 with Retry-After (one request alone is always "
                 "accepted). 0 = unlimited.")
      ->capture_default_str();
  cli.add_option("--query.max-concurrency", query_max_concurrency,
                 "PromQL queries evaluated at once; further ones wait for a slot until their "
                 "timeout.")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cli.add_option("--query.max-samples", query_max_samples,
                 "Most samples one query may hold in memory; beyond, it fails with 422 "
                 "\"query processing would load too many samples into memory\".")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  cli.add_option("--query.timeout", query_timeout,
                 "Longest a query may run (a request's timeout parameter can only lower it).")
      ->check(duration)
      ->capture_default_str();
  auto* tls_cert = cli.add_option(
      "--web.tls-cert-file", tls_cert_file,
      "Serve HTTPS only on --listen: PEM certificate, then any intermediates. Needs "
      "--web.tls-key-file. TLS 1.2 and 1.3; a plain-HTTP request gets 400.");
  auto* tls_key = cli.add_option("--web.tls-key-file", tls_key_file,
                                 "PEM private key of --web.tls-cert-file (unencrypted).");
  tls_cert->check(CLI::ExistingFile)->needs(tls_key);
  tls_key->check(CLI::ExistingFile)->needs(tls_cert);
  cli.add_flag("--web.enable-admin-api", enable_admin_api,
               "Enable POST /api/v1/admin/flush and /api/v1/admin/compact (they need "
               "auth.admin_token_file's token when it is set). Off, they answer as Prometheus "
               "does: {\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":\"admin "
               "APIs disabled\"}.");
  cli.add_option("--shutdown.grace-seconds", shutdown_grace_seconds,
                 "On SIGTERM/SIGINT, how long in-flight HTTP requests may take to finish.")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cli.set_version_flag("--version", [] {
    const auto& b = abhra::metrics::GetBuildInfo();
    return "abhra-aggregator " + b.version + " (revision " + b.revision + ", " + b.compiler + ")";
  });
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  abhra::LogLevel level = abhra::LogLevel::kInfo;
  abhra::ParseLogLevel(log_level, &level);
  abhra::SetLogLevel(level);

  abhra::aggregator::AggregatorOptions options;
  options.data_dir = data_dir;
  options.http.listen = listen;
  options.http.handler_threads = handler_threads;
  options.http.max_connections = max_connections;
  options.http.max_body_bytes = max_body_bytes;
  options.http.tls_cert_file = tls_cert_file;
  options.http.tls_key_file = tls_key_file;
  options.enable_admin_api = enable_admin_api;
  options.http.read_timeout = std::chrono::milliseconds(*abhra::aggregator::ParseDuration(read_timeout));
  options.http.idle_timeout = std::chrono::milliseconds(*abhra::aggregator::ParseDuration(idle_timeout));
  options.http.header_timeout = std::chrono::milliseconds(*abhra::aggregator::ParseDuration(header_timeout));
  options.ingest_inflight.max_requests = ingest_max_inflight_requests;
  options.ingest_inflight.max_bytes = ingest_max_inflight_bytes;
  options.query.max_concurrent_queries = query_max_concurrency;
  options.query.query.max_samples = query_max_samples;
  options.query.query.timeout = std::chrono::milliseconds(*abhra::aggregator::ParseDuration(query_timeout));
  if (!config_file.empty()) {
    auto config = abhra::aggregator::LoadConfigFile(config_file);
    if (!config.ok()) {
      // One line per problem, each with file:line:column.
      std::string_view errors = config.status().message();
      while (!errors.empty()) {
        size_t nl = errors.find('\n');
        LOG_ERROR("main", "invalid configuration", "error={}",
                  abhra::LogfmtValue(errors.substr(0, nl)));
        errors = nl == std::string_view::npos ? std::string_view() : errors.substr(nl + 1);
      }
      return 1;
    }
    options.config = std::move(*config);
  }

  const auto& build = abhra::metrics::GetBuildInfo();
  LOG_INFO("main", "starting abhra-aggregator", "version={} revision={} listen={} data_dir={} config={}",
           build.version, build.revision, abhra::LogfmtValue(listen),
           abhra::LogfmtValue(data_dir), abhra::LogfmtValue(config_file));
  auto app = abhra::aggregator::AggregatorApp::Start(std::move(options));
  if (!app.ok()) {
    LOG_ERROR("main", "cannot start", "error={}", abhra::LogfmtValue(app.status().ToString()));
    return 1;
  }

  int sig = abhra::http::WaitForTerminationSignal();
  LOG_INFO("main", "received signal, shutting down", "signal={}", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*app)->Stop(std::chrono::milliseconds(static_cast<int64_t>(shutdown_grace_seconds * 1000)));
  app->reset();
  LOG_INFO("main", "exiting");
  return 0;
}
