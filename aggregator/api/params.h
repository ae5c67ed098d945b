// Parsing of the Prometheus HTTP API's parameters: times and durations.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/base/status.h"

namespace abhra::api {

// Sentinels Prometheus uses for an absent start/end (ms).
inline constexpr int64_t kMinTimeMs = -9223372036854775LL;  // MinInt64/1000 as in Prometheus' API
inline constexpr int64_t kMaxTimeMs = 9223372036854775LL;

// A time as unix seconds (float, rounded to ms) or RFC3339 ("2026-11-23T09:16:11.5Z",
// offsets allowed). Result in ms. InvalidArgument: `cannot parse "x" to a valid timestamp`.
Result<int64_t> ParseTime(std::string_view text);
// A duration as float seconds ("15", "0.5") or Prometheus syntax ("1m30s", "2h", "500ms",
// "1y2w3d"). Result in ms. InvalidArgument: `cannot parse "x" to a valid duration`.
Result<int64_t> ParseDuration(std::string_view text);
// Prometheus duration syntax only (no plain numbers): used by configs and PromQL. ms.
Result<int64_t> ParsePromDuration(std::string_view text);

}  // namespace abhra::api
