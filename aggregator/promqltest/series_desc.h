// Series descriptions of Prometheus' .test scripts: `metric{l="v"} 1+2x3 _ stale 4x2`.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::promqltest {

// One position of an expanded value sequence; nullopt = omitted (`_`).
using SequenceValue = std::optional<double>;

struct SeriesDesc {
  Labels labels;
  std::vector<SequenceValue> values;
  bool native_histogram = false;  // the line holds {{...}} values (not supported)
};

// Parses `metric{labels} values...` (the values part may be empty).
Result<SeriesDesc> ParseSeriesDesc(std::string_view line);

// Expands one value item: "1+2x3" -> 1 3 5 7, "_x2" -> _ _, "stale", "-Inf", "5x2" -> 5 5 5.
Status ExpandValueItem(std::string_view item, std::vector<SequenceValue>* out);

}  // namespace abhra::promqltest
