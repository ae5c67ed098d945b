#include "aggregator/tsdb/chunk/xor_chunk.h"

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace abhra::tsdb {
namespace {

using storage::Sample;

std::vector<Sample> Decode(std::span<const uint8_t> bytes, Status* err = nullptr) {
  std::vector<Sample> out;
  XorIterator it(bytes);
  while (it.Next()) out.push_back(it.At());
  if (err != nullptr) *err = it.Err();
  return out;
}

void ExpectSameBits(const std::vector<Sample>& want, const std::vector<Sample>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].t, got[i].t) << "sample " << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(want[i].v), std::bit_cast<uint64_t>(got[i].v))
        << "sample " << i;
  }
}

std::vector<Sample> RoundTrip(const std::vector<Sample>& in) {
  XorChunk c;
  for (const Sample& s : in) c.Append(s.t, s.v);
  EXPECT_EQ(c.NumSamples(), in.size());
  Status err;
  auto out = Decode(c.Bytes(), &err);
  EXPECT_TRUE(err.ok()) << err.ToString();
  return out;
}

// Expected bytes derived by hand from prometheus/tsdb/chunkenc/xor.go + bstream.go:
//   header 00 04; t0=1000 → zig-zag 2000 → varint D0 0F; v0=1.0 → 3F F0 00.. (64 bits);
//   t1: uvarint(1000) = E8 07; v1 equal → '0';
//   t2: dod 0 → '0'; v2=2.0: xor 0x7FF0.. → '1' '1' leading=1 (5b 00001) sigbits=11
//       (6b 001011) then 11 one-bits;
//   t3=4005: dod 5 → '10' + 14-bit 5; v3 equal → '0'; zero padding.
//   bits 0011 0000 1001 0111 1111 1111 1110 0000 0000 0001 0100 0000 → 30 97 FF E0 01 40.
TEST(XorChunkTest, GoldenBytesMatchPrometheus) {
  XorChunk c;
  c.Append(1000, 1.0);
  c.Append(2000, 1.0);
  c.Append(3000, 2.0);
  c.Append(4005, 2.0);
  std::vector<uint8_t> want = {0x00, 0x04, 0xD0, 0x0F, 0x3F, 0xF0, 0x00, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0xE8, 0x07, 0x30, 0x97, 0xFF, 0xE0, 0x01, 0x40};
  std::vector<uint8_t> got(c.Bytes().begin(), c.Bytes().end());
  EXPECT_EQ(want, got);
  ExpectSameBits({{1000, 1.0}, {2000, 1.0}, {3000, 2.0}, {4005, 2.0}}, Decode(c.Bytes()));
}

TEST(XorChunkTest, EmptyChunkIsTwoZeroBytes) {
  XorChunk c;
  ASSERT_EQ(c.Bytes().size(), 2u);
  EXPECT_EQ(c.NumSamples(), 0);
  XorIterator it(c.Bytes());
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.Err().ok());
}

TEST(XorChunkTest, SpecialValuesKeepTheirBits) {
  double nan2 = std::bit_cast<double>(uint64_t{0x7ff8000000000001});
  std::vector<Sample> in = {
      {0, std::numeric_limits<double>::quiet_NaN()},
      {15000, storage::StaleNaN()},
      {30000, std::numeric_limits<double>::infinity()},
      {45000, -std::numeric_limits<double>::infinity()},
      {60000, nan2},
      {75000, -0.0},
      {90000, 0.0},
      {105000, std::numeric_limits<double>::denorm_min()},
      {120000, std::numeric_limits<double>::max()},
      {135000, storage::StaleNaN()},
  };
  auto out = RoundTrip(in);
  ExpectSameBits(in, out);
  EXPECT_TRUE(storage::IsStaleNaN(out[1].v));
  EXPECT_TRUE(storage::IsStaleNaN(out[9].v));
}

