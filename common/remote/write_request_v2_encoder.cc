// Remote-write 2.0 encoder; field numbers follow proto/remote_write_v2.proto.
#include <string_view>
#include <unordered_map>

#include "common/remote/protobuf_wire.h"
#include "common/remote/snappy_block.h"
#include "common/remote/write_request_encoder.h"

namespace abhra::remote {
namespace {

using wire::AppendFixed64;
using wire::AppendTag;
using wire::AppendVarint;
using wire::DoubleToBits;
using wire::LengthDelimitedSize;
using wire::VarintSize;

class SymbolTable {
 public:
  SymbolTable() { Ref(""); }
  uint32_t Ref(std::string_view s) {
    auto [it, inserted] = index_.try_emplace(s, static_cast<uint32_t>(symbols_.size()));
    if (inserted) symbols_.push_back(s);
    return it->second;
  }
  const std::vector<std::string_view>& symbols() const { return symbols_; }

 private:
  std::unordered_map<std::string_view, uint32_t> index_;
  std::vector<std::string_view> symbols_;
};

size_t PackedSize(const std::vector<uint32_t>& refs) {
  size_t n = 0;
  for (uint32_t r : refs) n += VarintSize(r);
  return n;
}

void AppendPacked(std::string* dst, uint32_t field, const std::vector<uint32_t>& refs) {
  if (refs.empty()) return;
  AppendTag(dst, field, wire::kLengthDelimited);
  AppendVarint(dst, PackedSize(refs));
  for (uint32_t r : refs) AppendVarint(dst, r);
}

size_t PackedFieldSize(const std::vector<uint32_t>& refs) {
  return refs.empty() ? 0 : LengthDelimitedSize(PackedSize(refs));
}

size_t DoubleFieldSize(double v) { return DoubleToBits(v) != 0 ? 9 : 0; }
size_t Int64FieldSize(int64_t v) { return v != 0 ? 1 + VarintSize(static_cast<uint64_t>(v)) : 0; }
size_t VarintFieldSize(uint64_t v) { return v != 0 ? 1 + VarintSize(v) : 0; }

void AppendDoubleIfSet(std::string* dst, uint32_t field, double v) {
  if (DoubleToBits(v) == 0) return;
  AppendTag(dst, field, wire::kFixed64);
  AppendFixed64(dst, DoubleToBits(v));
}

void AppendVarintIfSet(std::string* dst, uint32_t field, uint64_t v) {
  if (v == 0) return;
  AppendTag(dst, field, wire::kVarint);
  AppendVarint(dst, v);
}

struct EncodedMetadata {
  uint64_t type = 0;
  uint32_t help_ref = 0, unit_ref = 0;
  size_t Size() const {
    return VarintFieldSize(type) + VarintFieldSize(help_ref) + VarintFieldSize(unit_ref);
  }
};

}  // namespace

void MarshalWriteRequestV2(std::span<const TimeSeries> series, std::span<const Metadata> metadata,
                           std::string* dst) {
  std::unordered_map<std::string_view, const Metadata*> meta_by_name;
  for (const Metadata& m : metadata) meta_by_name.emplace(m.family_name, &m);

  // Pass 1: intern strings and remember each series' refs.
  SymbolTable table;
  std::vector<std::vector<uint32_t>> label_refs(series.size());
  std::vector<std::vector<std::vector<uint32_t>>> exemplar_refs(series.size());
  std::vector<const Metadata*> series_meta(series.size(), nullptr);
  std::vector<EncodedMetadata> encoded_meta(series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    for (const Label& l : series[i].labels) {
      label_refs[i].push_back(table.Ref(l.name));
      label_refs[i].push_back(table.Ref(l.value));
    }
    for (const Exemplar& e : series[i].exemplars) {
      std::vector<uint32_t>& refs = exemplar_refs[i].emplace_back();
      for (const Label& l : e.labels) {
        refs.push_back(table.Ref(l.name));
        refs.push_back(table.Ref(l.value));
      }
    }
    auto it = meta_by_name.find(series[i].labels.MetricName());
    if (!series[i].labels.MetricName().empty() && it != meta_by_name.end()) {
      series_meta[i] = it->second;
      encoded_meta[i].type = static_cast<uint64_t>(it->second->type);
      encoded_meta[i].help_ref = it->second->help.empty() ? 0 : table.Ref(it->second->help);
      encoded_meta[i].unit_ref = it->second->unit.empty() ? 0 : table.Ref(it->second->unit);
    }
  }

  // Pass 2: write symbols (field 4), then series (field 5).
  for (std::string_view s : table.symbols()) {
    AppendTag(dst, 4, wire::kLengthDelimited);  // repeated strings keep empty elements
    AppendVarint(dst, s.size());
    dst->append(s);
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const TimeSeries& ts = series[i];
    size_t size = PackedFieldSize(label_refs[i]);
    for (const SampleValue& s : ts.samples) {
      size += LengthDelimitedSize(DoubleFieldSize(s.value) + Int64FieldSize(s.timestamp_ms));
    }
    for (size_t k = 0; k < ts.exemplars.size(); ++k) {
      const Exemplar& e = ts.exemplars[k];
      size += LengthDelimitedSize(PackedFieldSize(exemplar_refs[i][k]) + DoubleFieldSize(e.value) +
                                  Int64FieldSize(e.timestamp_ms));
    }
    if (series_meta[i]) size += LengthDelimitedSize(encoded_meta[i].Size());

    AppendTag(dst, 5, wire::kLengthDelimited);
    AppendVarint(dst, size);
    AppendPacked(dst, 1, label_refs[i]);
    for (const SampleValue& s : ts.samples) {
      AppendTag(dst, 2, wire::kLengthDelimited);
      AppendVarint(dst, DoubleFieldSize(s.value) + Int64FieldSize(s.timestamp_ms));
      AppendDoubleIfSet(dst, 1, s.value);
      AppendVarintIfSet(dst, 2, static_cast<uint64_t>(s.timestamp_ms));
    }
    for (size_t k = 0; k < ts.exemplars.size(); ++k) {
      const Exemplar& e = ts.exemplars[k];
      AppendTag(dst, 4, wire::kLengthDelimited);
      AppendVarint(dst, PackedFieldSize(exemplar_refs[i][k]) + DoubleFieldSize(e.value) +
                            Int64FieldSize(e.timestamp_ms));
      AppendPacked(dst, 1, exemplar_refs[i][k]);
      AppendDoubleIfSet(dst, 2, e.value);
      AppendVarintIfSet(dst, 3, static_cast<uint64_t>(e.timestamp_ms));
    }
    if (series_meta[i]) {
      AppendTag(dst, 5, wire::kLengthDelimited);
      AppendVarint(dst, encoded_meta[i].Size());
      AppendVarintIfSet(dst, 1, encoded_meta[i].type);
      AppendVarintIfSet(dst, 3, encoded_meta[i].help_ref);
      AppendVarintIfSet(dst, 4, encoded_meta[i].unit_ref);
    }
  }
}

void EncodeWriteRequestV2(const std::vector<TimeSeries>& series,
                          const std::vector<Metadata>& metadata, std::string* dst) {
  std::string raw;
  MarshalWriteRequestV2(series, metadata, &raw);
  SnappyCompress(raw, dst);
}

}  // namespace abhra::remote
