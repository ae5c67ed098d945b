// StatusPage: the on-call status page at `/` and its data at `/api/v1/status/page`.
//
//   GET /                      the HTML page (self-contained; refreshes itself every 30 s)
//   GET /?partial=1            the page content only (what the refresh script swaps in)
//   GET /api/v1/status/page    the same data as JSON: {"status":"success","data":{...}}
//
// Data comes from StatusCollector (a fixed number of queries per render) plus the alert and
// incident hooks; one collection is reused for `cache_ms` so many open pages cost one.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/web/status_collector.h"
#include "aggregator/web/status_model.h"
#include "aggregator/web/status_page_html.h"
#include "common/base/clock.h"
#include "common/http/router.h"

namespace abhra::web {

struct StatusPageOptions {
  StatusCollectorOptions collector;
  StatusPageHtmlOptions html;
  int64_t cache_ms = 5000;    // reuse a collection this long; 0 = collect every request
  size_t max_incidents = 20;  // newest first
};

using AlertsSource = std::function<std::vector<AlertView>()>;
using IncidentsSource = std::function<std::vector<IncidentView>()>;

class StatusPage {
 public:
  // REQUIRES: *db and *clock outlive the page.
  StatusPage(storage::Queryable* db, StatusPageOptions options, const Clock* clock = &Clock::Real());

  // Hooks for firing alerts and recent incidents; called once per collection, from HTTP
  // worker threads (so they must be thread-safe). Set before the server starts.
  void SetAlertsSource(AlertsSource source) { alerts_ = std::move(source); }
  void SetIncidentsSource(IncidentsSource source) { incidents_ = std::move(source); }

  // The data (cached for cache_ms). Thread-safe.
  std::shared_ptr<const StatusPageData> Data();

  void RegisterRoutes(http::Router* router);

  // JSON for /api/v1/status/page (exposed for tests).
  static std::string ToJson(const StatusPageData& data);

 private:
  StatusPageData CollectNow();

  const StatusPageOptions options_;
  const Clock* const clock_;
  StatusCollector collector_;
  AlertsSource alerts_;
  IncidentsSource incidents_;

  std::mutex mu_;  // serialises collections so concurrent requests share one
  std::shared_ptr<const StatusPageData> cached_;  // guarded by mu_
  int64_t cached_at_ms_ = 0;                      // guarded by mu_
};

}  // namespace abhra::web
