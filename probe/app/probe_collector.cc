#include "probe/app/probe_collector.h"

namespace abhra::probe {

prometheus::MetricFamily CounterFamily(std::string name, std::string help, double value) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Counter;
  prometheus::ClientMetric m;
  m.counter.value = value;
  f.metric.push_back(m);
  return f;
}

prometheus::MetricFamily GaugeFamily(std::string name, std::string help, double value) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric m;
  m.gauge.value = value;
  f.metric.push_back(m);
  return f;
}

void AddLabelled(prometheus::MetricFamily* family,
                 std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (family->type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  family->metric.push_back(std::move(m));
}

std::vector<ReportedSample> FamilySamples(const std::vector<prometheus::MetricFamily>& families,
                                          const Labels& base, int64_t timestamp_ms) {
  std::vector<ReportedSample> out;
  for (const prometheus::MetricFamily& f : families) {
    const bool counter = f.type == prometheus::MetricType::Counter;
    if (!counter && f.type != prometheus::MetricType::Gauge) continue;
    for (const prometheus::ClientMetric& m : f.metric) {
      Labels labels = base;
      labels.Set(kMetricName, f.name);
      for (const prometheus::ClientMetric::Label& l : m.label) labels.Set(l.name, l.value);
      out.push_back({std::move(labels), timestamp_ms, counter ? m.counter.value : m.gauge.value});
    }
  }
  return out;
}

}  // namespace abhra::probe
