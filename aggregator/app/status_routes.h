// The aggregator's own status endpoints: GET /-/healthy, GET /-/ready and
// GET /api/v1/status/buildinfo (Prometheus API envelope, interfaces.md §1).
#pragma once

#include <atomic>
#include <string>

#include "common/http/router.h"

namespace abhra::aggregator {

// /-/healthy answers 200 "Healthy" while the process serves HTTP. /-/ready answers 200
// "Ready" once *ready is true and 503 "Service Unavailable" before. buildinfo answers
// BuildInfoJson(). REQUIRES: *ready outlives the router's use.
void RegisterStatusRoutes(http::Router* router, const std::atomic<bool>* ready);

// {"status":"success","data":{"version","revision","branch","buildUser","buildDate",
// "goVersion"}} with no "features" key (Grafana would take us for Mimir).
std::string BuildInfoJson();

}  // namespace abhra::aggregator
