#include "aggregator/app/aggregator_app.h"

#include "aggregator/app/status_routes.h"
#include "aggregator/api/envelope.h"
#include "aggregator/ingest/remote_write_handler.h"
#include "aggregator/tsdb/head/head.h"
#include "common/base/logging.h"
#include "common/metrics/http_metrics.h"
#include "common/metrics/self_metrics.h"

namespace abhra::aggregator {

Result<std::unique_ptr<AggregatorApp>> AggregatorApp::Start(AggregatorOptions options) {
  std::unique_ptr<AggregatorApp> app(new AggregatorApp(std::move(options)));
  ABHRA_RETURN_IF_ERROR(app->Init());
  return app;
}

Status AggregatorApp::Init() {
  auto dir = DataDir::Open(options_.data_dir);
  if (!dir.ok()) return dir.status();
  data_dir_ = std::move(*dir);

  const AggregatorConfig& config = options_.config;
  tsdb::HeadOptions head_options;
  head_options.chunk_range_ms = config.storage.block_duration_ms;
  head_options.registry = &metrics::SelfRegistry();
  switch (config.storage.wal_fsync) {
    case WalFsync::kAlways: head_options.wal.fsync = tsdb::FsyncPolicy::kAlways; break;
    case WalFsync::kBatch: head_options.wal.fsync = tsdb::FsyncPolicy::kBatch; break;
    case WalFsync::kNever: head_options.wal.fsync = tsdb::FsyncPolicy::kNever; break;
  }
  auto head = tsdb::Head::Open(data_dir_->path(), head_options);
  if (!head.ok()) return head.status().WithContext("cannot open the TSDB head");
  head_ = std::move(*head);

  ingest::RemoteWriteOptions ingest_options;
  for (const TenantConfig& t : config.tenants) ingest_options.tenants.push_back({t.name, t.token});
  ingest_ = std::make_unique<ingest::RemoteWriteHandler>(head_.get(), std::move(ingest_options),
                                                         &metrics::SelfRegistry());
  ingest_->RegisterRoutes(&router_);

  api_ = std::make_unique<api::PrometheusApi>(head_.get(), api::PrometheusApiOptions{});
  api_->RegisterRoutes(&router_);
  RegisterAdminRoutes();

  RegisterStatusRoutes(&router_, &ready_);
  metrics::RegisterMetricsRoute(&router_);

  http::ServerOptions http = options_.http;
  if (!http.observer) http.observer = metrics::HttpRequestObserver(&metrics::SelfRegistry());
  auto server = http::Server::Start(std::move(http), &router_);
  if (!server.ok()) return server.status().WithContext("cannot start the HTTP server");
  server_ = std::move(*server);
  ready_.store(true);
  LOG_INFO("aggregator", "ready", "listen={} data_dir={} tenants={} alertmanagers={}",
           server_->address(), LogfmtValue(data_dir_->path()), options_.config.tenants.size(),
           options_.config.alertmanagers.size());
  return Status::Ok();
}

void AggregatorApp::RegisterAdminRoutes() {
  // Makes every acknowledged sample durable before answering (the bench harness and
  // operators call it before reading the data dir).
  router_.Handle("POST", "/api/v1/admin/flush", [this](const http::Request&, http::Response* resp) {
    Status st = head_->Flush();
    if (!st.ok()) {
      return api::WriteError(resp, api::ErrorType::kInternal, st.message());
    }
    api::WriteSuccess(resp, fmt::format(R"({{"series":{},"minTime":{},"maxTime":{}}})",
                                        head_->NumSeries(), head_->MinTime(), head_->MaxTime()));
  });
}

AggregatorApp::AggregatorApp(AggregatorOptions options) : options_(std::move(options)) {}

AggregatorApp::~AggregatorApp() { Stop(); }

uint16_t AggregatorApp::port() const { return server_ ? server_->port() : 0; }

std::string AggregatorApp::address() const { return server_ ? server_->address() : ""; }

void AggregatorApp::Stop(std::chrono::milliseconds grace) {
  if (stopped_.exchange(true)) return;
  ready_.store(false);
  if (server_) {
    LOG_INFO("aggregator", "stopping HTTP server", "grace_ms={}", grace.count());
    server_->Shutdown(grace);
  }
  // Components flush here, in reverse dependency order.
  if (head_) {
    Status st = head_->Close();
    if (!st.ok()) LOG_ERROR("aggregator", "closing the head failed", "err={}", LogfmtValue(st.ToString()));
  }
  if (server_) LOG_INFO("aggregator", "stopped", "data_dir={}", LogfmtValue(data_dir_->path()));
}

}  // namespace abhra::aggregator
