#include "common/remote/write_request_encoder.h"

#include "common/remote/protobuf_wire.h"
#include "common/remote/snappy_block.h"

namespace abhra::remote {
namespace {

using wire::AppendFixed64;
using wire::AppendString;
using wire::AppendTag;
using wire::AppendVarint;
using wire::DoubleToBits;
using wire::LengthDelimitedSize;
using wire::VarintSize;

size_t StringFieldSize(std::string_view s) { return s.empty() ? 0 : LengthDelimitedSize(s.size()); }

void AppendStringIfSet(std::string* dst, uint32_t field, std::string_view s) {
  if (!s.empty()) AppendString(dst, field, s);
}

size_t LabelSize(const Label& l) { return StringFieldSize(l.name) + StringFieldSize(l.value); }

// Sample and Exemplar share field layout for value/timestamp except field numbers.
size_t DoubleFieldSize(double v) { return DoubleToBits(v) != 0 ? 9 : 0; }
size_t Int64FieldSize(int64_t v) { return v != 0 ? 1 + VarintSize(static_cast<uint64_t>(v)) : 0; }

void AppendDoubleIfSet(std::string* dst, uint32_t field, double v) {
  if (DoubleToBits(v) == 0) return;
  AppendTag(dst, field, wire::kFixed64);
  AppendFixed64(dst, DoubleToBits(v));
}

void AppendInt64IfSet(std::string* dst, uint32_t field, int64_t v) {
  if (v == 0) return;
  AppendTag(dst, field, wire::kVarint);
  AppendVarint(dst, static_cast<uint64_t>(v));
}

size_t SampleSize(const SampleValue& s) {
  return DoubleFieldSize(s.value) + Int64FieldSize(s.timestamp_ms);
}

size_t LabelsSize(const Labels& labels) {
  size_t n = 0;
  for (const Label& l : labels) n += LengthDelimitedSize(LabelSize(l));
  return n;
}

void AppendLabels(std::string* dst, uint32_t field, const Labels& labels) {
  for (const Label& l : labels) {
    AppendTag(dst, field, wire::kLengthDelimited);
    AppendVarint(dst, LabelSize(l));
    AppendStringIfSet(dst, 1, l.name);
    AppendStringIfSet(dst, 2, l.value);
  }
}

size_t ExemplarSize(const Exemplar& e) {
  return LabelsSize(e.labels) + DoubleFieldSize(e.value) + Int64FieldSize(e.timestamp_ms);
}

size_t SeriesSize(const TimeSeries& ts) {
  size_t n = LabelsSize(ts.labels);
  for (const SampleValue& s : ts.samples) n += LengthDelimitedSize(SampleSize(s));
  for (const Exemplar& e : ts.exemplars) n += LengthDelimitedSize(ExemplarSize(e));
  return n;
}

size_t MetadataSize(const Metadata& m) {
  size_t n = m.type != MetricType::kUnknown ? 2 : 0;
  return n + StringFieldSize(m.family_name) + StringFieldSize(m.help) + StringFieldSize(m.unit);
}

}  // namespace

void MarshalWriteRequest(std::span<const TimeSeries> series, std::span<const Metadata> metadata,
                         std::string* dst) {
  size_t total = 0;
  for (const TimeSeries& ts : series) total += LengthDelimitedSize(SeriesSize(ts));
  for (const Metadata& m : metadata) total += LengthDelimitedSize(MetadataSize(m));
  dst->reserve(dst->size() + total);

  for (const TimeSeries& ts : series) {
    AppendTag(dst, 1, wire::kLengthDelimited);
    AppendVarint(dst, SeriesSize(ts));
    AppendLabels(dst, 1, ts.labels);
    for (const SampleValue& s : ts.samples) {
      AppendTag(dst, 2, wire::kLengthDelimited);
      AppendVarint(dst, SampleSize(s));
      AppendDoubleIfSet(dst, 1, s.value);
      AppendInt64IfSet(dst, 2, s.timestamp_ms);
    }
    for (const Exemplar& e : ts.exemplars) {
      AppendTag(dst, 3, wire::kLengthDelimited);
      AppendVarint(dst, ExemplarSize(e));
      AppendLabels(dst, 1, e.labels);
      AppendDoubleIfSet(dst, 2, e.value);
      AppendInt64IfSet(dst, 3, e.timestamp_ms);
    }
  }
  for (const Metadata& m : metadata) {
    AppendTag(dst, 3, wire::kLengthDelimited);
    AppendVarint(dst, MetadataSize(m));
    if (m.type != MetricType::kUnknown) {
      AppendTag(dst, 1, wire::kVarint);
      AppendVarint(dst, static_cast<uint64_t>(m.type));
    }
    AppendStringIfSet(dst, 2, m.family_name);
    AppendStringIfSet(dst, 4, m.help);
    AppendStringIfSet(dst, 5, m.unit);
  }
}

void EncodeWriteRequest(const std::vector<TimeSeries>& series,
                        const std::vector<Metadata>& metadata, std::string* dst) {
  std::string raw;
  MarshalWriteRequest(series, metadata, &raw);
  SnappyCompress(raw, dst);
}

}  // namespace abhra::remote
