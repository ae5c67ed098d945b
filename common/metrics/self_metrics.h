// The process's own metrics ("self-metrics"): one process-wide prometheus-cpp registry that
// every component registers into, rendered in the text format at /metrics on our own
// server (prometheus-cpp's civetweb exposer is not used).
#pragma once

#include <memory>
#include <string>

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include "common/http/router.h"

namespace abhra::metrics {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// The process-wide registry. Created on first use with the process collector and the
// abhra_build_info gauge already in it; never destroyed. Thread-safe (as prometheus-cpp's
// Registry is).
prometheus::Registry& SelfRegistry();

// Adds a collectable rendered together with SelfRegistry(). Held weakly: it disappears when
// its owner drops it. Thread-safe.
void AddCollectable(const std::shared_ptr<prometheus::Collectable>& collectable);

// Every self-metric in the Prometheus text format 0.0.4. Thread-safe.
std::string RenderSelfMetrics();

// Registers GET /metrics on `router`, answering RenderSelfMetrics() with kTextContentType.
void RegisterMetricsRoute(http::Router* router);

}  // namespace abhra::metrics
