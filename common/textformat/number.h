// Number tokens of the exposition formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace abhra::textformat {

// A sample value: decimal floats with optional sign, fraction and exponent, or NaN, Inf,
// +Inf, -Inf, Infinity (case-insensitive). No hex, no underscores, no surrounding space.
// nullopt if malformed or out of double range.
std::optional<double> ParseValue(std::string_view token);

// Text 0.0.4 timestamp: an optionally signed decimal integer of milliseconds, int64 range.
std::optional<int64_t> ParseMillis(std::string_view token);

// OpenMetrics timestamp: float seconds (ParseValue syntax, finite), rounded to the nearest
// millisecond; nullopt if not finite or outside int64 milliseconds.
std::optional<int64_t> ParseSecondsAsMillis(std::string_view token);

}  // namespace abhra::textformat
