// Prometheus duration syntax: "15s", "1m30s", "1h", "500ms", "2d", "1w", "1y", "0".
// Units must appear at most once each, from largest to smallest: y w d h m s ms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace abhra::probe {

// Milliseconds. InvalidArgument with the offending text on anything else.
Result<int64_t> ParseDuration(std::string_view text);

// The shortest Prometheus form of a duration in milliseconds: 90000 → "1m30s", 0 → "0s".
std::string FormatDuration(int64_t ms);

// Byte sizes: "1048576", "512KiB", "64MiB", "2GiB", "1GB" (SI: 1000-based), "100B".
Result<int64_t> ParseByteSize(std::string_view text);

}  // namespace abhra::probe
