#include "aggregator/app/aggregator_app.h"

#include "aggregator/app/status_routes.h"
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

  // Components are built here and register their routes, e.g.
  //   db_ = tsdb::DB::Open(data_dir_->path(), options_.config.storage) ...;
  //   ingest_->RegisterRoutes(&router_);
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
  // Components flush here, in reverse dependency order (e.g. db_->Close()).
  if (server_) LOG_INFO("aggregator", "stopped", "data_dir={}", LogfmtValue(data_dir_->path()));
}

}  // namespace abhra::aggregator
