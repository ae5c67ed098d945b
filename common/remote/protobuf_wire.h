// Protocol-buffer wire primitives for the hand-rolled remote-write decoders and the encoder.
//
// Readers work on raw pointers into one contiguous buffer and report positions as byte
// offsets from its start, so errors can say "truncated varint at byte 1234". They never read
// past `end`. Writers append to a std::string.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/base/utf8.h"

namespace abhra::remote::wire {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Largest field number protobuf allows (2^29 - 1).
inline constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;

enum class VarintResult { kOk, kTruncated, kTooLong };

// Reads a base-128 varint at *p (< end) and advances *p. kTruncated: the buffer ended inside
// it; kTooLong: more than 10 bytes or a 10th byte above 1.
[[gnu::noinline]] inline VarintResult ReadVarintSlow(const char** p, const char* end,
                                                     uint64_t* out) {
  uint64_t result = 0;
  const char* q = *p;
  for (int shift = 0; shift < 70; shift += 7) {
    if (q >= end) return VarintResult::kTruncated;
    uint64_t byte = static_cast<uint8_t>(*q++);
    if (shift == 63 && byte > 1) return VarintResult::kTooLong;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *out = result;
      *p = q;
      return VarintResult::kOk;
    }
  }
  return VarintResult::kTooLong;
}

inline VarintResult ReadVarint(const char** p, const char* end, uint64_t* out) {
  if (*p < end) {
    uint8_t b0 = static_cast<uint8_t>(**p);
    if (b0 < 0x80) {
      *out = b0;
      ++*p;
      return VarintResult::kOk;
    }
    if (end - *p >= 2) {
      uint8_t b1 = static_cast<uint8_t>((*p)[1]);
      if (b1 < 0x80) {
        *out = (b0 & 0x7fu) | (uint64_t{b1} << 7);
        *p += 2;
        return VarintResult::kOk;
      }
    }
  }
  return ReadVarintSlow(p, end, out);
}

// REQUIRES: end - p >= 8.
inline uint64_t LoadFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts only (x86-64, aarch64)
  return v;
}

inline double BitsToDouble(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

inline uint64_t DoubleToBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return bits;
}

// True when no byte of [p, p+n) has its high bit set (pure ASCII, hence valid UTF-8).
inline bool IsAscii(const char* p, size_t n) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, p + i, 8);
    acc |= chunk;
  }
  for (; i < n; ++i) acc |= static_cast<uint8_t>(p[i]);
  return (acc & 0x8080808080808080ull) == 0;
}

// Well-formed UTF-8, as the protobuf runtime demands of proto3 string fields.
using ::abhra::IsValidUtf8;  // common/base/utf8.h

// ---- writing ----

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline void AppendVarint(std::string* dst, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

inline void AppendTag(std::string* dst, uint32_t field, WireType type) {
  AppendVarint(dst, (uint64_t{field} << 3) | type);
}

inline void AppendFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  std::memcpy(buf, &v, 8);
  dst->append(buf, 8);
}

// Size of a length-delimited field (tag + length + payload) with a one-byte tag.
inline size_t LengthDelimitedSize(size_t payload) { return 1 + VarintSize(payload) + payload; }

inline void AppendString(std::string* dst, uint32_t field, std::string_view s) {
  AppendTag(dst, field, kLengthDelimited);
  AppendVarint(dst, s.size());
  dst->append(s);
}

}  // namespace abhra::remote::wire
