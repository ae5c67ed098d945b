// WAL record payloads, in Prometheus' tsdb/record encoding (see docs/wal.md):
//   series  (type 1): { ref u64be, uvarint n, n × (uvarint len, name, uvarint len, value) }*
//   samples (type 2): first ref u64be, first t i64be,
//                     then per sample { varint(ref-first), varint(t-first t), value u64be }
// Codecs append to a caller-owned buffer and decode from a view (no copies of strings).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::tsdb {

enum class RecordType : uint8_t { kSeries = 1, kSamples = 2, kTombstones = 3 };

using LabelView = ::abhra::LabelView;  // common/labels/labels.h

struct RefSample {
  uint64_t ref = 0;
  int64_t t = 0;  // ms
  double v = 0;
};

// Series record writer: Begin once, then AddSeries per series.
void BeginSeriesRecord(std::string* dst);
void AddSeries(std::string* dst, uint64_t ref, std::span<const LabelView> labels);

// Samples record; empty `samples` gives a bare type byte, as Prometheus does.
void EncodeSamples(std::string* dst, std::span<const RefSample> samples);

// The record's type, or Corruption for an empty record.
Result<RecordType> PeekRecordType(std::string_view rec);

// Calls fn(ref, labels) per series; `labels` views point into `rec`. Corruption on bad bytes.
Status DecodeSeries(std::string_view rec,
                    const std::function<void(uint64_t ref, std::span<const LabelView>)>& fn);
// Appends the record's samples to *out.
Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out);

}  // namespace abhra::tsdb
