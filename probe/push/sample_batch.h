// The payload of one durable-queue record: a batch of labelled samples, snappy-compressed.
// Format in docs/queue.md. Codecs append (Encode) and consume (Decode).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "probe/report/report_builder.h"

namespace abhra::probe {

void EncodeSampleBatch(const std::vector<ReportedSample>& samples, std::string* dst);
// Appends the decoded samples to *out. Corruption on malformed input.
Status DecodeSampleBatch(std::string_view record, std::vector<ReportedSample>* out);

}  // namespace abhra::probe