TEST(XorChunkTest, AllDeltaBucketsAndExtremes) {
  std::vector<Sample> in;
  int64_t t = -5'000'000'000'000;  // negative timestamps are legal
  in.push_back({t, 1});
  int64_t deltas[] = {1,      1,       8192,     -8191 + 8192, 8193,   100000, 65536,
                      131072, 524288,  524289,   1 << 30,      1,      0,      -7,
                      -9000,  -70000,  -600000,  int64_t{1} << 40};
  double v = 1;
  for (int64_t d : deltas) {
    t += d;
    v = v * -3.7 + 1e10;
    in.push_back({t, v});
  }
  in.push_back({std::numeric_limits<int64_t>::max() / 2, 42});
  in.push_back({std::numeric_limits<int64_t>::min() / 2, -42});
  ExpectSameBits(in, RoundTrip(in));
}

TEST(XorChunkTest, BucketBoundariesExact) {
  // dod exactly at each bucket's asymmetric limit: 8192 fits 14 bits, -8192 needs 17.
  for (int64_t dod : {8192LL, -8191LL, -8192LL, 65536LL, -65535LL, -65536LL, 524288LL,
                      -524287LL, -524288LL, 524289LL}) {
    std::vector<Sample> in = {{0, 0}, {1000000, 1}, {2000000 + dod, 2}, {3000000 + dod, 3}};
    ExpectSameBits(in, RoundTrip(in));
  }
}

TEST(XorChunkTest, RandomRoundTrip) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<Sample> in;
    int64_t t = static_cast<int64_t>(rng() % 2'000'000'000'000);
    double v = static_cast<double>(rng() % 1000);
    int n = 1 + static_cast<int>(rng() % 300);
    for (int i = 0; i < n; ++i) {
      in.push_back({t, v});
      t += 15000 + static_cast<int64_t>(rng() % 50) - 25;
      switch (rng() % 4) {
        case 0: break;
        case 1: v += 1; break;
        case 2: v = std::bit_cast<double>(rng()); break;
        default: v *= 1.0001; break;
      }
    }
    ExpectSameBits(in, RoundTrip(in));
  }
}

TEST(XorChunkTest, SeekAndFromBytes) {
  XorChunk c;
  for (int i = 0; i < 120; ++i) c.Append(i * 1000, i * 0.5);
  XorIterator it(c.Bytes());
  ASSERT_TRUE(it.Seek(-5));
  EXPECT_EQ(it.At().t, 0);
  ASSERT_TRUE(it.Seek(41500));
  EXPECT_EQ(it.At().t, 42000);
  ASSERT_TRUE(it.Seek(10));  // no move backwards
  EXPECT_EQ(it.At().t, 42000);
  ASSERT_TRUE(it.Next());
  EXPECT_EQ(it.At().t, 43000);
  EXPECT_FALSE(it.Seek(200000));

  // Resume appending on a chunk rebuilt from bytes: same bytes as appending in one go.
  std::vector<uint8_t> bytes(c.Bytes().begin(), c.Bytes().end());
  auto re = XorChunk::FromBytes(bytes);
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  re->Append(120000, 7.25);
  c.Append(120000, 7.25);
  EXPECT_TRUE(std::equal(c.Bytes().begin(), c.Bytes().end(), re->Bytes().begin(),
                         re->Bytes().end()));
  c.Compact();
  EXPECT_EQ(c.capacity(), c.size());
}

TEST(XorChunkTest, TruncatedBytesAreCorruption) {
  XorChunk c;
  for (int i = 0; i < 50; ++i) c.Append(i * 15000 + (i % 3), i * 1.5);
  std::vector<uint8_t> bytes(c.Bytes().begin(), c.Bytes().end());
  for (size_t cut = 0; cut + 1 < bytes.size(); ++cut) {
    std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    Status err;
    auto out = Decode(part, &err);
    EXPECT_FALSE(err.ok()) << "cut at " << cut;
    EXPECT_TRUE(err.Is(Status::Code::kCorruption));
    EXPECT_FALSE(XorChunk::FromBytes(part).ok());
  }
  EXPECT_FALSE(XorChunk::FromBytes(std::vector<uint8_t>{0x00}).ok());
}

