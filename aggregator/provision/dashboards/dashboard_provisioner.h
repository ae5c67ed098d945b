// DashboardProvisioner: keeps Grafana dashboards in step with what is deployed.
//
// Every `interval_ms` (and on demand) it discovers environments and deployed versions from
// the data (discovery.h), renders every template of dashboards/ per its scope (global, per
// env, per env × version; uids stable per env/version), and then
//   - serves them:   GET  /api/v1/provisioning/dashboards             index (JSON)
//                    GET  /api/v1/provisioning/dashboards/<uid>.json  one dashboard model
//                    POST /api/v1/provisioning/dashboards/sync        sync now, then the index
//                    GET  /api/v1/provisioning/datasource.yaml        Grafana data source
//                    GET  /api/v1/provisioning/dashboards.yaml        Grafana dashboard provider
//   - writes Grafana file provisioning to `output_dir` when set (file_provisioning.h),
//   - pushes changed dashboards to Grafana when `grafana.url` is set (grafana_client.h).
//
// Versions no longer deployed: a version's dashboard stays while abhra_target_info had a
// sample for it within `version_window_ms` (default 24 h), then leaves the index and the
// directory (Grafana's file provider then deletes it). Dashboards pushed through the API
// are never deleted from Grafana (an operator may have annotated them); they just stop
// being updated.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/provision/dashboards/dashboard_set.h"
#include "aggregator/provision/dashboards/grafana_client.h"
#include "aggregator/storage/storage.h"
#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/http/router.h"

namespace abhra::provision {

struct DashboardProvisionerOptions {
  // The dashboards/ directory of the repository (dashboards.yaml + templates/).
  std::string templates_dir = "dashboards";
  // The aggregator's URL as Grafana reaches it, for datasource.yaml.
  std::string external_url = "http://localhost:9090";
  // File provisioning target; empty = do not write files.
  std::string output_dir;
  // The dashboards directory as Grafana's file system sees it, for the provider YAML.
  // Empty: output_dir + "/dashboards" (or /var/lib/grafana/dashboards/abhra without one).
  std::string grafana_dashboards_path;
  std::string folder = "Abhra";  // Grafana folder of the file provider
  GrafanaOptions grafana;        // url empty = no push
  int64_t interval_ms = 60'000;
  int64_t version_window_ms = 24 * 3600 * 1000;
};

struct DashboardSyncReport {
  int64_t time_ms = 0;
  size_t dashboards = 0;
  std::vector<std::string> errors;  // render, file and push errors of the last sync
};

class DashboardProvisioner {
 public:
  // Loads the templates (fails when dashboards.yaml or a template is unreadable or invalid).
  // REQUIRES: *db and *clock outlive the provisioner.
  static Result<std::unique_ptr<DashboardProvisioner>> Create(
      storage::Queryable* db, DashboardProvisionerOptions options,
      const Clock* clock = &Clock::Real());
  ~DashboardProvisioner();  // Stop()
  DashboardProvisioner(const DashboardProvisioner&) = delete;
  DashboardProvisioner& operator=(const DashboardProvisioner&) = delete;

  // One full round: discover, render, write files, push. Serialised with other rounds;
  // thread-safe. Returns the first error (all are in LastReport().errors); the rendered set
  // is replaced even when writing or pushing failed.
  Status Sync();

  // Starts the background loop (first round immediately, then every interval_ms).
  void Start();
  // Stops and joins the loop. Idempotent.
  void Stop();

  void RegisterRoutes(http::Router* router);

  // The dashboards of the last round, sorted by uid. Thread-safe.
  std::shared_ptr<const std::vector<RenderedDashboard>> Dashboards() const;
  DashboardSyncReport LastReport() const;

  std::string DatasourceYaml() const;
  std::string ProviderYaml() const;
  // The index served at /api/v1/provisioning/dashboards.
  std::string IndexJson() const;

 private:
  DashboardProvisioner(storage::Queryable* db, DashboardProvisionerOptions options,
                       const Clock* clock, DashboardTemplateSet templates);

  storage::Queryable* const db_;
  const DashboardProvisionerOptions options_;
  const Clock* const clock_;
  const DashboardTemplateSet templates_;
  std::unique_ptr<GrafanaPusher> pusher_;  // null without grafana.url

  std::mutex sync_mu_;  // one round at a time
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<RenderedDashboard>> dashboards_;  // guarded by mu_
  DashboardSyncReport report_;                                         // guarded by mu_
  bool synced_once_ = false;                                           // guarded by mu_

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stop_ = false;  // guarded by loop_mu_
  std::thread loop_;
};

}  // namespace abhra::provision
