#include "aggregator/tsdb/block/ulid.h"

#include <array>
#include <mutex>
#include <random>

namespace abhra::tsdb {
namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int Decode(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}
}  // namespace

std::string NewUlid(int64_t ms) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static int64_t last_ms = -1;
  static std::array<uint8_t, 10> last_rand{};
  std::array<uint8_t, 16> b{};
  uint64_t t = static_cast<uint64_t>(ms) & 0xffffffffffffull;
  for (int i = 0; i < 6; ++i) b[i] = uint8_t(t >> (40 - 8 * i));
  {
    std::lock_guard<std::mutex> lock(mu);
    if (ms == last_ms) {
      for (int i = 9; i >= 0; --i) {
        if (++last_rand[i] != 0) break;
      }
    } else {
      uint64_t r1 = rng(), r2 = rng();
      for (int i = 0; i < 8; ++i) last_rand[i] = uint8_t(r1 >> (8 * i));
      last_rand[8] = uint8_t(r2);
      last_rand[9] = uint8_t(r2 >> 8);
      last_ms = ms;
    }
    for (int i = 0; i < 10; ++i) b[6 + i] = last_rand[i];
  }
  // 128 bits -> 26 chars: the first char carries the top 3 bits (130 bits, 2 zero bits lead).
  std::string out(26, '0');
  unsigned __int128 v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  for (int i = 25; i >= 0; --i) {
    out[i] = kAlphabet[static_cast<int>(v & 31)];
    v >>= 5;
  }
  return out;
}

bool IsUlid(std::string_view s) {
  if (s.size() != 26) return false;
  for (char c : s) {
    if (Decode(c) < 0) return false;
  }
  return Decode(s[0]) <= 7;
}

int64_t UlidTime(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) v = (v << 5) | uint64_t(Decode(s[i]));
  return static_cast<int64_t>(v);  // first 10 chars = 50 bits: 2 zero bits + 48-bit time
}

}  // namespace abhra::tsdb
