// Bit-level writer and reader with the exact layout of Prometheus' tsdb/chunkenc/bstream.go:
// bits are packed most-significant first; the last byte is zero-padded.
#pragma once

#include <cstdint>
#include <cstring>

namespace abhra::tsdb {

// Reads bits from a byte range it does not own. Reading past the end fails (returns false)
// and leaves the output unspecified. Every read of up to 57 bits is one unaligned 8-byte
// load at the current byte, shifted into place; only the last 7 bytes take a slower path.
class BitReader {
 public:
  BitReader() = default;
  BitReader(const uint8_t* data, size_t len) : data_(data), len_(len) {}

  bool ReadBit(uint64_t* bit) { return ReadBits(1, bit); }

  // Reads `n` (1..64) bits into the low bits of *out.
  [[gnu::always_inline]] bool ReadBits(unsigned n, uint64_t* out) {
    if (n > 57) return ReadWide(n, out);
    const size_t byte = pos_ >> 3;
    uint64_t w;
    if (byte + 8 <= len_) [[likely]] {
      std::memcpy(&w, data_ + byte, 8);
      w = __builtin_bswap64(w);
    } else {
      if (pos_ + n > len_ * 8) return false;
      w = LoadTail(byte);
    }
    *out = (w << (pos_ & 7)) >> (64 - n);
    pos_ += n;
    return true;
  }

  bool ReadByte(uint8_t* out) {
    uint64_t v;
    if (!ReadBits(8, &v)) return false;
    *out = static_cast<uint8_t>(v);
    return true;
  }

 private:
  // The bytes from `byte` to the end, left-aligned, zero-padded.
  uint64_t LoadTail(size_t byte) const {
    uint64_t w = 0;
    for (size_t i = byte, shift = 56; i < len_; ++i, shift -= 8) {
      w |= static_cast<uint64_t>(data_[i]) << shift;
    }
    return w;
  }

  bool ReadWide(unsigned n, uint64_t* out) {
    uint64_t hi, lo;
    if (!ReadBits(n - 32, &hi) || !ReadBits(32, &lo)) return false;
    *out = (hi << 32) | lo;
    return true;
  }

  const uint8_t* data_ = nullptr;
  size_t len_ = 0;
  size_t pos_ = 0;  // bits consumed
};

}  // namespace abhra::tsdb
