// Request metrics for an http::Server, in Prometheus' own naming.
#pragma once

#include <prometheus/registry.h>

#include "common/http/server.h"

namespace abhra::metrics {

// An observer for ServerOptions::observer that counts requests in
// abhra_http_requests_total{handler,code} and times them in
// abhra_http_request_duration_seconds{handler} (handler = the route pattern, "none" when no
// route matched). REQUIRES: *registry outlives the returned observer.
http::RequestObserver HttpRequestObserver(prometheus::Registry* registry);

}  // namespace abhra::metrics
