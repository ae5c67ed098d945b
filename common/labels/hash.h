// A fast, seeded 64-bit hash for label sets and symbols (not cryptographic).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace abhra {

namespace hash_internal {
inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t Read64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
constexpr uint64_t kP0 = 0xa0761d6478bd642full;
constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
}  // namespace hash_internal

// wyhash-style mixing over 8-byte words. Stable across runs and platforms of one endianness;
// do not persist it in on-disk formats.
inline uint64_t HashBytes(const void* data, size_t len, uint64_t seed = 0) {
  using namespace hash_internal;
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed ^ Mix(seed ^ kP0, kP1) ^ len;
  size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    h = Mix(Read64(p + i) ^ kP1, Read64(p + i + 8) ^ h);
  }
  uint64_t a = 0, b = 0;
  size_t rest = len - i;
  if (rest >= 8) {
    a = Read64(p + i);
    b = 0;
    std::memcpy(&b, p + i + 8, rest - 8);
  } else if (rest > 0) {
    std::memcpy(&a, p + i, rest);
  }
  return Mix(kP2 ^ len, Mix(a ^ kP1, b ^ h));
}

inline uint64_t HashString(std::string_view s, uint64_t seed = 0) {
  return HashBytes(s.data(), s.size(), seed);
}

}  // namespace abhra
