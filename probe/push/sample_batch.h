// The payload of one durable-queue record: a batch of labelled samples, snappy-compressed.
// Format in docs/queue.md. Codecs append (Encode) and consume (Decode).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "probe/report/report_builder.h"

namespace abhra::probe {

// Encodes `a` followed by `b` as one batch.
void EncodeSampleBatch(std::span<const ReportedSample> a, std::span<const ReportedSample> b,
                       std::string* dst);
inline void EncodeSampleBatch(std::span<const ReportedSample> samples, std::string* dst) {
  EncodeSampleBatch(samples, {}, dst);
}
// Appends the decoded samples to *out. Corruption on malformed input.
Status DecodeSampleBatch(std::string_view record, std::vector<ReportedSample>* out);

}  // namespace abhra::probe
