#include "aggregator/ingest/inflight_limiter.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace abhra::ingest {

InflightLimiter::InflightLimiter(InflightLimits limits, prometheus::Registry* registry)
    : limits_(limits) {
  if (registry == nullptr) return;
  requests_gauge_ = &prometheus::BuildGauge()
                         .Name("abhra_ingest_inflight_requests")
                         .Help("Remote-write requests admitted and not yet answered.")
                         .Register(*registry)
                         .Add({});
  bytes_gauge_ = &prometheus::BuildGauge()
                      .Name("abhra_ingest_inflight_bytes")
                      .Help("Body bytes of the remote-write requests in flight.")
                      .Register(*registry)
                      .Add({});
  auto& rejected = prometheus::BuildCounter()
                       .Name("abhra_ingest_inflight_rejected_total")
                       .Help("Remote-write requests refused with 503 because an in-flight "
                             "limit was reached, by limit.")
                       .Register(*registry);
  rejected_requests_ = &rejected.Add({{"limit", "requests"}});
  rejected_bytes_ = &rejected.Add({{"limit", "bytes"}});
}

InflightLimiter::~InflightLimiter() = default;

Result<InflightLease> InflightLimiter::TryAcquire(size_t bytes) {
  size_t before = requests_.fetch_add(1, std::memory_order_acq_rel);
  if (limits_.max_requests > 0 && before >= limits_.max_requests) {
    requests_.fetch_sub(1, std::memory_order_acq_rel);
    if (rejected_requests_ != nullptr) rejected_requests_->Increment();
    return Status::ResourceExhausted(fmt::format(
        "too many remote-write requests in flight (limit {}, --ingest.max-inflight-requests)",
        limits_.max_requests));
  }
  size_t bytes_before = bytes_.fetch_add(bytes, std::memory_order_acq_rel);
  // Alone in flight (before == 0): admitted whatever its size.
  if (limits_.max_bytes > 0 && before > 0 && bytes_before + bytes > limits_.max_bytes) {
    bytes_.fetch_sub(bytes, std::memory_order_acq_rel);
    requests_.fetch_sub(1, std::memory_order_acq_rel);
    if (rejected_bytes_ != nullptr) rejected_bytes_->Increment();
    return Status::ResourceExhausted(fmt::format(
        "too many remote-write bytes in flight: {} + this request's {} would exceed the limit "
        "of {} (--ingest.max-inflight-bytes)",
        bytes_before, bytes, limits_.max_bytes));
  }
  return Lease(1, bytes);
}

Result<InflightLease> InflightLimiter::TryAcquireMore(size_t bytes) {
  size_t bytes_before = bytes_.fetch_add(bytes, std::memory_order_acq_rel);
  if (limits_.max_bytes > 0 && bytes_before + bytes > limits_.max_bytes &&
      requests_.load(std::memory_order_acquire) > 1) {
    bytes_.fetch_sub(bytes, std::memory_order_acq_rel);
    if (rejected_bytes_ != nullptr) rejected_bytes_->Increment();
    return Status::ResourceExhausted(fmt::format(
        "too many remote-write bytes in flight: {} + this request's {} decoded bytes would "
        "exceed the limit of {} (--ingest.max-inflight-bytes)",
        bytes_before, bytes, limits_.max_bytes));
  }
  return Lease(0, bytes);
}

InflightLease InflightLimiter::Lease(size_t requests, size_t bytes) {
  if (requests_gauge_ != nullptr) {
    requests_gauge_->Increment(static_cast<double>(requests));
    bytes_gauge_->Increment(static_cast<double>(bytes));
  }
  return InflightLease(static_cast<void*>(this), [requests, bytes](void* self) {
    static_cast<InflightLimiter*>(self)->Release(requests, bytes);
  });
}

void InflightLimiter::Release(size_t requests, size_t bytes) {
  bytes_.fetch_sub(bytes, std::memory_order_acq_rel);
  requests_.fetch_sub(requests, std::memory_order_acq_rel);
  if (requests_gauge_ != nullptr) {
    requests_gauge_->Decrement(static_cast<double>(requests));
    bytes_gauge_->Decrement(static_cast<double>(bytes));
  }
}

}  // namespace abhra::ingest
