#include "common/metrics/http_metrics.h"

#include <string>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

namespace abhra::metrics {

http::RequestObserver HttpRequestObserver(prometheus::Registry* registry) {
  auto& requests = prometheus::BuildCounter()
                       .Name("abhra_http_requests_total")
                       .Help("Counter of HTTP requests by route and status code.")
                       .Register(*registry);
  auto& durations = prometheus::BuildHistogram()
                        .Name("abhra_http_request_duration_seconds")
                        .Help("Histogram of latencies for HTTP requests, from the request "
                              "being read to the response being queued.")
                        .Register(*registry);
  return [&requests, &durations](const http::RequestRecord& record) {
    std::string handler = record.route.empty() ? "none" : std::string(record.route);
    requests.Add({{"handler", handler}, {"code", std::to_string(record.status)}}).Increment();
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
    durations.Add({{"handler", handler}}, kBuckets).Observe(record.duration_seconds);
  };
}

}  // namespace abhra::metrics
