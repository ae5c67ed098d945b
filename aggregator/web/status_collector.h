// StatusCollector: the data of the status page from the TSDB, in a fixed number of PromQL
// queries whatever the number of services (every query aggregates `by (env, service)`):
//   state:    min/max by (env, service) (probe_success), min_over_time over the state window,
//             the newest sample's timestamp (a dead probe shows "no data", never green)
//   services: the (env, service) pairs with probe_success in the last 24 h (one Seek per series), so a
//             service whose probe died stays on the page as "no data"
//   versions: count by (env, service, version) (last_over_time(abhra_target_info[10m]))
//   uptime:   sum(sum_over_time(probe_success[W])) / sum(count_over_time(probe_success[W]))
//             by (env, service) for W = 24h, 7d, 30d: the fraction of probe results that
//             succeeded, correct on sparse data (it counts the samples that exist; it does not
//             assume a scrape interval). The same formula as the fleet dashboard.
//   latency:  range query of avg by (env, service) (probe_duration_seconds) over the
//             sparkline window.
#pragma once

#include <cstdint>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/storage/storage.h"
#include "aggregator/web/status_model.h"
#include "common/base/clock.h"
#include "common/base/status.h"

namespace abhra::web {

struct StatusCollectorOptions {
  // Probe results older than this count as missing: the service shows "no data".
  int64_t stale_after_ms = 2 * 60 * 1000;
  // A failure within this window makes an up service "degraded" (flapping).
  int64_t state_window_ms = 5 * 60 * 1000;
  // Services with probe results within this window are listed.
  int64_t list_window_ms = 24 * 3600 * 1000;
  int64_t sparkline_window_ms = 3600 * 1000;
  int64_t sparkline_step_ms = 60 * 1000;
  // Matchers every probe selector gets.
  std::string probe_selector = "job=\"abhra-probe\"";
};

class StatusCollector {
 public:
  // REQUIRES: *db and *clock outlive the collector. Thread-safe.
  StatusCollector(storage::Queryable* db, StatusCollectorOptions options,
                  const Clock* clock = &Clock::Real());

  // Services with state, versions, uptime and latency at the clock's now. Query failures
  // are recorded in data.errors (the page shows them) rather than failing the whole page.
  StatusPageData Collect() const;

 private:
  storage::Queryable* const db_;
  const StatusCollectorOptions options_;
  const Clock* const clock_;
  promql::Engine engine_;
};

}  // namespace abhra::web
