#include "aggregator/web/status_page.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <random>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace abhra::web {
namespace {

// 128 random bits, hex: the CSP nonce of one response.
std::string NewNonce() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

nlohmann::json OptionalNumber(const std::optional<double>& v) {
  if (!v || std::isnan(*v)) return nullptr;
  return *v;
}

}  // namespace

StatusPage::StatusPage(storage::Queryable* db, StatusPageOptions options, const Clock* clock)
    : options_(std::move(options)), clock_(clock), collector_(db, options_.collector, clock) {}

StatusPageData StatusPage::CollectNow() {
  StatusPageData data = collector_.Collect();
  const auto t0 = std::chrono::steady_clock::now();
  if (alerts_) {
    try {
      data.alerts = alerts_();
    } catch (const std::exception& e) {
      data.errors.push_back(std::string("cannot list alerts: ") + e.what());
    }
  }
  if (incidents_) {
    try {
      data.incidents = incidents_();
    } catch (const std::exception& e) {
      data.errors.push_back(std::string("cannot list incidents: ") + e.what());
    }
  }
  std::stable_sort(data.alerts.begin(), data.alerts.end(), [](const AlertView& a, const AlertView& b) {
    return std::make_tuple(a.state != "firing", a.env, a.service, a.alertname) <
           std::make_tuple(b.state != "firing", b.env, b.service, b.alertname);
  });
  std::stable_sort(data.incidents.begin(), data.incidents.end(),
                   [](const IncidentView& a, const IncidentView& b) {
                     return a.started_ms > b.started_ms;
                   });
  if (data.incidents.size() > options_.max_incidents) data.incidents.resize(options_.max_incidents);
  data.collect_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return data;
}

std::shared_ptr<const StatusPageData> StatusPage::Data() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_->NowMillis();
  if (!cached_ || options_.cache_ms <= 0 || now - cached_at_ms_ >= options_.cache_ms ||
      now < cached_at_ms_) {
    cached_ = std::make_shared<const StatusPageData>(CollectNow());
    cached_at_ms_ = now;
  }
  return cached_;
}

std::string StatusPage::ToJson(const StatusPageData& data) {
  nlohmann::json services = nlohmann::json::array();
  for (const ServiceStatus& s : data.services) {
    nlohmann::json latency = nlohmann::json::array();
    for (double v : s.latency_seconds) latency.push_back(OptionalNumber(v));
    services.push_back({{"env", s.env},
                        {"service", s.service},
                        {"state", ServiceStateName(s.state)},
                        {"instancesUp", s.instances_up},
                        {"instancesTotal", s.instances_total},
                        {"lastSampleMs", s.last_sample_ms},
                        {"versions", s.versions},
                        {"uptime24h", OptionalNumber(s.uptime_24h)},
                        {"uptime7d", OptionalNumber(s.uptime_7d)},
                        {"uptime30d", OptionalNumber(s.uptime_30d)},
                        {"latencyNowSeconds", OptionalNumber(s.latency_now_seconds)},
                        {"latencySeconds", std::move(latency)}});
  }
  nlohmann::json alerts = nlohmann::json::array();
  for (const AlertView& a : data.alerts) {
    alerts.push_back({{"alertname", a.alertname}, {"env", a.env}, {"service", a.service},
                      {"severity", a.severity}, {"summary", a.summary}, {"state", a.state},
                      {"activeSinceMs", a.active_since_ms}});
  }
  nlohmann::json incidents = nlohmann::json::array();
  for (const IncidentView& i : data.incidents) {
    incidents.push_back({{"alertname", i.alertname}, {"env", i.env}, {"service", i.service},
                         {"severity", i.severity}, {"summary", i.summary}, {"state", i.state},
                         {"startedMs", i.started_ms}, {"resolvedMs", i.resolved_ms}});
  }
  nlohmann::json j = {{"status", "success"},
                      {"data",
                       {{"generatedMs", data.generated_ms},
                        {"services", std::move(services)},
                        {"alerts", std::move(alerts)},
                        {"incidents", std::move(incidents)},
                        {"errors", data.errors},
                        {"collectSeconds", data.collect_seconds},
                        {"queries", data.queries}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void StatusPage::RegisterRoutes(http::Router* router) {
  router->Handle("GET", "/", [this](const http::Request& req, http::Response* resp) {
    auto data = Data();
    resp->status = 200;
    resp->headers.Set("Cache-Control", "no-store");
    // Only our own inline script (by nonce) may run, even if escaping ever failed; no
    // external resources at all.
    StatusPageHtmlOptions html = options_.html;
    html.script_nonce = NewNonce();
    resp->headers.Set("Content-Security-Policy",
                      "default-src 'self'; style-src 'unsafe-inline'; script-src 'nonce-" +
                          html.script_nonce +
                          "'; img-src 'self' data:; object-src 'none'; base-uri 'none'");
    resp->headers.Set("X-Content-Type-Options", "nosniff");
    if (req.query.GetOr("partial") == "1") {
      resp->body = RenderStatusPageContent(*data);
    } else {
      resp->body = RenderStatusPageHtml(*data, html);
    }
    resp->SetContentType("text/html; charset=utf-8");
  });
  router->Handle("GET", "/api/v1/status/page", [this](const http::Request&, http::Response* resp) {
    resp->SetJson(200, ToJson(*Data()));
    resp->headers.Set("Cache-Control", "no-store");
  });
}

}  // namespace abhra::web
