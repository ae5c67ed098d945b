// Helpers shared by the common/remote tests (not part of the library).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/remote/decoded_write_request.h"
#include "common/remote/protobuf_wire.h"

namespace abhra::remote::testing {

// Tiny builder for hand-made protobuf bytes.
class Bytes {
 public:
  Bytes& Varint(uint64_t v) {
    wire::AppendVarint(&s_, v);
    return *this;
  }
  Bytes& Tag(uint32_t field, uint32_t type) {
    wire::AppendVarint(&s_, (uint64_t{field} << 3) | type);
    return *this;
  }
  Bytes& Fixed64(uint64_t v) {
    wire::AppendFixed64(&s_, v);
    return *this;
  }
  Bytes& Double(uint32_t field, double d) {
    return Tag(field, wire::kFixed64).Fixed64(wire::DoubleToBits(d));
  }
  Bytes& Int(uint32_t field, int64_t v) { return Tag(field, wire::kVarint).Varint(uint64_t(v)); }
  Bytes& Str(uint32_t field, std::string_view v) {
    Tag(field, wire::kLengthDelimited).Varint(v.size());
    s_.append(v);
    return *this;
  }
  Bytes& Msg(uint32_t field, const Bytes& m) { return Str(field, m.str()); }
  Bytes& Raw(std::string_view r) {
    s_.append(r);
    return *this;
  }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

inline uint64_t Bits(double d) { return wire::DoubleToBits(d); }

// Field-by-field equality of two decoded requests (views compared by content).
inline void ExpectSameDecoded(const DecodedWriteRequest& a, const DecodedWriteRequest& b) {
  ASSERT_EQ(a.series.size(), b.series.size());
  ASSERT_EQ(a.labels.size(), b.labels.size());
  ASSERT_EQ(a.samples.size(), b.samples.size());
  ASSERT_EQ(a.exemplars.size(), b.exemplars.size());
  ASSERT_EQ(a.exemplar_labels.size(), b.exemplar_labels.size());
  ASSERT_EQ(a.metadata.size(), b.metadata.size());
  EXPECT_EQ(a.histograms_skipped, b.histograms_skipped);
  for (size_t i = 0; i < a.series.size(); ++i) {
    const SeriesView& x = a.series[i];
    const SeriesView& y = b.series[i];
    EXPECT_EQ(x.label_begin, y.label_begin);
    EXPECT_EQ(x.label_end, y.label_end);
    EXPECT_EQ(x.sample_begin, y.sample_begin);
    EXPECT_EQ(x.sample_end, y.sample_end);
    EXPECT_EQ(x.exemplar_begin, y.exemplar_begin);
    EXPECT_EQ(x.exemplar_end, y.exemplar_end);
    EXPECT_EQ(x.histograms, y.histograms);
  }
  for (size_t i = 0; i < a.labels.size(); ++i) {
    EXPECT_EQ(a.labels[i].name, b.labels[i].name);
    EXPECT_EQ(a.labels[i].value, b.labels[i].value);
  }
  for (size_t i = 0; i < a.exemplar_labels.size(); ++i) {
    EXPECT_EQ(a.exemplar_labels[i].name, b.exemplar_labels[i].name);
    EXPECT_EQ(a.exemplar_labels[i].value, b.exemplar_labels[i].value);
  }
  for (size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].timestamp_ms, b.samples[i].timestamp_ms);
    EXPECT_EQ(Bits(a.samples[i].value), Bits(b.samples[i].value));
  }
  for (size_t i = 0; i < a.exemplars.size(); ++i) {
    EXPECT_EQ(a.exemplars[i].label_begin, b.exemplars[i].label_begin);
    EXPECT_EQ(a.exemplars[i].label_end, b.exemplars[i].label_end);
    EXPECT_EQ(a.exemplars[i].timestamp_ms, b.exemplars[i].timestamp_ms);
    EXPECT_EQ(Bits(a.exemplars[i].value), Bits(b.exemplars[i].value));
  }
  for (size_t i = 0; i < a.metadata.size(); ++i) {
    EXPECT_EQ(a.metadata[i].type, b.metadata[i].type);
    EXPECT_EQ(a.metadata[i].family_name, b.metadata[i].family_name);
    EXPECT_EQ(a.metadata[i].help, b.metadata[i].help);
    EXPECT_EQ(a.metadata[i].unit, b.metadata[i].unit);
  }
}

}  // namespace abhra::remote::testing
