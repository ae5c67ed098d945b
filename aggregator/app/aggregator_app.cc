#include "aggregator/app/aggregator_app.h"

#include <fstream>
#include <sstream>

#include "aggregator/app/status_routes.h"
#include "aggregator/auth/access_policy.h"
#include "aggregator/api/envelope.h"
#include "aggregator/incidents/incident_store.h"
#include "aggregator/ingest/remote_write_handler.h"
#include "aggregator/ingest/tenant_series_limits.h"
#include "aggregator/notify/notifier.h"
#include "aggregator/promql/engine/engine.h"
#include "aggregator/provision/rules/rule_provisioner.h"
#include "aggregator/rules/manager.h"
#include "aggregator/provision/dashboards/dashboard_provisioner.h"
#include "aggregator/tsdb/db/db.h"
#include "aggregator/web/status_page.h"
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
  ABHRA_RETURN_IF_ERROR(InitAccess());
  auto dir = DataDir::Open(options_.data_dir);
  if (!dir.ok()) return dir.status();
  data_dir_ = std::move(*dir);

  const AggregatorConfig& config = options_.config;
  ABHRA_RETURN_IF_ERROR(InitStorage());

  ingest::RemoteWriteOptions ingest_options;
  for (const TenantConfig& t : config.tenants) ingest_options.tenants.push_back({t.name, t.token});
  ingest_options.inflight = options_.ingest_inflight;
  ingest_ = std::make_unique<ingest::RemoteWriteHandler>(head(), std::move(ingest_options),
                                                         &metrics::SelfRegistry());
  ingest_->RegisterRoutes(&router_);

  api::PrometheusApiOptions api_options = options_.query;
  api_options.clock = &Clock::Real();
  api_ = std::make_unique<api::PrometheusApi>(db_.get(), api_options);
  api_->RegisterRoutes(&router_);
  ABHRA_RETURN_IF_ERROR(InitAlerting());
  ABHRA_RETURN_IF_ERROR(InitDashboards());

  RegisterStatusRoutes(&router_, &ready_);
  metrics::RegisterMetricsRoute(&router_);

  http::ServerOptions http = options_.http;
  if (!http.observer) http.observer = metrics::HttpRequestObserver(&metrics::SelfRegistry());
  // Remote-write beyond the in-flight limits is refused before its body is read.
  // A hook set by the caller runs first; both leases are held.
  http.admission = [ingest = ingest_.get(), outer = std::move(http.admission)](
                       const http::RequestHead& head) {
    http::Admission first = outer ? outer(head) : http::Admission{};
    if (first.reject) return first;
    http::Admission a = ingest->Admit(head);
    if (first.lease && a.lease) {
      a.lease = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>>(
          std::move(first.lease), std::move(a.lease));
    } else if (first.lease) {
      a.lease = std::move(first.lease);
    }
    return a;
  };
  auto server = http::Server::Start(std::move(http), &router_);
  if (!server.ok()) return server.status().WithContext("cannot start the HTTP server");
  server_ = std::move(*server);
  if (dashboards_) dashboards_->Start();
  ready_.store(true);
  LOG_INFO("aggregator", "ready", "listen={} data_dir={} tenants={} alertmanagers={} rule_groups={}",
           server_->address(), LogfmtValue(data_dir_->path()), options_.config.tenants.size(),
           options_.config.alertmanagers.size(), rule_manager_->NumGroups());
  return Status::Ok();
}

Status AggregatorApp::InitStorage() {
  const StorageConfig& storage = options_.config.storage;
  tsdb::DBOptions o;
  o.block_duration_ms = storage.block_duration_ms;
  o.retention_raw_ms = storage.retention_raw_ms;
  o.retention_5m_ms = storage.retention_5m_ms;
  o.retention_1h_ms = storage.retention_1h_ms;
  switch (storage.wal_fsync) {
    case WalFsync::kAlways: o.head.wal.fsync = tsdb::FsyncPolicy::kAlways; break;
    case WalFsync::kBatch: o.head.wal.fsync = tsdb::FsyncPolicy::kBatch; break;
    case WalFsync::kNever: o.head.wal.fsync = tsdb::FsyncPolicy::kNever; break;
  }
  o.head.registry = o.registry = &metrics::SelfRegistry();
  ingest::TenantSeriesLimitsOptions limits;
  limits.default_max_series = options_.config.limits.max_series_per_tenant;
  for (const TenantConfig& t : options_.config.tenants) {
    if (t.max_series) limits.max_series[t.name] = *t.max_series;
  }
  series_limits_ = std::make_unique<ingest::TenantSeriesLimits>(std::move(limits),
                                                                &metrics::SelfRegistry());
  o.head.series_quota = series_limits_.get();
  auto db = tsdb::DB::Open(data_dir_->path(), o);
  if (!db.ok()) return db.status().WithContext("cannot open the TSDB");
  db_ = std::move(*db);
  return Status::Ok();
}

tsdb::Head* AggregatorApp::head() const { return db_ ? &db_->head() : nullptr; }

