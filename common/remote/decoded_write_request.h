// A decoded remote-write request (1.0 or 2.0) as flat arrays of views, so that decoding
// allocates per request (and not even that once the vectors have grown), never per label.
//
// Every string_view points into the bytes that were decoded: `buffer` for the snappy entry
// points, the caller's bytes for the Parse* entry points. Views are valid until the next
// Clear()/decode into the same object, or until the caller's bytes go away.
// Not thread-safe; reuse one per connection or worker.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels/labels.h"

namespace abhra::remote {

// Remote-write 1.0 MetricMetadata.MetricType numbering (2.0 uses the same numbers).
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
std::string_view MetricTypeName(MetricType t);  // "counter", "gauge", ..., "unknown"

using LabelView = ::abhra::LabelView;  // common/labels/labels.h

struct SampleValue {
  int64_t timestamp_ms;
  double value;  // bit-exact as received (stale markers stay 0x7ff0000000000002)
};

struct ExemplarView {
  uint32_t label_begin, label_end;  // into DecodedWriteRequest::exemplar_labels
  double value;
  int64_t timestamp_ms;
};

struct MetadataView {
  MetricType type = MetricType::kUnknown;
  std::string_view family_name;  // 2.0: the series' __name__
  std::string_view help;
  std::string_view unit;
};

inline constexpr uint32_t kNoMetadata = UINT32_MAX;

// Half-open index ranges into the arrays of DecodedWriteRequest.
struct SeriesView {
  uint32_t label_begin, label_end;        // labels
  uint32_t sample_begin, sample_end;      // samples
  uint32_t exemplar_begin, exemplar_end;  // exemplars
  uint32_t histograms;                    // native histograms seen and skipped
  uint32_t metadata;                      // 2.0 only: index into metadata, or kNoMetadata
};

struct DecodedWriteRequest {
  // Decompressed protobuf; only the first `body.size()` bytes are meaningful (the string
  // keeps its largest size so reuse does not zero-fill).
  std::string buffer;
  std::string_view body;

  std::vector<std::string_view> symbols;  // 2.0 only
  std::vector<LabelView> labels;           // in wire order; validation is the caller's job
  std::vector<SampleValue> samples;
  std::vector<ExemplarView> exemplars;
  std::vector<LabelView> exemplar_labels;
  std::vector<SeriesView> series;
  std::vector<MetadataView> metadata;  // 1.0: WriteRequest.metadata; 2.0: per series
  size_t histograms_skipped = 0;

  // Empties every array but keeps capacity (and `buffer`).
  void Clear() {
    body = {};
    symbols.clear();
    labels.clear();
    samples.clear();
    exemplars.clear();
    exemplar_labels.clear();
    series.clear();
    metadata.clear();
    histograms_skipped = 0;
  }

  std::span<const LabelView> LabelsOf(const SeriesView& s) const {
    return std::span<const LabelView>(labels).subspan(s.label_begin, s.label_end - s.label_begin);
  }
  std::span<const SampleValue> SamplesOf(const SeriesView& s) const {
    return std::span<const SampleValue>(samples).subspan(s.sample_begin,
                                                         s.sample_end - s.sample_begin);
  }
  std::span<const ExemplarView> ExemplarsOf(const SeriesView& s) const {
    return std::span<const ExemplarView>(exemplars).subspan(s.exemplar_begin,
                                                             s.exemplar_end - s.exemplar_begin);
  }
  std::span<const LabelView> LabelsOf(const ExemplarView& e) const {
    return std::span<const LabelView>(exemplar_labels)
        .subspan(e.label_begin, e.label_end - e.label_begin);
  }
};

}  // namespace abhra::remote
