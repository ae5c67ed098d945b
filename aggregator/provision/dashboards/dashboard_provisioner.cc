#include "aggregator/provision/dashboards/dashboard_provisioner.h"

#include <nlohmann/json.hpp>

#include "aggregator/provision/dashboards/discovery.h"
#include "aggregator/provision/dashboards/file_provisioning.h"
#include "aggregator/provision/dashboards/provisioning_yaml.h"
#include "common/base/logging.h"

namespace abhra::provision {
namespace {

constexpr std::string_view kYamlContentType = "application/yaml; charset=utf-8";
constexpr std::string_view kIndexPath = "/api/v1/provisioning/dashboards";

void WriteJsonError(http::Response* resp, int status, std::string_view type, std::string msg) {
  nlohmann::json j = {{"status", "error"}, {"errorType", type}, {"error", std::move(msg)}};
  resp->SetJson(status, j.dump());
}

}  // namespace

Result<std::unique_ptr<DashboardProvisioner>> DashboardProvisioner::Create(
    storage::Queryable* db, DashboardProvisionerOptions options, const Clock* clock) {
  auto templates = LoadDashboardTemplates(options.templates_dir);
  if (!templates.ok()) return templates.status().WithContext("cannot load dashboard templates");
  return std::unique_ptr<DashboardProvisioner>(
      new DashboardProvisioner(db, std::move(options), clock, std::move(*templates)));
}

DashboardProvisioner::DashboardProvisioner(storage::Queryable* db,
                                           DashboardProvisionerOptions options,
                                           const Clock* clock, DashboardTemplateSet templates)
    : db_(db),
      options_(std::move(options)),
      clock_(clock),
      templates_(std::move(templates)),
      dashboards_(std::make_shared<const std::vector<RenderedDashboard>>()) {
  if (!options_.grafana.url.empty()) pusher_ = std::make_unique<GrafanaPusher>(options_.grafana);
}

DashboardProvisioner::~DashboardProvisioner() { Stop(); }

std::string DashboardProvisioner::DatasourceYaml() const {
  return DatasourceProvisioningYaml(options_.external_url);
}

std::string DashboardProvisioner::ProviderYaml() const {
  std::string path = options_.grafana_dashboards_path;
  if (path.empty()) {
    path = options_.output_dir.empty() ? "/var/lib/grafana/dashboards/abhra"
                                       : options_.output_dir + "/dashboards";
  }
  return DashboardProviderYaml(options_.folder, path);
}

Status DashboardProvisioner::Sync() {
  std::lock_guard<std::mutex> round(sync_mu_);
  DashboardSyncReport report;
  report.time_ms = clock_->NowMillis();
  Status first;
  auto note = [&](const Status& s) {
    report.errors.push_back(s.message());
    if (first.ok()) first = s;
  };
  auto envs = DiscoverEnvironments(*db_, report.time_ms, options_.version_window_ms);
  if (!envs.ok()) {
    note(envs.status().WithContext("cannot discover environments"));
    std::lock_guard<std::mutex> lock(mu_);
    report.dashboards = dashboards_->size();
    report_ = std::move(report);
    return first;
  }
  std::vector<std::string> render_errors;
  auto rendered = std::make_shared<const std::vector<RenderedDashboard>>(
      RenderAll(templates_, *envs, &render_errors));
  for (auto& e : render_errors) {
    LOG_ERROR("provision", "cannot render dashboard", "err={}", LogfmtValue(e));
    note(Status::InvalidArgument(e));
  }
  report.dashboards = rendered->size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    dashboards_ = rendered;
    synced_once_ = true;
  }
  if (!options_.output_dir.empty()) {
    auto stats = WriteFileProvisioning(options_.output_dir, *rendered, DatasourceYaml(),
                                       ProviderYaml());
    if (!stats.ok()) {
      LOG_ERROR("provision", "cannot write Grafana file provisioning", "dir={} err={}",
                LogfmtValue(options_.output_dir), LogfmtValue(stats.status().message()));
      note(stats.status());
    } else if (stats->written > 0 || stats->removed > 0) {
      LOG_INFO("provision", "wrote Grafana file provisioning", "dir={} written={} unchanged={} removed={}",
               LogfmtValue(options_.output_dir), stats->written, stats->unchanged, stats->removed);
    }
  }
  if (pusher_) {
    GrafanaSyncStats stats;
    Status st = pusher_->Push(*rendered, &stats);
    if (!st.ok()) note(st);
    if (stats.pushed > 0 || stats.failed > 0) {
      LOG_INFO("provision", "Grafana push round", "url={} pushed={} skipped={} failed={}",
               LogfmtValue(options_.grafana.url), stats.pushed, stats.skipped, stats.failed);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  report_ = std::move(report);
  return first;
}

void DashboardProvisioner::Start() {
  std::lock_guard<std::mutex> lock(loop_mu_);
  if (loop_.joinable()) return;
  stop_ = false;
  loop_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(loop_mu_);
    while (!stop_) {
      lock.unlock();
      Status st = Sync();
      (void)st;  // logged by Sync
      lock.lock();
      loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms),
                        [this] { return stop_; });
    }
  });
}

