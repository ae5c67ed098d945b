#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/compact/compactor.h"
#include "aggregator/tsdb/db/db.h"
#include "aggregator/tsdb/downsample/downsample.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;
constexpr int64_t kDays = 3;

std::string TmpDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("abhra-downsample-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// Raw value of series `kind` at time t: a counter with a reset at 30h, and a gauge.
double Value(int kind, int64_t t) {
  if (kind == 0) {
    int64_t m = t / 60000;
    return t < 30 * kH ? double(m * 3) : double((m - 1800) * 2);
  }
  return std::sin(double(t) / 1e7) * 100 + double(t % 7);
}

std::shared_ptr<Block> MakeRawBlock(const std::string& dir) {
  std::vector<BlockSeries> series;
  for (int kind = 0; kind < 2; ++kind) {
    BlockSeries s;
    s.labels = Labels{{"__name__", kind == 0 ? "requests_total" : "temperature"}, {"job", "x"}};
    struct It final : storage::SampleIterator {
      int kind;
      int64_t t = -60000;
      bool Next() override { return (t += 60000) < kDays * 24 * kH; }
      bool Seek(int64_t) override { return false; }
      storage::Sample At() const override { return {t, Value(kind, t)}; }
    } it;
    it.kind = kind;
    EXPECT_TRUE(EncodeXorChunks(it, 240, &s.chunks).ok());
    series.push_back(std::move(s));
  }
  auto meta = WriteBlock(dir, 0, kDays * 24 * kH, std::move(series), BlockWriteOptions{});
  EXPECT_TRUE(meta.ok());
  auto b = Block::Open(dir + "/" + meta->ulid);
  EXPECT_TRUE(b.ok());
  return *b;
}

std::vector<storage::Sample> Read(storage::Querier& q, const std::string& name,
                                  const storage::SelectHints& h, Labels* labels = nullptr) {
  auto ss = q.Select(true, h, {Matcher::Equal("__name__", name)});
  std::vector<storage::Sample> out;
  EXPECT_TRUE(ss->Next());
  if (labels) *labels = ss->At().labels();
  auto it = ss->At().Iterator();
  while (it->Next()) out.push_back(it->At());
  EXPECT_FALSE(ss->Next());
  EXPECT_TRUE(ss->Err().ok()) << ss->Err().ToString();
  return out;
}

TEST(DownsampleTest, AggregatesAgreeWithRawData) {
  std::string dir = TmpDir("aggr");
  auto raw = MakeRawBlock(dir);
  auto m5 = DownsampleBlock(dir, raw, kRes5m);
  ASSERT_TRUE(m5.ok()) << m5.status().ToString();
  EXPECT_EQ(m5->resolution, kRes5m);
  EXPECT_EQ(m5->num_series, 10u);
  auto b5 = Block::Open(dir + "/" + m5->ulid);
  ASSERT_TRUE(b5.ok());
  auto m1h = DownsampleBlock(dir, *b5, kRes1h);
  ASSERT_TRUE(m1h.ok());
  auto b1h = Block::Open(dir + "/" + m1h->ulid);
  ASSERT_TRUE(b1h.ok());
  auto rq = NewBlockQuerier(raw, 0, kDays * 24 * kH);
  auto rawg = Read(*rq, "temperature", {});
  auto rawc = Read(*rq, "requests_total", {});

  for (auto [block, res] : {std::pair{*b5, kRes5m}, std::pair{*b1h, kRes1h}}) {
    // sum, count, min, max per aligned hour equal raw exactly.
    auto sq = NewDownsampledQuerier(block, "sum", 0, kDays * 24 * kH);
    Labels ls;
    auto sums = Read(*sq, "temperature", {}, &ls);
    EXPECT_FALSE(ls.Has(kAggrLabel));
    EXPECT_EQ(sums.size(), size_t(kDays * 24 * kH / res));
    auto cq = NewDownsampledQuerier(block, "count", 0, kDays * 24 * kH);
    auto counts = Read(*cq, "temperature", {});
    auto xq = NewDownsampledQuerier(block, "max", 0, kDays * 24 * kH);
    auto maxs = Read(*xq, "temperature", {});
    for (int64_t h = 0; h < kDays * 24; ++h) {
      double rs = 0, rc = 0, rmax = -1e300, ds = 0, dc = 0, dmax = -1e300;
      for (const auto& s : rawg) {
        if (s.t / kH == h) rs += s.v, rc += 1, rmax = std::max(rmax, s.v);
      }
      for (size_t i = 0; i < sums.size(); ++i) {
        if (sums[i].t / kH == h) ds += sums[i].v, dc += counts[i].v, dmax = std::max(dmax, maxs[i].v);
      }
      ASSERT_NEAR(ds, rs, 1e-6 * std::abs(rs) + 1e-9) << "hour " << h;
      ASSERT_EQ(dc, rc);
      ASSERT_EQ(dmax, rmax);
    }
    // increase over each aligned hour (reset-adjusted) from the counter aggregate equals
    // the raw increase between the same samples.
    auto kq = NewDownsampledQuerier(block, "counter", 0, kDays * 24 * kH);
    auto ctr = Read(*kq, "requests_total", {});
    for (size_t i = 1; i < ctr.size(); ++i) {
      double raw_inc = 0;
      for (size_t j = 1; j < rawc.size(); ++j) {
        if (rawc[j].t > ctr[i - 1].t && rawc[j].t <= ctr[i].t) {
          raw_inc += rawc[j].v >= rawc[j - 1].v ? rawc[j].v - rawc[j - 1].v : rawc[j].v;
        }
      }
      ASSERT_NEAR(ctr[i].v - ctr[i - 1].v, raw_inc, 1e-9) << i;
    }
  }
}

TEST(DownsampleTest, DBPicksResolutionFromHints) {
  std::string dir = TmpDir("db");
  MakeRawBlock(dir);
  DBOptions o;
  o.background_interval_ms = 0;
  o.downsample_1h_min_block_ms = 2 * 24 * kH;
  {
    auto db = DB::Open(dir, o);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Compact().ok());
    int res5 = 0, res1h = 0;
    for (const auto& m : (*db)->Blocks()) res5 += m.resolution == kRes5m, res1h += m.resolution == kRes1h;
    EXPECT_EQ(res5, 1);
    EXPECT_EQ(res1h, 1);
  }
  auto db = DB::Open(dir, o);  // reopened: downsampled blocks load too
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Compact().ok());
  EXPECT_EQ((*db)->Blocks().size(), 3u);  // nothing downsampled twice
  auto q = (*db)->MakeQuerier(0, kDays * 24 * kH);
  ASSERT_TRUE(q.ok());
  storage::SelectHints raw_h;  // instant selector, no step: raw
  EXPECT_EQ(Read(**q, "temperature", raw_h).size(), size_t(kDays * 24 * 60));
  storage::SelectHints h5;
  h5.range = 30 * 60000;  // 30m: 6 points per range at 5m
  h5.func = "max_over_time";
  EXPECT_EQ(Read(**q, "temperature", h5).size(), size_t(kDays * 24 * 12));
  storage::SelectHints h1h;
  h1h.range = 6 * kH;
  h1h.step = 6 * kH;
  h1h.func = "rate";
  auto c = Read(**q, "requests_total", h1h);
  EXPECT_EQ(c.size(), size_t(kDays * 24));
  // A range function without func (hints not set by the caller) reads raw data.
  storage::SelectHints hn;
  hn.step = 6 * kH;
  EXPECT_EQ(Read(**q, "requests_total", hn).size(), size_t(kDays * 24 * 60));
  // count_over_time cannot use aggregates: raw.
  storage::SelectHints hc;
  hc.range = 6 * kH;
  hc.func = "count_over_time";
  EXPECT_EQ(Read(**q, "temperature", hc).size(), size_t(kDays * 24 * 60));
  auto names = (*q)->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "job"}));
}

}  // namespace
}  // namespace abhra::tsdb
