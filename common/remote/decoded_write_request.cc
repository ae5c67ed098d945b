#include "common/remote/decoded_write_request.h"

namespace abhra::remote {

std::string_view MetricTypeName(MetricType t) {
  switch (t) {
    case MetricType::kUnknown: return "unknown";
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kGaugeHistogram: return "gaugehistogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kInfo: return "info";
    case MetricType::kStateset: return "stateset";
  }
  return "unknown";
}

}  // namespace abhra::remote
