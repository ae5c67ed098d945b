// Writes the JSON of the Prometheus HTTP API directly into a string, with Prometheus' exact
// number formats: sample values as strings in Go's shortest 'f' form ('e' when |v| < 1e-6 or
// >= 1e21), "NaN", "+Inf", "-Inf"; timestamps as seconds with at most 3 decimals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace abhra::api {

// Appends `v` as Prometheus formats a sample value, without quotes.
void AppendSampleValue(std::string* out, double v);
// Appends a millisecond timestamp of a vector or matrix point as Prometheus writes it: whole
// seconds, then "." and exactly three digits unless they are all zero:
// 1435781451781 → 1435781451.781, 1500 → 1.500, 1000 → 1.
void AppendTimestamp(std::string* out, int64_t t_ms);
// Appends a JSON string literal (quotes included), escaping as JSON requires.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace abhra::api
