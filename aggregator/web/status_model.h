// What the on-call status page shows, as plain values. Alerts and incidents come from other
// components through std::function hooks (StatusPage::SetAlertsSource/SetIncidentsSource), so
// this folder depends on no rules or incidents headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace abhra::web {

// A firing (or pending) alert.
struct AlertView {
  std::string alertname;
  std::string env;
  std::string service;
  std::string severity;   // "critical", "warning", ...; may be empty
  std::string summary;    // the rendered summary annotation; may be empty
  std::string state;      // "firing" or "pending"
  int64_t active_since_ms = 0;  // 0 when unknown
};

// An incident from the history (Alertmanager webhooks).
struct IncidentView {
  std::string env;
  std::string service;
  std::string alertname;
  std::string severity;
  std::string summary;
  int64_t started_ms = 0;
  int64_t resolved_ms = 0;  // 0 while open
  std::string state;        // "firing" or "resolved"
};

enum class ServiceState {
  kUp,        // every probe instance succeeds now and did for the whole state window
  kDegraded,  // up now, but some instance fails now or failed within the state window,
              // or a probe instance seen in the list window stopped reporting
  kDown,      // every probe instance fails now
  kNoData,    // no probe result within stale_after_ms: probe dead or target gone
};
std::string_view ServiceStateName(ServiceState s);  // "up", "degraded", "down", "no data"

struct ServiceStatus {
  std::string env;
  std::string service;
  ServiceState state = ServiceState::kNoData;
  int instances_up = 0;     // probe instances succeeding now
  int instances_total = 0;  // probe instances with a result within the lookback (5m)
  int instances_known = 0;  // probe instances with a result within the list window (24h)
  bool failed_recently = false;  // some result failed within the state window
  int64_t last_sample_ms = 0;  // newest probe_success sample, 0 when none within lookback
  std::vector<std::string> versions;  // from abhra_target_info, sorted
  // Fraction (0..1) of successful probe results in the window; nullopt without results.
  std::optional<double> uptime_24h, uptime_7d, uptime_30d;
  // probe_duration_seconds averaged over instances, one point per sparkline step (oldest
  // first); NaN where there is no data.
  std::vector<double> latency_seconds;
  std::optional<double> latency_now_seconds;
};

struct StatusPageData {
  int64_t generated_ms = 0;
  std::vector<ServiceStatus> services;  // sorted by env, then service
  std::vector<AlertView> alerts;        // firing first, then by env, service, alertname
  std::vector<IncidentView> incidents;  // newest first, at most max_incidents
  std::vector<std::string> errors;      // queries or hooks that failed (shown on the page)
  double collect_seconds = 0;           // time spent collecting
  int queries = 0;                      // PromQL queries run
};

}  // namespace abhra::web