Status AggregatorApp::InitAlerting() {
  const AggregatorConfig& config = options_.config;
  std::string data_dir = data_dir_->path();

  incidents::IncidentStoreOptions incident_options;
  incident_options.path = data_dir + "/incidents.log";
  auto store = incidents::IncidentStore::Open(incident_options);
  if (!store.ok()) return store.status().WithContext("cannot open the incident history");
  incidents_ = std::move(*store);
  incidents_->RegisterRoutes(&router_);

  notify::NotifierOptions notifier_options;
  notifier_options.alertmanagers = config.alertmanagers;
  notifier_options.queue_capacity = config.notifier.queue_capacity;
  notifier_options.timeout = std::chrono::milliseconds(config.notifier.timeout_ms);
  notifier_options.registry = &metrics::SelfRegistry();
  notifier_ = std::make_unique<notify::Notifier>(std::move(notifier_options));

  rules::ManagerOptions manager_options;
  manager_options.env.query = [db = db_.get()](std::string_view expr,
                                               int64_t t_ms) -> Result<promql::Vector> {
    promql::Engine engine;
    auto r = engine.InstantQuery(*db, expr, t_ms, promql::QueryOptions{});
    if (!r.ok()) return r.status();
    if (auto* v = std::get_if<promql::Vector>(&r->value)) return std::move(*v);
    if (auto* s = std::get_if<promql::Scalar>(&r->value)) {
      return promql::Vector{promql::Sample{Labels{}, s->t, s->v}};
    }
    return Status::InvalidArgument("rule expression must give an instant vector or a scalar");
  };
  manager_options.env.appendable = db_.get();
  manager_options.env.notify = [n = notifier_.get()](std::vector<notify::Alert> alerts) {
    n->Send(std::move(alerts));
  };
  manager_options.env.external_url = config.external_url;
  manager_options.env.resend_delay_ms = config.notifier.resend_delay_ms;
  manager_options.registry = &metrics::SelfRegistry();
  rule_manager_ = std::make_unique<rules::Manager>(std::move(manager_options));
  api_->SetRulesSource(api::RulesSource{
      [m = rule_manager_.get()](const http::Params& p) { return m->RulesJson(p); },
      [m = rule_manager_.get()](const http::Params& p) { return m->AlertsJson(p); }});

  // Plain rule files: errors in them stop the start, as configuration errors do.
  auto file_groups = std::make_shared<std::vector<rules::GroupSpec>>();
  for (const std::string& path : config.rules.files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::FromErrno(fmt::format("cannot read rule file {}", path), errno);
    std::stringstream ss;
    ss << in.rdbuf();
    auto groups = rules::ParseRuleFile(ss.str(), path, config.evaluation_interval_ms);
    if (!groups.ok()) return groups.status();
    for (rules::GroupSpec& g : *groups) file_groups->push_back(std::move(g));
  }
  rule_manager_->Update(*file_groups);

  provision::RuleProvisionerOptions prov;
  prov.templates_dir = config.rules.templates_dir;
  prov.output_dir = config.rules.output_dir.empty() ? data_dir + "/rules" : config.rules.output_dir;
  prov.environments_from_data = config.rules.environments_from_data;
  prov.write_on_refresh = config.rules.write_on_refresh;
  prov.refresh_interval = std::chrono::milliseconds(config.rules.refresh_interval_ms);
  prov.default_interval_ms = config.evaluation_interval_ms;
  prov.environments = [db = db_.get()]()
      -> Result<std::map<std::string, std::vector<std::string>>> {
    int64_t now = Clock::Real().NowMillis();
    auto q = db->MakeQuerier(now - 24 * 3600 * 1000, now);
    if (!q.ok()) return q.status();
    auto envs = (*q)->LabelValues("env", {});
    if (!envs.ok()) return envs.status();
    std::map<std::string, std::vector<std::string>> out;
    for (const std::string& env : *envs) {
      auto versions = (*q)->LabelValues(
          "version", {Matcher::Equal(std::string(kMetricName), "abhra_target_info"),
                      Matcher::Equal("env", env)});
      out[env] = versions.ok() ? std::move(*versions) : std::vector<std::string>{};
    }
    return out;
  };
  if (config.rules.provision) {
    prov.load = [m = rule_manager_.get(), file_groups](std::vector<rules::GroupSpec> rendered) {
      for (const rules::GroupSpec& g : *file_groups) rendered.push_back(g);
      m->Update(std::move(rendered));
    };
  }
  rule_provisioner_ = std::make_unique<provision::RuleProvisioner>(std::move(prov));
  Status st = rule_provisioner_->Refresh();
  if (!st.ok()) {
    LOG_WARN("aggregator", "rule templates not rendered; serving only rules.files",
             "templates_dir={} err={}", LogfmtValue(config.rules.templates_dir),
             LogfmtValue(st.message()));
  }
  rule_provisioner_->RegisterRoutes(&router_);
  rule_provisioner_->Start();
  rule_manager_->Start();
  return Status::Ok();
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
  if (dashboards_) dashboards_->Stop();
  if (rule_provisioner_) rule_provisioner_->Stop();
  if (rule_manager_) rule_manager_->Stop();
  if (notifier_) notifier_->Stop();
  if (db_) {
    Status st = db_->Close();
    if (!st.ok()) LOG_ERROR("aggregator", "closing the TSDB failed", "err={}", LogfmtValue(st.ToString()));
  }
  if (server_) LOG_INFO("aggregator", "stopped", "data_dir={}", LogfmtValue(data_dir_->path()));
}

}  // namespace abhra::aggregator
