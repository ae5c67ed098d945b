// The most recent samples of every target, rendered in the Prometheus text format at
// /probe/metrics (useful without an aggregator, for debugging, and for side-by-side tests
// with blackbox_exporter). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "probe/report/report_builder.h"

namespace abhra::probe {

class LatestResults {
 public:
  // Replaces the samples of `target` (shared with the ReportBuilder, not copied).
  void Set(const std::string& target, std::shared_ptr<const std::vector<ReportedSample>> samples);
  // Keeps only the named targets.
  void Retain(const std::vector<std::string>& targets);
  // "name{labels} value timestamp_ms" lines, sorted by target then as reported.
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::vector<ReportedSample>>> by_target_;  // guarded by mu_
};

}  // namespace abhra::probe
