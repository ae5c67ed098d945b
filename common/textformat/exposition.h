// Types shared by the exposition-format parsers: Prometheus text 0.0.4 and OpenMetrics 1.0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/labels/labels.h"

namespace abhra::textformat {

enum class Format { kPrometheus, kOpenMetrics };

// What a scraper should send as Accept: OpenMetrics preferred, text 0.0.4 accepted.
inline constexpr std::string_view kScrapeAcceptHeader =
    "application/openmetrics-text;version=1.0.0;q=0.5,"
    "text/plain;version=0.0.4;q=0.4,*/*;q=0.1";

// Picks the parser for a scrape response: "application/openmetrics-text" (any version,
// parameters and case ignored) is OpenMetrics; anything else, including an empty or unknown
// type, is the Prometheus text format, as Prometheus itself falls back.
Format FormatFromContentType(std::string_view content_type);

// Numbering matches remote-write's MetricMetadata.MetricType. Text 0.0.4's "untyped" and
// OpenMetrics' "unknown" are both kUnknown.
enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateset = 7,
};
std::string_view MetricTypeName(MetricType t);

struct ParsedExemplar {
  Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct ParsedSample {
  Labels labels;  // includes __name__, sorted
  double value = 0;
  std::optional<int64_t> timestamp_ms;     // as exposed; absent means "scrape time"
  std::optional<ParsedExemplar> exemplar;  // OpenMetrics only
};

// What # HELP / # TYPE / # UNIT said about one metric family, in order of first mention.
struct MetricFamilyInfo {
  std::string name;
  MetricType type = MetricType::kUnknown;
  std::string help;
  std::string unit;  // OpenMetrics only
};

}  // namespace abhra::textformat
