#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "aggregator/tsdb/block/block.h"
#include "aggregator/tsdb/block/block_writer.h"
#include "aggregator/tsdb/block/chunk_file.h"
#include "aggregator/tsdb/block/ulid.h"
#include "aggregator/tsdb/chunk/xor_chunk.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;

std::string TmpDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("abhra-block-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

BlockChunk MakeChunk(int64_t from, int64_t step, int n, double base) {
  XorChunk c;
  for (int i = 0; i < n; ++i) c.Append(from + i * step, base + i);
  BlockChunk bc;
  bc.mint = from;
  bc.maxt = from + (n - 1) * step;
  bc.data.assign(c.Bytes().begin(), c.Bytes().end());
  return bc;
}

std::vector<storage::Sample> Drain(storage::SampleIterator& it) {
  std::vector<storage::Sample> out;
  while (it.Next()) out.push_back(it.At());
  EXPECT_TRUE(it.Err().ok()) << it.Err().ToString();
  return out;
}

TEST(UlidTest, SortableAndValid) {
  std::string a = NewUlid(1000), b = NewUlid(1000), c = NewUlid(2000);
  EXPECT_TRUE(IsUlid(a));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(UlidTime(a), 1000);
  EXPECT_EQ(UlidTime(NewUlid(1700000000123)), 1700000000123);
  EXPECT_FALSE(IsUlid("wal"));
  EXPECT_FALSE(IsUlid(a + ".tmp-for-creation"));
}

TEST(MetaTest, RoundTripWithThanosSection) {
  BlockMeta m;
  m.ulid = NewUlid(5);
  m.min_time = 10;
  m.max_time = 20;
  m.num_samples = 3;
  m.level = 2;
  m.sources = {"A", "B"};
  m.parents = {{"A", 10, 15}, {"B", 15, 20}};
  m.thanos_labels = {{"tenant", "t1"}};
  m.resolution = kRes5m;
  m.source = "compactor";
  m.segment_files = {"000001"};
  auto d = DecodeMeta(EncodeMeta(m), "x");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->ulid, m.ulid);
  EXPECT_EQ(d->parents.size(), 2u);
  EXPECT_EQ(d->parents[1].max_time, 20);
  EXPECT_EQ(d->thanos_labels.at("tenant"), "t1");
  EXPECT_EQ(d->resolution, kRes5m);
  EXPECT_EQ(d->segment_files, m.segment_files);
  EXPECT_FALSE(DecodeMeta("{", "x").ok());
  EXPECT_FALSE(DecodeMeta("{\"ulid\":\"x\"}", "x").ok());
}

TEST(BlockTest, WriteOpenQuery) {
  std::string dir = TmpDir("wq");
  std::vector<BlockSeries> series;
  for (int i = 0; i < 100; ++i) {
    BlockSeries s;
    s.labels = Labels{{"__name__", "m"}, {"i", std::to_string(i)}, {"odd", i % 2 ? "1" : "0"}};
    s.chunks.push_back(MakeChunk(0, 1000, 120, i));
    s.chunks.push_back(MakeChunk(120000, 1000, 60, i + 120));
    series.push_back(std::move(s));
  }
  BlockWriteStats st;
  auto meta = WriteBlock(dir, 0, 7200000, std::move(series), BlockWriteOptions{}, &st);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->num_series, 100u);
  EXPECT_EQ(meta->num_chunks, 200u);
  EXPECT_EQ(meta->num_samples, 18000u);
  EXPECT_TRUE(fs::exists(dir + "/" + meta->ulid + "/chunks/000001"));
  EXPECT_FALSE(fs::exists(dir + "/" + meta->ulid + kTmpForCreation));

  auto b = Block::Open(dir + "/" + meta->ulid);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->meta().sources, std::vector<std::string>{meta->ulid});
  auto q = NewBlockQuerier(*b, 50000, 130000);
  auto ss = q->Select(true, {}, {Matcher::Equal("odd", "1"), Matcher::Equal("__name__", "m")});
  int n = 0;
  Labels prev;
  while (ss->Next()) {
    const auto& s = ss->At();
    if (n > 0) {
      EXPECT_LT(prev, s.labels());
    }
    prev = s.labels();
    auto it = s.Iterator();
    auto samples = Drain(*it);
    ASSERT_EQ(samples.size(), 81u);  // 50..119 and 120..130 s
    EXPECT_EQ(samples.front().t, 50000);
    EXPECT_EQ(samples.back().t, 130000);
    int i = std::stoi(std::string(s.labels().Get("i")));
    EXPECT_EQ(samples.front().v, i + 50);
    auto it2 = s.Iterator();
    ASSERT_TRUE(it2->Seek(125000));
    EXPECT_EQ(it2->At().t, 125000);
    EXPECT_EQ(it2->At().v, i + 120 + 5);
    ++n;
  }
  EXPECT_TRUE(ss->Err().ok());
  EXPECT_EQ(n, 50);
  auto lv = q->LabelValues("odd", {});
  ASSERT_TRUE(lv.ok());
  EXPECT_EQ(*lv, (std::vector<std::string>{"0", "1"}));
  auto ln = q->LabelNames({Matcher::Equal("i", "3")});
  ASSERT_TRUE(ln.ok());
  EXPECT_EQ(*ln, (std::vector<std::string>{"__name__", "i", "odd"}));
}

