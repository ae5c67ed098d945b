// Helpers shared by the fuzz targets. Header-only; fuzz build only.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "common/remote/decoded_write_request.h"

namespace abhra::fuzz {

// Reads every byte of `s` so that ASan flags a view into freed or foreign memory.
inline uint64_t Touch(std::string_view s) {
  uint64_t h = s.size();
  for (char c : s) h = h * 131 + static_cast<unsigned char>(c);
  return h;
}

// Reads everything a decoded write request refers to and checks its index ranges.
inline void TouchDecoded(const remote::DecodedWriteRequest& req) {
  uint64_t h = 0;
  for (std::string_view s : req.symbols) h += Touch(s);
  for (const auto& l : req.labels) h += Touch(l.name) + Touch(l.value);
  for (const auto& l : req.exemplar_labels) h += Touch(l.name) + Touch(l.value);
  for (const auto& m : req.metadata) h += Touch(m.family_name) + Touch(m.help) + Touch(m.unit);
  for (const auto& s : req.series) {
    if (s.label_begin > s.label_end || s.label_end > req.labels.size() ||
        s.sample_begin > s.sample_end || s.sample_end > req.samples.size() ||
        s.exemplar_begin > s.exemplar_end || s.exemplar_end > req.exemplars.size() ||
        (s.metadata != remote::kNoMetadata && s.metadata >= req.metadata.size())) {
      std::abort();  // a SeriesView range outside its arrays
    }
    for (const auto& l : req.LabelsOf(s)) h += Touch(l.name);
  }
  for (const auto& e : req.exemplars) {
    if (e.label_begin > e.label_end || e.label_end > req.exemplar_labels.size()) std::abort();
  }
  // Keep the compiler from dropping the reads.
  volatile uint64_t sink = h;
  (void)sink;
}

}  // namespace abhra::fuzz
