// POST /api/v1/write: Prometheus remote-write 1.0 (and 2.0) into the head.
//
// Responses, as senders expect them (interfaces.md §2):
//   204  everything stored (2.0: with X-Prometheus-Remote-Write-*-Written headers)
//   400  bad data, never retried: undecodable snappy/protobuf, invalid labels, or samples
//        rejected as out of order / duplicate / too old (the rest of the request IS stored;
//        the message counts what was rejected, by reason, with the first example)
//   401/403  missing or unknown token / a token writing another tenant's series
//   413  body too large (the server's limit), or decoded size over the limit
//   415  a Content-Encoding other than snappy or a Content-Type we do not speak
//   429  samples for new series of a tenant at its series limit were rejected (the rest IS
//        stored; the message names the tenant and the limit); like Thanos receive
//   503 + Retry-After  over the in-flight limits (Admit(), before the body is read; or its
//        decoded size, before decoding), or storage could not take it (shutting down);
//        5xx are retried by senders
// Thread-safe: requests run concurrently on the server's workers.
#pragma once

#include <memory>
#include <string>

#include "aggregator/ingest/inflight_limiter.h"
#include "aggregator/ingest/tenancy.h"
#include "common/http/router.h"

namespace prometheus {
class Registry;
}

namespace abhra::tsdb {
class Head;
}

namespace abhra::ingest {

struct RemoteWriteOptions {
  size_t max_decoded_bytes = 256u << 20;  // decompressed protobuf bound (snappy bomb guard)
  std::vector<TenantConfig> tenants;
  InflightLimits inflight;  // bounds on requests and body bytes in flight (Admit())
};

class RemoteWriteHandler {
 public:
  // REQUIRES: *head and *registry outlive the handler.
  RemoteWriteHandler(tsdb::Head* head, RemoteWriteOptions options, prometheus::Registry* registry);
  ~RemoteWriteHandler();

  void RegisterRoutes(http::Router* router);
  void Handle(const http::Request& request, http::Response* response);
  // Admission control for the server (ServerOptions::admission): a remote-write request over
  // the in-flight limits gets 503 + Retry-After before its body is read; everything else is
  // admitted. Cheap; thread-safe.
  http::Admission Admit(const http::RequestHead& head);

 private:
  struct Metrics;
  tsdb::Head* head_;
  RemoteWriteOptions options_;
  TenantPolicy policy_;
  std::unique_ptr<Metrics> metrics_;
  InflightLimiter inflight_;
};

}  // namespace abhra::ingest
