// Byte encodings shared by the block index and chunk files, as Prometheus'
// tsdb/encoding package writes them: big-endian fixed ints, Go (zig-zag) varints,
// length-prefixed strings. Decbuf never reads out of bounds: a short buffer sets ok() false.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace abhra::tsdb::enc {

inline void PutBE32(std::string* b, uint32_t v) {
  char c[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  b->append(c, 4);
}
inline void PutBE64(std::string* b, uint64_t v) {
  PutBE32(b, uint32_t(v >> 32));
  PutBE32(b, uint32_t(v));
}
inline void SetBE32(std::string* b, size_t pos, uint32_t v) {
  (*b)[pos] = char(v >> 24);
  (*b)[pos + 1] = char(v >> 16);
  (*b)[pos + 2] = char(v >> 8);
  (*b)[pos + 3] = char(v);
}
inline void PutUvarint(std::string* b, uint64_t v) {
  while (v >= 0x80) {
    b->push_back(char(uint8_t(v) | 0x80));
    v >>= 7;
  }
  b->push_back(char(v));
}
inline void PutVarint(std::string* b, int64_t v) {
  PutUvarint(b, (uint64_t(v) << 1) ^ uint64_t(v >> 63));
}
inline void PutUvarintStr(std::string* b, std::string_view s) {
  PutUvarint(b, s.size());
  b->append(s);
}
inline uint32_t BE32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint64_t BE64(const uint8_t* p) { return uint64_t(BE32(p)) << 32 | BE32(p + 4); }

// Decodes a byte range it does not own.
class Decbuf {
 public:
  Decbuf() = default;
  Decbuf(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool ok() const { return ok_; }
  size_t len() const { return size_t(end_ - p_); }
  const uint8_t* pos() const { return p_; }
  void Skip(size_t n) {
    if (len() < n) return Fail();
    p_ += n;
  }
  uint8_t Byte() {
    if (len() < 1) return Fail(), 0;
    return *p_++;
  }
  uint32_t Be32() {
    if (len() < 4) return Fail(), 0;
    uint32_t v = BE32(p_);
    p_ += 4;
    return v;
  }
  uint64_t Be64() {
    if (len() < 8) return Fail(), 0;
    uint64_t v = BE64(p_);
    p_ += 8;
    return v;
  }
  uint64_t Uvarint() {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      if (p_ >= end_) return Fail(), 0;
      uint8_t b = *p_++;
      v |= uint64_t(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
    return Fail(), 0;
  }
  int64_t Varint() {
    uint64_t u = Uvarint();
    return int64_t(u >> 1) ^ -int64_t(u & 1);
  }
  std::string_view UvarintStr() {
    uint64_t n = Uvarint();
    if (!ok_ || len() < n) return Fail(), std::string_view();
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  void Fail() {
    ok_ = false;
    p_ = end_;
  }
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  bool ok_ = true;
};

}  // namespace abhra::tsdb::enc
