// The probe's self-metrics, read at scrape time from the scheduler, sender, queue and app
// counters (a prometheus-cpp Collectable registered with common/metrics), and the same
// families as samples, for pushing them to the aggregator with the check results.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "common/labels/labels.h"
#include "probe/report/report_builder.h"

namespace abhra::probe {

class ProbeCollector final : public prometheus::Collectable {
 public:
  using Source = std::function<std::vector<prometheus::MetricFamily>()>;
  explicit ProbeCollector(Source source) : source_(std::move(source)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return source_(); }

 private:
  Source source_;
};

// Small builders for the families the probe reports.
prometheus::MetricFamily CounterFamily(std::string name, std::string help, double value);
prometheus::MetricFamily GaugeFamily(std::string name, std::string help, double value);
// Adds one more (labelled) value to a family made by the builders above.
void AddLabelled(prometheus::MetricFamily* family,
                 std::vector<prometheus::ClientMetric::Label> labels, double value);

// One sample per counter and gauge of `families` at timestamp_ms, labelled `base` plus the
// metric's own labels and __name__. Other metric types are skipped (the probe has none).
std::vector<ReportedSample> FamilySamples(const std::vector<prometheus::MetricFamily>& families,
                                          const Labels& base, int64_t timestamp_ms);

}  // namespace abhra::probe
