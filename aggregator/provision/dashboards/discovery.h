// Discovery of environments and deployed versions from the stored data.
#pragma once

#include <cstdint>
#include <vector>

#include "aggregator/provision/dashboards/dashboard_set.h"
#include "aggregator/storage/storage.h"
#include "common/base/status.h"

namespace abhra::provision {

// Environments: every value of `env` on probe_success or abhra_target_info series with
// samples in [now_ms - window_ms, now_ms]. Versions per environment: every value of
// `version` on abhra_target_info{env=...} in the same window. So a version keeps its
// dashboards for `window_ms` after its last abhra_target_info sample (the grace period).
// Sorted by env, versions sorted and unique; series with an empty env are ignored.
// Two Selects whatever the number of environments (one Seek per series).
Result<std::vector<EnvironmentVersions>> DiscoverEnvironments(storage::Queryable& db,
                                                               int64_t now_ms,
                                                               int64_t window_ms);

}  // namespace abhra::provision
