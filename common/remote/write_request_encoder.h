// Remote-write 1.0 encoder for senders (the probe). Output is byte-identical to what the
// protobuf runtime serializes for the same WriteRequest (proto3: zero scalars and empty
// strings are omitted, fields in number order), then snappy block-compressed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/labels/labels.h"
#include "common/remote/decoded_write_request.h"

namespace abhra::remote {

struct Exemplar {
  Labels labels;
  double value = 0;
  int64_t timestamp_ms = 0;
};

struct TimeSeries {
  Labels labels;                     // sorted, as Labels keeps them
  std::vector<SampleValue> samples;  // oldest first
  std::vector<Exemplar> exemplars;
};

struct Metadata {
  MetricType type = MetricType::kUnknown;
  std::string family_name;
  std::string help;
  std::string unit;
};

// Appends the protobuf encoding of the WriteRequest to *dst (no compression).
void MarshalWriteRequest(std::span<const TimeSeries> series, std::span<const Metadata> metadata,
                         std::string* dst);

// Appends snappy(protobuf) — a ready remote-write 1.0 HTTP body — to *dst.
void EncodeWriteRequest(const std::vector<TimeSeries>& series,
                        const std::vector<Metadata>& metadata, std::string* dst);

// Remote-write 2.0 (io.prometheus.write.v2.Request): every string is interned into `symbols`
// (symbols[0] = "", then in order of first use). A Metadata whose family_name equals a
// series' __name__ is attached to that series (2.0 carries metadata per series); metadata
// naming no series is dropped. Output is canonical: re-serializing it with the generated
// classes gives the same bytes.
void MarshalWriteRequestV2(std::span<const TimeSeries> series, std::span<const Metadata> metadata,
                           std::string* dst);
void EncodeWriteRequestV2(const std::vector<TimeSeries>& series,
                          const std::vector<Metadata>& metadata, std::string* dst);

}  // namespace abhra::remote