// The bulk reader (AppendUntil, the query path) decodes exactly what Next() does: the same
// samples up to any bound, the same position after it, the same error on damaged bytes.
TEST(XorChunkTest, AppendUntilMatchesNext) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    XorChunk c;
    int64_t t = static_cast<int64_t>(rng() % 1'000'000'000);
    double v = 0;
    int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      c.Append(t, v);
      t += rng() % 8 == 0 ? static_cast<int64_t>(rng() % 5'000'000) : 15000 + static_cast<int64_t>(rng() % 7);
      v = rng() % 3 == 0 ? std::bit_cast<double>(rng()) : v + static_cast<double>(rng() % 10);
    }
    std::vector<uint8_t> bytes(c.Bytes().begin(), c.Bytes().end());
    if (round % 3 == 0) bytes.resize(2 + rng() % (bytes.size() - 1));  // damaged: cut short
    Status want_err;
    std::vector<Sample> all = Decode(bytes, &want_err);
    if (all.empty()) continue;
    int64_t maxt = all[rng() % all.size()].t + static_cast<int64_t>(rng() % 3);
    XorIterator it(bytes);
    ASSERT_TRUE(it.Next());
    std::vector<Sample> got;
    bool beyond = it.AppendUntil(maxt, &got);
    std::vector<Sample> want;
    for (const Sample& s : all) {
      if (s.t <= maxt) want.push_back(s);
    }
    ExpectSameBits(want, got);
    EXPECT_EQ(beyond, want.size() < all.size()) << "round " << round;
    if (beyond) {
      EXPECT_EQ(it.At().t, all[want.size()].t);
      // Reading on with Next() continues where the bulk read stopped.
      std::vector<Sample> rest = {it.At()};
      while (it.Next()) rest.push_back(it.At());
      ExpectSameBits(std::vector<Sample>(all.begin() + static_cast<long>(want.size()), all.end()), rest);
    }
    if (!beyond || !want_err.ok()) {
      while (it.Next()) {
      }
      EXPECT_EQ(it.Err().ToString(), want_err.ToString()) << "round " << round;
    }
  }
}

// Block chunks choose XOR windows by search: they decode (with the same reader Prometheus'
// format implies) to exactly the input, and are never larger than the greedy encoding.
TEST(XorChunkTest, EncodeCompactRoundTripsAndIsNeverLarger) {
  std::mt19937_64 rng(5);
  size_t greedy_total = 0, compact_total = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<Sample> in;
    int64_t t = static_cast<int64_t>(rng() % 1'000'000'000'000);
    double v = static_cast<double>(rng() % 100000);
    int n = 1 + static_cast<int>(rng() % 300);
    const int kind = round % 5;
    for (int i = 0; i < n; ++i) {
      in.push_back({t, v});
      t += 15000 + (rng() % 30 == 0 ? static_cast<int64_t>(rng() % 20) - 10 : 0);
      switch (kind) {
        case 0: v += static_cast<double>(rng() % 300); break;                 // counter
        case 1: v = static_cast<double>(1'000'000 + rng() % 5000); break;     // noisy gauge
        case 2: v = std::bit_cast<double>(rng()); break;                      // random bits
        case 3: if (rng() % 4 == 0) v = std::round(v * 1.01 * 100) / 100; break;  // rare changes
        default: v = std::ldexp(static_cast<double>(rng() % 1024), static_cast<int>(rng() % 40) - 20);
      }
    }
    XorChunk compact = XorChunk::EncodeCompact(in);
    XorChunk greedy;
    for (const Sample& s : in) greedy.Append(s.t, s.v);
    Status err;
    ExpectSameBits(in, Decode(compact.Bytes(), &err));
    ASSERT_TRUE(err.ok()) << err.ToString();
    EXPECT_LE(compact.size(), greedy.size()) << "round " << round;
    greedy_total += greedy.size();
    compact_total += compact.size();
    // A chunk encoded this way still takes appends (the appender state matches the stream).
    XorChunk more = XorChunk::EncodeCompact(in);
    more.Append(t, v + 1);
    in.push_back({t, v + 1});
    ExpectSameBits(in, Decode(more.Bytes()));
  }
  EXPECT_LT(compact_total, greedy_total);
}

}  // namespace
}  // namespace abhra::tsdb
