#include "aggregator/tsdb/wal/records.h"

#include <bit>
#include <cmath>

#include <gtest/gtest.h>

#include "aggregator/tsdb/wal/crc32c.h"

namespace abhra::tsdb {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 B.4 test vectors and the classic "123456789" check value.
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(Crc32c(ones), 0x62a8ab43u);
  // Incremental equals one-shot.
  std::string s = "the quick brown fox jumps over the lazy dog, twice over";
  uint32_t a = Crc32c(0, s.data(), 10);
  a = Crc32c(a, s.data() + 10, s.size() - 10);
  EXPECT_EQ(a, Crc32c(s));
}

TEST(RecordsTest, SeriesRoundTrip) {
  std::string rec;
  BeginSeriesRecord(&rec);
  std::vector<LabelView> a = {{"__name__", "up"}, {"job", "node"}};
  std::vector<LabelView> b = {{"__name__", "x"}, {"env", std::string_view("pr\0d", 4)}};
  AddSeries(&rec, 1, a);
  AddSeries(&rec, 0xffffffffffull, b);
  AddSeries(&rec, 7, {});
  ASSERT_EQ(*PeekRecordType(rec), RecordType::kSeries);
  std::vector<std::pair<uint64_t, std::vector<std::pair<std::string, std::string>>>> got;
  ASSERT_TRUE(DecodeSeries(rec, [&](uint64_t ref, std::span<const LabelView> ls) {
                std::vector<std::pair<std::string, std::string>> v;
                for (auto& l : ls) v.emplace_back(l.name, l.value);
                got.emplace_back(ref, v);
              }).ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].first, 1u);
  EXPECT_EQ(got[0].second[1].second, "node");
  EXPECT_EQ(got[1].first, 0xffffffffffull);
  EXPECT_EQ(got[1].second[1].second, std::string("pr\0d", 4));
  EXPECT_TRUE(got[2].second.empty());
  // Every truncation is Corruption, never a crash.
  for (size_t n = 1; n < rec.size(); ++n) {
    Status s = DecodeSeries(rec.substr(0, n), [](uint64_t, std::span<const LabelView>) {});
    // A cut exactly at an entry boundary decodes fewer series; otherwise Corruption.
    if (!s.ok()) {
      EXPECT_TRUE(s.Is(Status::Code::kCorruption));
    }
  }
}

TEST(RecordsTest, SamplesRoundTripWithNegativeDeltas) {
  std::vector<RefSample> in = {{100, 5000, 1.5},
                               {3, -7000, -2},
                               {1ull << 40, 1LL << 50, std::nan("")},
                               {100, 4999, std::bit_cast<double>(0x7ff0000000000002ull)}};
  std::string rec;
  EncodeSamples(&rec, in);
  ASSERT_EQ(*PeekRecordType(rec), RecordType::kSamples);
  std::vector<RefSample> out;
  ASSERT_TRUE(DecodeSamples(rec, &out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].ref, in[i].ref);
    EXPECT_EQ(out[i].t, in[i].t);
    EXPECT_EQ(std::bit_cast<uint64_t>(out[i].v), std::bit_cast<uint64_t>(in[i].v));
  }
  // Prometheus layout: type 2, first ref and t big-endian.
  EXPECT_EQ(rec[0], 2);
  EXPECT_EQ(static_cast<uint8_t>(rec[8]), 100);
  out.clear();
  EXPECT_TRUE(DecodeSamples(rec.substr(0, rec.size() - 3), &out).Is(Status::Code::kCorruption));
  std::string empty;
  EncodeSamples(&empty, {});
  out.clear();
  EXPECT_TRUE(DecodeSamples(empty, &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(DecodeSamples("", &out).ok());
  EXPECT_FALSE(PeekRecordType("").ok());
}

}  // namespace
}  // namespace abhra::tsdb
