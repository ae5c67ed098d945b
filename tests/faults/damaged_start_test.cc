// Damaged data at start: three of four blocks are damaged (bad index magic, truncated chunks
// file, broken meta.json) and the WAL has garbage in the middle. The aggregator must start
// (no crash loop), quarantine the blocks, cut the WAL before the garbage, say so in its log,
// serve the rest, take new writes, and start again the same way.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aggregator/tsdb/wal/wal_format.h"
#include "common/base/clock.h"
#include "tests/faults/aggregator_process.h"

namespace abhra::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kSeries = 10;
constexpr int64_t kH = 3600 * 1000;

std::vector<remote::TimeSeries> Samples(const std::string& name, int64_t from, int n,
                                        int64_t step) {
  std::vector<remote::TimeSeries> out;
  for (int i = 0; i < kSeries; ++i) {
    remote::TimeSeries ts;
    ts.labels = Labels{{"__name__", name}, {"env", "faults"}, {"i", std::to_string(i)}};
    for (int j = 0; j < n; ++j) ts.samples.push_back({from + j * step, double(j)});
    out.push_back(std::move(ts));
  }
  return out;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(DamagedStartTest, QuarantinesBlocksCutsTheWalAndServesTheRest) {
  std::string root = MakeTempDir("abhra-damaged-start");
  ASSERT_FALSE(root.empty());
  const std::string data = root + "/data", log = root + "/aggregator.log";
  // Block-aligned start: "a" fills [base, base+7h) = four 2h blocks (the last one 1h long).
  const int64_t base = (Clock::Real().NowMillis() - 24 * kH) / (2 * kH) * (2 * kH);
  constexpr int kRequestsB = 20, kPerRequestB = 10;  // "b": 20 WAL commits after the flush
  {
    auto agg = AggregatorProcess::Start(data, log);
    ASSERT_TRUE(agg.ok()) << agg.status().ToString();
    auto st = (*agg)->Write(Samples("a", base, 7 * 60, 60000));
    ASSERT_TRUE(st.ok() && *st == 204) << (st.ok() ? *st : 0);
    auto flush = (*agg)->Admin("flush");
    ASSERT_TRUE(flush.ok() && flush->status == 200) << (flush.ok() ? flush->body : "");
    for (int r = 0; r < kRequestsB; ++r) {
      st = (*agg)->Write(
          Samples("b", base + 8 * kH + r * kPerRequestB * 15000, kPerRequestB, 15000));
      ASSERT_TRUE(st.ok() && *st == 204);
    }
    (*agg)->process().Signal(SIGTERM);
    ASSERT_EQ((*agg)->process().Wait(), 0);
  }

  // The blocks of "a" by min time (the flush may also have cut one holding what the
  // aggregator's own rule evaluations stored, at the current time).
  std::vector<std::pair<int64_t, std::string>> blocks;
  for (const auto& ulid : BlockDirs(data)) {
    auto meta = nlohmann::json::parse(ReadWholeFile(data + "/" + ulid + "/meta.json"));
    int64_t mint = meta["minTime"].get<int64_t>();
    if (mint < base + 7 * kH) blocks.push_back({mint, ulid});
  }
  std::sort(blocks.begin(), blocks.end());
  ASSERT_EQ(blocks.size(), 4u);
  const std::string b0 = data + "/" + blocks[0].second, b1 = data + "/" + blocks[1].second,
                    b2 = data + "/" + blocks[2].second;
  {
    std::fstream f(b0 + "/index", std::ios::in | std::ios::out | std::ios::binary);
    f.write("JUNK", 4);  // bad magic
  }
  fs::resize_file(b1 + "/chunks/000001", fs::file_size(b1 + "/chunks/000001") / 2);
  std::ofstream(b2 + "/meta.json", std::ios::trunc) << "{\"ulid\": \"" << blocks[2].second;
  // Garbage in the middle of the newest non-empty WAL segment (holding "b").
  std::string seg;
  auto segments = tsdb::ListSegments(data + "/wal");
  ASSERT_TRUE(segments.ok()) << segments.status().ToString();
  for (int idx : *segments) {
    std::string p = data + "/wal/" + tsdb::SegmentName(idx);
    if (fs::file_size(p) > 0) seg = p;
  }
  ASSERT_FALSE(seg.empty());
  const uintmax_t seg_size = fs::file_size(seg);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(seg_size / 2));
    f.write("\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB\xAB", 16);
  }

  const std::string log_before = ReadWholeFile(log);
  auto agg = AggregatorProcess::Start(data, log);
  ASSERT_TRUE(agg.ok()) << "the aggregator must start on damaged data: " << agg.status().ToString();
  const std::string start_log = ReadWholeFile(log).substr(log_before.size());
  EXPECT_EQ(Count(start_log, "damaged block quarantined"), 3u) << start_log;
  EXPECT_NE(start_log.find("reason=bad-index"), std::string::npos) << start_log;
  EXPECT_NE(start_log.find("reason=bad-chunks"), std::string::npos) << start_log;
  EXPECT_NE(start_log.find("reason=bad-meta"), std::string::npos) << start_log;
  EXPECT_EQ(Count(start_log, "corrupt WAL repaired"), 1u) << start_log;
  EXPECT_TRUE(fs::is_directory(data + "/quarantine/" + blocks[0].second + "-bad-index"));
  EXPECT_TRUE(fs::is_directory(data + "/quarantine/" + blocks[1].second + "-bad-chunks"));
  EXPECT_TRUE(fs::is_directory(data + "/quarantine/" + blocks[2].second + "-bad-meta"));
  const auto left = BlockDirs(data);
  for (size_t i = 0; i < 4; ++i) {
    bool present = std::find(left.begin(), left.end(), blocks[i].second) != left.end();
    EXPECT_EQ(present, i == 3) << "block " << i << " " << blocks[i].second;
  }
  EXPECT_LT(fs::file_size(seg), seg_size);

  const int64_t now = base + 12 * kH;
  auto a = (*agg)->QueryValue("sum(count_over_time(a[1d]))", now);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, kSeries * 60.0) << "only the healthy block [6h, 7h) remains of a";
  auto b = (*agg)->QueryValue("sum(count_over_time(b[1d]))", now);
  double kept_b = b.ok() ? *b : 0;  // NotFound: nothing of b was before the garbage
  const double per_request = kSeries * kPerRequestB;
  EXPECT_LT(kept_b, kRequestsB * per_request) << "the garbage must have cut something";
  EXPECT_EQ(std::fmod(kept_b, per_request), 0.0) << "whole commits are kept, up to the damage";
  std::printf(
      "after repair: a=%.0f samples (1 of 4 blocks), b=%.0f of %.0f samples (WAL cut at "
      "the garbage)\n",
      a.ok() ? *a : -1, kept_b, kRequestsB * per_request);

  // It takes writes, and the next start finds nothing more to repair.
  auto st = (*agg)->Write(Samples("c", now - 60000, 5, 1000));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st, 204);
  (*agg)->process().Signal(SIGTERM);
  EXPECT_EQ((*agg)->process().Wait(), 0);
  const std::string log_mid = ReadWholeFile(log);
  agg = AggregatorProcess::Start(data, log);
  ASSERT_TRUE(agg.ok()) << agg.status().ToString();
  const std::string second_log = ReadWholeFile(log).substr(log_mid.size());
  EXPECT_EQ(Count(second_log, "damaged block quarantined"), 0u) << second_log;
  EXPECT_EQ(Count(second_log, "corrupt WAL repaired"), 0u) << second_log;
  auto c = (*agg)->QueryValue("sum(count_over_time(c[1d]))", now);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, kSeries * 5.0);
  auto b2_again = (*agg)->QueryValue("sum(count_over_time(b[1d]))", now);
  EXPECT_EQ(b2_again.ok() ? *b2_again : 0, kept_b);
  (*agg)->process().Signal(SIGTERM);
  EXPECT_EQ((*agg)->process().Wait(), 0);
  RemoveUnlessFailed(root, log);
}

}  // namespace
}  // namespace abhra::testing
