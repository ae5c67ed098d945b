#include "aggregator/tsdb/wal/records.h"

#include <bit>

namespace abhra::tsdb {
namespace {

void PutBE64(std::string* dst, uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(b, 8);
}

void PutUvarint(std::string* dst, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  dst->append(b, static_cast<size_t>(n));
}

void PutVarint(std::string* dst, int64_t x) {
  uint64_t ux = static_cast<uint64_t>(x) << 1;
  if (x < 0) ux = ~ux;
  PutUvarint(dst, ux);
}

struct Decoder {
  std::string_view in;
  bool bad = false;

  uint64_t BE64() {
    if (in.size() < 8) {
      bad = true;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
    in.remove_prefix(8);
    return v;
  }
  uint64_t Uvarint() {
    uint64_t v = 0;
    unsigned shift = 0;
    for (size_t i = 0; i < in.size() && i < 10; ++i) {
      auto b = static_cast<uint8_t>(in[i]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        in.remove_prefix(i + 1);
        return v;
      }
      shift += 7;
    }
    bad = true;
    return 0;
  }
  int64_t Varint() {
    uint64_t ux = Uvarint();
    auto x = static_cast<int64_t>(ux >> 1);
    if (ux & 1) x = ~x;
    return x;
  }
  std::string_view Str() {
    uint64_t n = Uvarint();
    if (bad || n > in.size()) {
      bad = true;
      return {};
    }
    std::string_view s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  }
};

}  // namespace

void BeginSeriesRecord(std::string* dst) { dst->push_back(static_cast<char>(RecordType::kSeries)); }

void AddSeries(std::string* dst, uint64_t ref, std::span<const LabelView> labels) {
  PutBE64(dst, ref);
  PutUvarint(dst, labels.size());
  for (const LabelView& l : labels) {
    PutUvarint(dst, l.name.size());
    dst->append(l.name);
    PutUvarint(dst, l.value.size());
    dst->append(l.value);
  }
}

void EncodeSamples(std::string* dst, std::span<const RefSample> samples) {
  dst->push_back(static_cast<char>(RecordType::kSamples));
  if (samples.empty()) return;
  const RefSample& first = samples[0];
  PutBE64(dst, first.ref);
  PutBE64(dst, static_cast<uint64_t>(first.t));
  for (const RefSample& s : samples) {
    PutVarint(dst, static_cast<int64_t>(s.ref - first.ref));
    PutVarint(dst, static_cast<int64_t>(static_cast<uint64_t>(s.t) - static_cast<uint64_t>(first.t)));
    PutBE64(dst, std::bit_cast<uint64_t>(s.v));
  }
}

Result<RecordType> PeekRecordType(std::string_view rec) {
  if (rec.empty()) return Status::Corruption("empty WAL record");
  return static_cast<RecordType>(static_cast<uint8_t>(rec[0]));
}

Status DecodeSeries(std::string_view rec,
                    const std::function<void(uint64_t, std::span<const LabelView>)>& fn) {
  if (rec.empty() || static_cast<uint8_t>(rec[0]) != static_cast<uint8_t>(RecordType::kSeries)) {
    return Status::Corruption("not a series record");
  }
  Decoder d{rec.substr(1)};
  std::vector<LabelView> labels;
  size_t index = 0;
  while (!d.in.empty()) {
    uint64_t ref = d.BE64();
    uint64_t n = d.Uvarint();
    if (d.bad || n > d.in.size()) {
      return Status::Corruption(fmt::format("series record: bad header of series entry {}", index));
    }
    labels.clear();
    for (uint64_t i = 0; i < n; ++i) {
      LabelView l;
      l.name = d.Str();
      l.value = d.Str();
      labels.push_back(l);
    }
    if (d.bad) {
      return Status::Corruption(
          fmt::format("series record: truncated labels of series entry {} (ref {})", index, ref));
    }
    fn(ref, labels);
    ++index;
  }
  return Status::Ok();
}

Status DecodeSamples(std::string_view rec, std::vector<RefSample>* out) {
  if (rec.empty() || static_cast<uint8_t>(rec[0]) != static_cast<uint8_t>(RecordType::kSamples)) {
    return Status::Corruption("not a samples record");
  }
  Decoder d{rec.substr(1)};
  if (d.in.empty()) return Status::Ok();
  uint64_t base_ref = d.BE64();
  auto base_t = static_cast<int64_t>(d.BE64());
  if (d.bad) return Status::Corruption("samples record: truncated header");
  size_t index = 0;
  while (!d.in.empty()) {
    int64_t dref = d.Varint();
    int64_t dt = d.Varint();
    uint64_t v = d.BE64();
    if (d.bad) {
      return Status::Corruption(fmt::format("samples record: truncated sample {}", index));
    }
    out->push_back({base_ref + static_cast<uint64_t>(dref),
                    static_cast<int64_t>(static_cast<uint64_t>(base_t) + static_cast<uint64_t>(dt)),
                    std::bit_cast<double>(v)});
    ++index;
  }
  return Status::Ok();
}

}  // namespace abhra::tsdb
