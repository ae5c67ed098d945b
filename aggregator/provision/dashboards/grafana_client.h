// Pushes dashboards to Grafana's HTTP API (interfaces.md §5):
//   POST {grafana_url}/api/dashboards/db
//   Authorization: Bearer <token>, Content-Type: application/json
//   {"dashboard":{...model, no id...},"folderUid":"...","overwrite":true,"message":"..."}
// 200 -> {id,uid,url,status:"success",version,slug}. libcurl underneath.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aggregator/provision/dashboards/dashboard_set.h"
#include "common/base/status.h"

namespace abhra::provision {

struct GrafanaOptions {
  std::string url;         // base URL, e.g. "http://grafana:3000" (a trailing '/' is fine)
  std::string token;       // service account token (Bearer)
  std::string folder_uid;  // empty: Grafana's General folder
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

struct GrafanaPushResponse {
  int http_status = 0;
  std::string uid;
  std::string url;
  int64_t version = 0;
};

// Status codes: 401 -> Unauthenticated, 403 -> PermissionDenied, 412 (version-mismatch,
// name-exists, plugin-dashboard) and other 4xx -> InvalidArgument, 5xx and transport
// errors -> Unavailable. Messages carry the URL, the uid and Grafana's own message.
class GrafanaClient {
 public:
  explicit GrafanaClient(GrafanaOptions options);

  // One POST /api/dashboards/db. Thread-compatible.
  Result<GrafanaPushResponse> PushDashboard(const RenderedDashboard& dashboard,
                                            const std::string& message) const;

  const GrafanaOptions& options() const { return options_; }

 private:
  GrafanaOptions options_;
};

// The request body for one dashboard (exposed for tests).
std::string GrafanaPushBody(const RenderedDashboard& dashboard, const std::string& folder_uid,
                            const std::string& message);

struct GrafanaSyncStats {
  int pushed = 0;
  int skipped = 0;  // unchanged since the last successful push
  int failed = 0;
};

// Pushes a set of dashboards idempotently: a dashboard whose rendered JSON is byte-identical
// to the one last pushed successfully is skipped. Stops the round at the first 401/403
// (every further push would fail the same way). Thread-safe (one round at a time).
class GrafanaPusher {
 public:
  explicit GrafanaPusher(GrafanaOptions options) : client_(std::move(options)) {}

  // Returns the first error seen (the others are logged) with the stats in *stats.
  Status Push(const std::vector<RenderedDashboard>& dashboards, GrafanaSyncStats* stats);

 private:
  GrafanaClient client_;
  std::mutex mu_;
  std::map<std::string, std::string> last_pushed_;  // uid -> JSON; guarded by mu_
};

}  // namespace abhra::provision