void DashboardProvisioner::Stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stop_ = true;
    t = std::move(loop_);
  }
  loop_cv_.notify_all();
  if (t.joinable()) t.join();
}

std::shared_ptr<const std::vector<RenderedDashboard>> DashboardProvisioner::Dashboards() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dashboards_;
}

DashboardSyncReport DashboardProvisioner::LastReport() const {
  std::lock_guard<std::mutex> lock(mu_);
  return report_;
}

std::string DashboardProvisioner::IndexJson() const {
  auto dashboards = Dashboards();
  DashboardSyncReport report = LastReport();
  nlohmann::json list = nlohmann::json::array();
  for (const RenderedDashboard& d : *dashboards) {
    list.push_back({{"uid", d.uid},
                    {"title", d.title},
                    {"env", d.env},
                    {"version", d.version},
                    {"template", d.file},
                    {"url", std::string(kIndexPath) + "/" + d.uid + ".json"}});
  }
  nlohmann::json data = {{"dashboards", std::move(list)},
                         {"lastSyncMs", report.time_ms},
                         {"errors", report.errors}};
  nlohmann::json j = {{"status", "success"}, {"data", std::move(data)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void DashboardProvisioner::RegisterRoutes(http::Router* router) {
  // The first request before any round ran syncs on demand, so a fresh aggregator serves
  // dashboards without waiting for the loop.
  auto ensure_synced = [this] {
    bool need;
    {
      std::lock_guard<std::mutex> lock(mu_);
      need = !synced_once_;
    }
    if (need) (void)Sync();
  };
  router->Handle("GET", std::string(kIndexPath),
                 [this, ensure_synced](const http::Request&, http::Response* resp) {
                   ensure_synced();
                   resp->SetJson(200, IndexJson());
                 });
  router->Handle("POST", std::string(kIndexPath) + "/sync",
                 [this](const http::Request&, http::Response* resp) {
                   (void)Sync();
                   resp->SetJson(200, IndexJson());
                 });
  router->HandlePrefix("GET", std::string(kIndexPath) + "/",
                       [this, ensure_synced](const http::Request& req, http::Response* resp) {
                         const std::string& name = req.path_suffix;
                         if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) {
                           return WriteJsonError(resp, 404, "not_found",
                                                 "expected /api/v1/provisioning/dashboards/<uid>.json, got " + req.path);
                         }
                         std::string uid = name.substr(0, name.size() - 5);
                         ensure_synced();
                         auto dashboards = Dashboards();
                         for (const RenderedDashboard& d : *dashboards) {
                           if (d.uid == uid) return resp->SetJson(200, d.json);
                         }
                         WriteJsonError(resp, 404, "not_found", "no dashboard with uid \"" + uid + "\"");
                       });
  router->Handle("GET", "/api/v1/provisioning/datasource.yaml",
                 [this](const http::Request&, http::Response* resp) {
                   resp->status = 200;
                   resp->body = DatasourceYaml();
                   resp->SetContentType(kYamlContentType);
                 });
  router->Handle("GET", "/api/v1/provisioning/dashboards.yaml",
                 [this](const http::Request&, http::Response* resp) {
                   resp->status = 200;
                   resp->body = ProviderYaml();
                   resp->SetContentType(kYamlContentType);
                 });
}

}  // namespace abhra::provision