TEST(BlockTest, EmptyWritesNothing) {
  std::string dir = TmpDir("empty");
  auto meta = WriteBlock(dir, 0, 10, {}, BlockWriteOptions{});
  ASSERT_TRUE(meta.ok());
  EXPECT_TRUE(meta->ulid.empty());
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(BlockTest, CorruptChunkReported) {
  std::string dir = TmpDir("corrupt");
  std::vector<BlockSeries> series(1);
  series[0].labels = Labels{{"__name__", "m"}};
  series[0].chunks.push_back(MakeChunk(0, 1000, 10, 1));
  auto meta = WriteBlock(dir, 0, 7200000, std::move(series), BlockWriteOptions{});
  ASSERT_TRUE(meta.ok());
  std::string seg = dir + "/" + meta->ulid + "/chunks/000001";
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.put('\x55');
  }
  auto b = Block::Open(dir + "/" + meta->ulid);
  ASSERT_TRUE(b.ok());
  auto q = NewBlockQuerier(*b, 0, 10000);
  auto ss = q->Select(true, {}, {Matcher::Equal("__name__", "m")});
  EXPECT_FALSE(ss->Next());
  EXPECT_EQ(ss->Err().code(), Status::Code::kCorruption);
  EXPECT_NE(ss->Err().message().find(seg + " at offset 8"), std::string::npos) << ss->Err().ToString();
  // A missing index fails Open with the path.
  fs::remove(dir + "/" + meta->ulid + "/index");
  EXPECT_FALSE(Block::Open(dir + "/" + meta->ulid).ok());
}

TEST(BlockTest, DeletionWaitsForLastReference) {
  std::string dir = TmpDir("del");
  std::vector<BlockSeries> series(1);
  series[0].labels = Labels{{"__name__", "m"}};
  series[0].chunks.push_back(MakeChunk(0, 1000, 10, 1));
  auto meta = WriteBlock(dir, 0, 7200000, std::move(series), BlockWriteOptions{});
  ASSERT_TRUE(meta.ok());
  std::string bdir = dir + "/" + meta->ulid;
  auto b = Block::Open(bdir);
  ASSERT_TRUE(b.ok());
  auto q = NewBlockQuerier(*b, 0, 10000);
  (*b)->MarkForDeletion();
  b->reset();
  EXPECT_TRUE(fs::exists(bdir));
  auto ss = q->Select(true, {}, {Matcher::Equal("__name__", "m")});
  ASSERT_TRUE(ss->Next());
  auto it = ss->At().Iterator();
  EXPECT_EQ(Drain(*it).size(), 10u);
  ss.reset();
  q.reset();
  EXPECT_TRUE(fs::exists(bdir));  // the iterator still reads it
  it.reset();
  EXPECT_FALSE(fs::exists(bdir));
}

// Chunk segments are written in pieces as chunks arrive and cut at the segment size: every ref
// reads back its own bytes, across several segments and write batches.
TEST(ChunkFileTest, StreamedSegmentsReadBack) {
  std::string dir = ::testing::TempDir() + "/abhra-chunkfile-" + std::to_string(::getpid());
  fs::remove_all(dir);
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> written;
  {
    ChunkFileWriter w(dir, /*segment_size=*/3 * ChunkFileWriter::kWriteBatch);
    for (int i = 0; i < 400; ++i) {
      std::vector<uint8_t> data(1000 + (i * 7919) % 30000, static_cast<uint8_t>(i));
      data[0] = static_cast<uint8_t>(i >> 8);
      auto ref = w.Write(1, data);
      ASSERT_TRUE(ref.ok()) << ref.status().ToString();
      written.push_back({*ref, std::move(data)});
    }
    ASSERT_TRUE(w.Finish().ok());
    EXPECT_GT(w.segment_files().size(), 2u);
    uint64_t on_disk = 0;
    for (const auto& f : w.segment_files()) on_disk += fs::file_size(dir + "/" + f);
    EXPECT_EQ(on_disk, w.bytes_written());
  }
  auto r = ChunkFileReader::Open(dir);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const auto& [ref, data] : written) {
    auto c = (*r)->Chunk(ref);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->encoding, 1);
    ASSERT_TRUE(std::equal(c->data.begin(), c->data.end(), data.begin(), data.end()))
        << "ref " << ref;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace abhra::tsdb
