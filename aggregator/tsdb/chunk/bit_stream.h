// Bit-level writer and reader with the exact layout of Prometheus' tsdb/chunkenc/bstream.go:
// bits are packed most-significant first; the last byte is zero-padded.
#pragma once

#include <cstdint>
#include <cstring>

namespace abhra::tsdb {

// Reads bits from a byte range it does not own. Reading past the end fails (returns false)
// and leaves the output unspecified.
class BitReader {
 public:
  BitReader() = default;
  BitReader(const uint8_t* data, size_t len) : p_(data), end_(data + len) {}

  bool ReadBit(uint64_t* bit) { return ReadBits(1, bit); }

  // Reads `n` (1..64) bits into the low bits of *out.
  bool ReadBits(unsigned n, uint64_t* out) {
    if (n > avail_) Refill();
    if (n > avail_) return ReadBitsSlow(n, out);
    *out = (n == 64) ? buf_ : (buf_ >> (64 - n));
    buf_ = (n == 64) ? 0 : (buf_ << n);
    avail_ -= n;
    return true;
  }

  bool ReadByte(uint8_t* out) {
    uint64_t v;
    if (!ReadBits(8, &v)) return false;
    *out = static_cast<uint8_t>(v);
    return true;
  }

 private:
  // Loads whole bytes into buf_ (left-aligned) while they fit.
  void Refill() {
    if (p_ == end_) return;
    if (avail_ == 0) buf_ = 0;
    if (end_ - p_ >= 8 && avail_ == 0) {
      uint64_t v;
      std::memcpy(&v, p_, 8);
      buf_ = __builtin_bswap64(v);
      p_ += 8;
      avail_ = 64;
      return;
    }
    while (avail_ <= 56 && p_ < end_) {
      buf_ |= static_cast<uint64_t>(*p_++) << (56 - avail_);
      avail_ += 8;
    }
  }

  bool ReadBitsSlow(unsigned n, uint64_t* out) {
    uint64_t v = 0;
    while (n > 0) {
      if (avail_ == 0) {
        Refill();
        if (avail_ == 0) return false;
      }
      unsigned take = n < avail_ ? n : avail_;
      uint64_t part = (take == 64) ? buf_ : (buf_ >> (64 - take));
      buf_ = (take == 64) ? 0 : (buf_ << take);
      avail_ -= take;
      v = (take == 64) ? part : ((v << take) | part);
      n -= take;
    }
    *out = v;
    return true;
  }

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t buf_ = 0;     // pending bits, left-aligned
  unsigned avail_ = 0;   // valid bits in buf_
};

}  // namespace abhra::tsdb
