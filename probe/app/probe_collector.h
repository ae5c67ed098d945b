// The probe's self-metrics, read at scrape time from the scheduler, sender, queue and app
// counters (a prometheus-cpp Collectable registered with common/metrics).
#pragma once

#include <functional>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

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

}  // namespace abhra::probe
