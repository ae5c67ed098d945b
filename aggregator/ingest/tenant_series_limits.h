// Per-tenant series limits, as the head's SeriesQuota: a tenant (environment) may have at
// most N series in the head; samples for further new series are refused (remote-write
// answers 429, as Thanos receive does) while samples for its existing series still go in.
// A series' tenant is its `env` label, "default" without one (the remote-write handler adds
// env from THANOS-TENANT before appending, so this matches TenantPolicy::SeriesTenant).
//
// Cost: consulted only when a series is created or removed, never per sample. Counters are
// per-tenant atomics; the tenant table takes a shared lock (exclusive once per new tenant).
//
// Self metrics: abhra_tenant_series{tenant} (series in the head), abhra_tenant_series_limit
// {tenant} (0 = unlimited), abhra_tenant_series_rejected_total{tenant} (new series refused).
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "aggregator/tsdb/head/series_quota.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
}  // namespace prometheus

namespace abhra::ingest {

struct TenantSeriesLimitsOptions {
  size_t default_max_series = 0;  // limits.max_series_per_tenant; 0 = unlimited
  // tenants[].max_series: overrides the default for these tenants (0 = unlimited).
  std::map<std::string, size_t, std::less<>> max_series;
};

class TenantSeriesLimits final : public tsdb::SeriesQuota {
 public:
  // `registry` may be null (no metrics).
  TenantSeriesLimits(TenantSeriesLimitsOptions options, prometheus::Registry* registry);
  ~TenantSeriesLimits() override;

  // ResourceExhausted names the tenant, its limit and the config key that set it.
  Status Acquire(std::span<const LabelView> labels, bool enforce) override;
  void Release(std::span<const LabelView> labels) override;

  // Series the tenant has in the head now.
  size_t Series(std::string_view tenant) const;
  // The limit that applies to `tenant` (0 = unlimited).
  size_t LimitOf(std::string_view tenant) const;

  // The tenant a stored series belongs to: its env label, or "default".
  static std::string_view TenantOf(std::span<const LabelView> labels);

 private:
  struct Tenant;
  Tenant* Get(std::string_view name);

  const TenantSeriesLimitsOptions options_;
  prometheus::Registry* registry_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Tenant>, std::less<>> tenants_;  // guarded by mu_
};

}  // namespace abhra::ingest
