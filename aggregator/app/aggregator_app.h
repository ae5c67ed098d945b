// AggregatorApp: the abhra-aggregator process in one object, so main.cc stays thin and tests
// can run the whole aggregator in-process on port 0.
//
// It owns the data directory, the components and the HTTP router and server. Components
// are members built in Start(), in dependency order (storage, then ingestion, query API,
// rules, ...); each registers its routes with `RegisterRoutes(http::Router*)` before the
// server starts, and the server is stopped before any component is torn down.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "aggregator/api/prometheus_api.h"
#include "aggregator/app/config.h"
#include "aggregator/app/data_dir.h"
#include "aggregator/ingest/inflight_limiter.h"
#include "common/base/status.h"
#include "common/http/router.h"
#include "common/http/server.h"

namespace abhra::tsdb {
class DB;
class Head;
}
namespace abhra::web {
class StatusPage;
}
namespace abhra::auth {
class AccessPolicy;
}
namespace abhra::ingest {
class RemoteWriteHandler;
class TenantSeriesLimits;
}
namespace abhra::rules {
class Manager;
}
namespace abhra::notify {
class Notifier;
}
namespace abhra::incidents {
class IncidentStore;
}
namespace abhra::provision {
class RuleProvisioner;
class DashboardProvisioner;
}

namespace abhra::aggregator {

struct AggregatorOptions {
  std::string data_dir;        // created when missing; must be writable
  AggregatorConfig config;     // from --config, or defaults
  http::ServerOptions http;    // http.listen is --listen; "127.0.0.1:0" in tests
  bool enable_admin_api = false;  // --web.enable-admin-api: POST /api/v1/admin/*
  ingest::InflightLimits ingest_inflight;  // --ingest.max-inflight-requests / -bytes
  // --query.max-concurrency, --query.max-samples, --query.timeout (its clock is ignored).
  api::PrometheusApiOptions query;
};

class AggregatorApp {
 public:
  // Prepares the data dir, builds the components, registers routes, starts serving and
  // becomes ready. Errors name the step that failed.
  static Result<std::unique_ptr<AggregatorApp>> Start(AggregatorOptions options);

  ~AggregatorApp();  // Stop()
  AggregatorApp(const AggregatorApp&) = delete;
  AggregatorApp& operator=(const AggregatorApp&) = delete;

  uint16_t port() const;        // the bound HTTP port
  tsdb::DB* db() const { return db_.get(); }
  tsdb::Head* head() const;
  // For the status page: pending/firing alerts (Manager::FiringAlerts, ActiveAlerts) and the
  // incident history (IncidentStore::Recent). Never null after Start(); thread-safe.
  rules::Manager* rule_manager() const { return rule_manager_.get(); }
  incidents::IncidentStore* incidents() const { return incidents_.get(); }
  provision::RuleProvisioner* rule_provisioner() const { return rule_provisioner_.get(); }
  std::string address() const;  // the bound "host:port"
  bool ready() const { return ready_.load(); }
  const AggregatorOptions& options() const { return options_; }

  // Graceful stop: not ready, HTTP server drains in-flight requests for up to `grace`,
  // then the components flush and close. Idempotent; thread-safe.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  explicit AggregatorApp(AggregatorOptions options);
  Status Init();
  // Access control and the admin API (app_access.cc).
  Status InitAccess();
  void RegisterAdminRoutes();
  Status InitStorage();
  Status InitAlerting();
  // Dashboard provisioning and the status page (app_dashboards.cc).
  Status InitDashboards();

  AggregatorOptions options_;
  std::unique_ptr<DataDir> data_dir_;
  // Per-tenant series counts and limits; the head consults it, so it outlives db_.
  std::unique_ptr<ingest::TenantSeriesLimits> series_limits_;
  // Components are declared here, after data_dir_ and before router_/server_, so that the
  // server (declared last) is destroyed first.
  std::unique_ptr<tsdb::DB> db_;
  std::unique_ptr<ingest::RemoteWriteHandler> ingest_;
  std::unique_ptr<api::PrometheusApi> api_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<rules::Manager> rule_manager_;
  std::unique_ptr<provision::RuleProvisioner> rule_provisioner_;
  std::unique_ptr<incidents::IncidentStore> incidents_;
  std::unique_ptr<provision::DashboardProvisioner> dashboards_;
  std::unique_ptr<web::StatusPage> status_page_;
  std::unique_ptr<auth::AccessPolicy> access_;  // the router's guard
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace abhra::aggregator
