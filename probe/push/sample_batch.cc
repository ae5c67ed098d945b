#include "probe/push/sample_batch.h"

#include <snappy.h>

#include <cstring>

namespace abhra::probe {
namespace {

void PutVarint(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto b = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

void PutString(std::string* dst, std::string_view s) {
  PutVarint(dst, s.size());
  dst->append(s);
}

bool GetString(std::string_view* in, std::string* s) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

void PutFixed64(std::string* dst, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  dst->append(b, 8);
}

bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(static_cast<unsigned char>((*in)[i])) << (8 * i);
  in->remove_prefix(8);
  return true;
}

}  // namespace

void EncodeSampleBatch(std::span<const ReportedSample> a, std::span<const ReportedSample> b,
                       std::string* dst) {
  std::string raw;
  PutVarint(&raw, a.size() + b.size());
  for (std::span<const ReportedSample> part : {a, b}) {
  for (const ReportedSample& s : part) {
    PutVarint(&raw, s.labels.size());
    for (const Label& l : s.labels) {
      PutString(&raw, l.name);
      PutString(&raw, l.value);
    }
    PutFixed64(&raw, static_cast<uint64_t>(s.timestamp_ms));
    uint64_t bits;
    std::memcpy(&bits, &s.value, sizeof bits);
    PutFixed64(&raw, bits);
  }
  }
  std::string compressed;
  snappy::Compress(raw.data(), raw.size(), &compressed);
  dst->append(compressed);
}

Status DecodeSampleBatch(std::string_view record, std::vector<ReportedSample>* out) {
  std::string raw;
  if (!snappy::Uncompress(record.data(), record.size(), &raw)) {
    return Status::Corruption("sample batch: bad snappy block");
  }
  std::string_view in = raw;
  uint64_t n = 0;
  if (!GetVarint(&in, &n) || n > raw.size()) return Status::Corruption("sample batch: bad count");
  out->reserve(out->size() + n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t label_count = 0;
    if (!GetVarint(&in, &label_count) || label_count > in.size()) {
      return Status::Corruption(fmt::format("sample batch: bad label count in sample {}", i));
    }
    std::vector<Label> labels(label_count);
    for (Label& l : labels) {
      if (!GetString(&in, &l.name) || !GetString(&in, &l.value)) {
        return Status::Corruption(fmt::format("sample batch: truncated label in sample {}", i));
      }
    }
    uint64_t ts = 0, bits = 0;
    if (!GetFixed64(&in, &ts) || !GetFixed64(&in, &bits)) {
      return Status::Corruption(fmt::format("sample batch: truncated sample {}", i));
    }
    ReportedSample s;
    s.labels = Labels::FromSorted(std::move(labels));
    s.timestamp_ms = static_cast<int64_t>(ts);
    std::memcpy(&s.value, &bits, sizeof bits);
    out->push_back(std::move(s));
  }
  if (!in.empty()) return Status::Corruption("sample batch: trailing bytes");
  return Status::Ok();
}

}  // namespace abhra::probe
