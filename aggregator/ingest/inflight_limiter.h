// InflightLimiter: a bound on the remote-write work the aggregator holds at once, so that
// ingestion beyond capacity is refused fast (503 + Retry-After, which remote-write senders
// retry with backoff) instead of queueing request bodies without bound.
//
// Two limits, each 0 = unlimited: requests in flight, and bytes in flight: their bodies
// (Content-Length), plus each one's decoded size while it is decoded and stored
// (TryAcquireMore). A request is in flight from admission (its header has arrived, its body
// not yet read) until its response is written. A request is always admitted when nothing
// else is in flight, whatever its size (the server's max body size still applies), so a
// limit smaller than one request cannot stall ingestion.
//
// Self metrics: abhra_ingest_inflight_requests, abhra_ingest_inflight_bytes (gauges) and
// abhra_ingest_inflight_rejected_total{limit="requests"|"bytes"}.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "common/base/status.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
}  // namespace prometheus

namespace abhra::ingest {

struct InflightLimits {
  size_t max_requests = 0;  // --ingest.max-inflight-requests; 0 = unlimited
  size_t max_bytes = 0;     // --ingest.max-inflight-bytes; 0 = unlimited
};

// An admitted request's share of the limits, given back when the last copy is destroyed.
using InflightLease = std::shared_ptr<void>;

class InflightLimiter {
 public:
  // `registry` may be null (no metrics). REQUIRES: outlives every lease it grants.
  InflightLimiter(InflightLimits limits, prometheus::Registry* registry);
  ~InflightLimiter();

  // Admits a request with a body of `bytes`, or ResourceExhausted saying which limit is full
  // (with the limit and what is in flight). Thread-safe, lock-free.
  Result<InflightLease> TryAcquire(size_t bytes);
  // More bytes for a request already admitted (e.g. its decoded body), without counting
  // another request: ResourceExhausted when they would take the bytes in flight over the
  // limit, unless at most one request is in flight (then it is granted).
  Result<InflightLease> TryAcquireMore(size_t bytes);

  size_t requests() const { return requests_.load(std::memory_order_relaxed); }
  size_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  const InflightLimits& limits() const { return limits_; }

 private:
  void Release(size_t requests, size_t bytes);
  InflightLease Lease(size_t requests, size_t bytes);

  const InflightLimits limits_;
  std::atomic<size_t> requests_{0};
  std::atomic<size_t> bytes_{0};
  prometheus::Gauge* requests_gauge_ = nullptr;
  prometheus::Gauge* bytes_gauge_ = nullptr;
  prometheus::Counter* rejected_requests_ = nullptr;
  prometheus::Counter* rejected_bytes_ = nullptr;
};

}  // namespace abhra::ingest
