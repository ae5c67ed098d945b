// Parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text format,
// as a scraper (the probe) reads /metrics bodies. See docs/textformat.md for what is accepted.
#pragma once

#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/textformat/exposition.h"

namespace abhra::textformat {

// Appends every sample of `body` to *out (labels include __name__; samples kept as exposed,
// e.g. OpenMetrics x_total and x_created stay separate samples) and, if `metadata` is not
// null, the HELP/TYPE/UNIT information per family to *metadata.
// On error returns InvalidArgument "line L, column C: what was wrong" (1-based, columns in
// bytes); *out and *metadata may then hold the samples before the error.
Status ParseTextFormat(std::string_view body, Format format, std::vector<ParsedSample>* out,
                       std::vector<MetricFamilyInfo>* metadata);

}  // namespace abhra::textformat
