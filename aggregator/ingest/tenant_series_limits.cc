#include "aggregator/ingest/tenant_series_limits.h"

#include <mutex>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "aggregator/ingest/tenancy.h"

namespace abhra::ingest {

struct TenantSeriesLimits::Tenant {
  std::atomic<size_t> series{0};
  size_t limit = 0;
  bool own_limit = false;  // from tenants[].max_series rather than the default
  prometheus::Gauge* series_gauge = nullptr;
  prometheus::Counter* rejected = nullptr;
};

TenantSeriesLimits::TenantSeriesLimits(TenantSeriesLimitsOptions options,
                                       prometheus::Registry* registry)
    : options_(std::move(options)), registry_(registry) {
  // Configured tenants show their limit from the start.
  for (const auto& [name, limit] : options_.max_series) Get(name);
}

TenantSeriesLimits::~TenantSeriesLimits() = default;

std::string_view TenantSeriesLimits::TenantOf(std::span<const LabelView> labels) {
  for (const LabelView& l : labels) {
    if (l.name == kTenantLabel) return l.value.empty() ? kDefaultTenant : l.value;
  }
  return kDefaultTenant;
}

size_t TenantSeriesLimits::LimitOf(std::string_view tenant) const {
  auto it = options_.max_series.find(tenant);
  return it != options_.max_series.end() ? it->second : options_.default_max_series;
}

TenantSeriesLimits::Tenant* TenantSeriesLimits::Get(std::string_view name) {
  {
    std::shared_lock lock(mu_);
    auto it = tenants_.find(name);
    if (it != tenants_.end()) return it->second.get();
  }
  std::unique_lock lock(mu_);
  auto it = tenants_.find(name);
  if (it != tenants_.end()) return it->second.get();
  auto t = std::make_unique<Tenant>();
  t->limit = LimitOf(name);
  t->own_limit = options_.max_series.count(name) > 0;
  if (registry_ != nullptr) {
    std::map<std::string, std::string> labels{{"tenant", std::string(name)}};
    t->series_gauge = &prometheus::BuildGauge()
                           .Name("abhra_tenant_series")
                           .Help("Series in the head per tenant (environment).")
                           .Register(*registry_)
                           .Add(labels);
    prometheus::BuildGauge()
        .Name("abhra_tenant_series_limit")
        .Help("Most series a tenant may have in the head; 0 = unlimited.")
        .Register(*registry_)
        .Add(labels)
        .Set(static_cast<double>(t->limit));
    t->rejected = &prometheus::BuildCounter()
                       .Name("abhra_tenant_series_rejected_total")
                       .Help("New series refused because their tenant was at its series limit.")
                       .Register(*registry_)
                       .Add(labels);
  }
  Tenant* raw = t.get();
  tenants_.emplace(std::string(name), std::move(t));
  return raw;
}

Status TenantSeriesLimits::Acquire(std::span<const LabelView> labels, bool enforce) {
  std::string_view name = TenantOf(labels);
  Tenant* t = Get(name);
  size_t before = t->series.fetch_add(1, std::memory_order_relaxed);
  if (enforce && t->limit > 0 && before >= t->limit) {
    t->series.fetch_sub(1, std::memory_order_relaxed);
    if (t->rejected != nullptr) t->rejected->Increment();
    return Status::ResourceExhausted(fmt::format(
        "tenant \"{}\" has reached its limit of {} series ({}); samples for new series are "
        "rejected, samples for its existing series are still accepted",
        name, t->limit, t->own_limit ? "tenants[].max_series" : "limits.max_series_per_tenant"));
  }
  if (t->series_gauge != nullptr) t->series_gauge->Increment();
  return Status::Ok();
}

void TenantSeriesLimits::Release(std::span<const LabelView> labels) {
  Tenant* t = Get(TenantOf(labels));
  t->series.fetch_sub(1, std::memory_order_relaxed);
  if (t->series_gauge != nullptr) t->series_gauge->Decrement();
}

size_t TenantSeriesLimits::Series(std::string_view tenant) const {
  std::shared_lock lock(mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second->series.load(std::memory_order_relaxed);
}

}  // namespace abhra::ingest
