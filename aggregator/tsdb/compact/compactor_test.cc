#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/compact/compactor.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;

std::string TmpDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("abhra-compact-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// A block with series m{i=0..n-1}, one sample every `step` ms in [mint, maxt), value f(t).
std::shared_ptr<Block> MakeBlock(const std::string& dir, int64_t mint, int64_t maxt, int64_t step,
                                 int n, double add) {
  std::vector<BlockSeries> series;
  for (int i = 0; i < n; ++i) {
    BlockSeries s;
    s.labels = Labels{{"__name__", "m"}, {"i", std::to_string(i)}};
    XorChunk c;
    int cnt = 0;
    int64_t first = 0;
    for (int64_t t = mint; t < maxt; t += step) {
      if (cnt == 0) first = t;
      c.Append(t, double(t) / 1000 + add + i);
      ++cnt;
      if (cnt == 120 || t + step >= maxt) {
        BlockChunk bc;
        bc.mint = first;
        bc.maxt = t;
        bc.data.assign(c.Bytes().begin(), c.Bytes().end());
        s.chunks.push_back(std::move(bc));
        c = XorChunk();
        cnt = 0;
      }
    }
    series.push_back(std::move(s));
  }
  auto meta = WriteBlock(dir, mint, maxt, std::move(series), BlockWriteOptions{});
  EXPECT_TRUE(meta.ok());
  auto b = Block::Open(dir + "/" + meta->ulid);
  EXPECT_TRUE(b.ok());
  return *b;
}

TEST(CompactorTest, Ranges) {
  EXPECT_EQ(DefaultCompactionRanges(2 * kH, 7 * 24 * kH),
            (std::vector<int64_t>{2 * kH, 6 * kH, 24 * kH, 168 * kH}));
  EXPECT_EQ(DefaultCompactionRanges(2 * kH, 6 * kH), (std::vector<int64_t>{2 * kH, 6 * kH}));
}

TEST(CompactorTest, PlansLeveledAndOverlapping) {
  std::string dir = TmpDir("plan");
  auto ranges = DefaultCompactionRanges(2 * kH, 24 * kH);
  std::vector<std::shared_ptr<Block>> bs;
  for (int i = 0; i < 4; ++i) bs.push_back(MakeBlock(dir, i * 2 * kH, (i + 1) * 2 * kH, 60000, 2, 0));
  // 0-6h is complete (3 blocks spanning 6h) -> merged; newest block excluded.
  auto plan = PlanCompaction(bs, ranges);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0]->meta().min_time, 0);
  EXPECT_EQ(plan[2]->meta().max_time, 6 * kH);
  // Only two blocks, the newest excluded: nothing.
  EXPECT_TRUE(PlanCompaction({bs[0], bs[1]}, ranges).empty());
  // Overlap is planned first.
  auto over = MakeBlock(dir, kH, 3 * kH, 60000, 2, 0);
  plan = PlanCompaction({bs[0], bs[1], bs[2], over}, ranges);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[1]->meta().ulid, over->meta().ulid);
}

TEST(CompactorTest, VerticalMergeDedups) {
  std::string dir = TmpDir("vertical");
  auto a = MakeBlock(dir, 0, 2 * kH, 60000, 3, 0);
  auto b = MakeBlock(dir, kH, 3 * kH, 30000, 3, 0);  // overlaps; same values at shared times
  std::vector<std::shared_ptr<Block>> in = {a, b};
  BlockWriteStats st;
  auto meta = CompactBlocks(dir, in, CompactOptions{}, &st);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->level, 2);
  EXPECT_EQ(meta->parents.size(), 2u);
  EXPECT_EQ(meta->min_time, 0);
  EXPECT_EQ(meta->max_time, 3 * kH);
  EXPECT_EQ(meta->source, "compactor");
  // 0..1h at 60s = 60 samples; 1h..3h at 30s = 240 samples.
  EXPECT_EQ(meta->num_samples, 3u * (60 + 240));
  EXPECT_EQ(meta->num_series, 3u);
  auto c = Block::Open(dir + "/" + meta->ulid);
  ASSERT_TRUE(c.ok());
  auto q = NewBlockQuerier(*c, 0, 3 * kH);
  auto ss = q->Select(true, {}, {Matcher::Equal("__name__", "m")});
  while (ss->Next()) {
    auto it = ss->At().Iterator();
    int64_t prev = -1;
    int n = 0;
    while (it->Next()) {
      EXPECT_GT(it->At().t, prev);
      prev = it->At().t;
      ++n;
    }
    EXPECT_EQ(n, 300);
  }
}

}  // namespace
}  // namespace abhra::tsdb
