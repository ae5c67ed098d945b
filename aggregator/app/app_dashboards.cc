// The aggregator's Grafana dashboard provisioning and on-call status page.
#include "aggregator/app/aggregator_app.h"
#include "aggregator/auth/secret_file.h"
#include "aggregator/incidents/incident_store.h"
#include "aggregator/provision/dashboards/dashboard_provisioner.h"
#include "aggregator/rules/manager.h"
#include "aggregator/tsdb/db/db.h"
#include "aggregator/web/status_page.h"
#include "common/base/logging.h"

namespace abhra::aggregator {
namespace {

web::AlertView ToAlertView(const rules::ActiveAlert& a) {
  web::AlertView v;
  v.alertname = a.rule;
  v.env = std::string(a.labels.Get("env"));
  v.service = std::string(a.labels.Get("service"));
  v.severity = std::string(a.labels.Get("severity"));
  v.summary = std::string(a.annotations.Get("summary"));
  v.state = std::string(rules::AlertStateName(a.state));
  v.active_since_ms = a.active_at_ms;
  return v;
}

web::IncidentView ToIncidentView(const incidents::Incident& i) {
  web::IncidentView v;
  v.env = i.env;
  v.service = std::string(i.labels.Get("service"));
  v.alertname = i.alertname;
  v.severity = i.severity;
  v.summary = i.summary;
  v.started_ms = i.starts_at_ms;
  v.resolved_ms = i.resolved_at_ms;
  v.state = i.firing() ? "firing" : "resolved";
  return v;
}

}  // namespace

Status AggregatorApp::InitDashboards() {
  const AggregatorConfig& config = options_.config;
  provision::DashboardProvisionerOptions o;
  o.templates_dir = config.dashboards.templates_dir;
  o.external_url = config.external_url;
  o.output_dir = config.dashboards.output_dir;
  o.grafana_dashboards_path = config.dashboards.grafana_path;
  o.interval_ms = config.dashboards.refresh_interval_ms;
  o.version_window_ms = config.dashboards.version_window_ms;
  if (!config.grafana.url.empty()) {
    ABHRA_ASSIGN_OR_RETURN(o.grafana.token,
                           auth::ReadSecretFile(config.grafana.token_file, "grafana.token_file"));
    o.grafana.url = config.grafana.url;
    o.grafana.folder_uid = config.grafana.folder_uid;
  }
  auto dashboards = provision::DashboardProvisioner::Create(db_.get(), std::move(o));
  if (dashboards.ok()) {
    dashboards_ = std::move(*dashboards);
    dashboards_->RegisterRoutes(&router_);
  } else {
    // Like rule templates: a missing template dir is not a reason to refuse ingestion.
    LOG_WARN("aggregator", "dashboard templates not loaded; dashboard provisioning is off",
             "templates_dir={} err={}", LogfmtValue(config.dashboards.templates_dir),
             LogfmtValue(dashboards.status().message()));
  }

  status_page_ = std::make_unique<web::StatusPage>(db_.get(), web::StatusPageOptions{});
  status_page_->SetAlertsSource([m = rule_manager_.get()] {
    std::vector<web::AlertView> out;
    for (const rules::ActiveAlert& a : m->ActiveAlerts()) out.push_back(ToAlertView(a));
    return out;
  });
  status_page_->SetIncidentsSource([store = incidents_.get()] {
    std::vector<web::IncidentView> out;
    for (const incidents::Incident& i : store->Recent(50)) out.push_back(ToIncidentView(i));
    return out;
  });
  status_page_->RegisterRoutes(&router_);
  return Status::Ok();
}

}  // namespace abhra::aggregator
