#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "aggregator/tsdb/index/encoding.h"
#include "aggregator/tsdb/index/index_reader.h"
#include "aggregator/tsdb/index/index_writer.h"

namespace abhra::tsdb {
namespace {

std::string TmpPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("abhra-index-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

std::vector<IndexSeries> MakeSeries(int n) {
  std::vector<IndexSeries> out;
  for (int i = 0; i < n; ++i) {
    IndexSeries s;
    s.labels = Labels{{"__name__", i % 2 ? "up" : "http_requests_total"},
                      {"instance", "host-" + std::to_string(i)},
                      {"job", i % 3 ? "api" : "db"}};
    if (i % 5 == 0) s.labels.Set("zone", "eu");
    s.chunks.push_back({1000 + i, 2000 + i, 8 + uint64_t(i) * 100});
    s.chunks.push_back({3000 + i, 4000 + i, 58 + uint64_t(i) * 100});
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.labels < b.labels; });
  return out;
}

TEST(IndexTest, RoundTripManySeries) {
  auto series = MakeSeries(5000);
  std::string path = TmpPath("index-many");
  IndexWriteStats st;
  ASSERT_TRUE(WriteIndexFile(path, series, &st).ok());
  EXPECT_EQ(st.total, std::filesystem::file_size(path));
  auto r = IndexReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto all = (*r)->AllPostings();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), series.size());
  for (size_t i = 0; i < all->size(); ++i) {
    Labels ls;
    std::vector<ChunkMeta> cm;
    ASSERT_TRUE((*r)->Series((*all)[i], &ls, &cm).ok());
    EXPECT_EQ(ls, series[i].labels);
    ASSERT_EQ(cm.size(), 2u);
    EXPECT_EQ(cm[0].mint, series[i].chunks[0].mint);
    EXPECT_EQ(cm[1].maxt, series[i].chunks[1].maxt);
    EXPECT_EQ(cm[1].ref, series[i].chunks[1].ref);
  }
  EXPECT_EQ((*r)->LabelNames(), (std::vector<std::string>{"__name__", "instance", "job", "zone"}));
  EXPECT_EQ((*r)->LabelValues("job"), (std::vector<std::string>{"api", "db"}));
  auto p = (*r)->Postings("zone", "eu");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 1000u);

  // Matchers: up{job="db", zone=""}.
  std::vector<Matcher> ms = {Matcher::Equal("__name__", "up"), Matcher::Equal("job", "db"),
                             Matcher::Equal("zone", "")};
  auto m = (*r)->PostingsForMatchers(ms);
  ASSERT_TRUE(m.ok());
  size_t want = 0;
  for (const auto& s : series) want += MatchesAll(ms, s.labels);
  EXPECT_EQ(m->size(), want);
  auto re = Matcher::Make(MatchType::kRegexMatch, "instance", "host-1.*");
  ASSERT_TRUE(re.ok());
  auto nre = Matcher::Make(MatchType::kNotEqual, "job", "api");
  ms = {*re, *nre};
  m = (*r)->PostingsForMatchers(ms);
  ASSERT_TRUE(m.ok());
  want = 0;
  for (const auto& s : series) want += MatchesAll(ms, s.labels);
  EXPECT_EQ(m->size(), want);
  EXPECT_GT(want, 0u);
}

TEST(IndexTest, ExactLayoutOfSmallIndex) {
  std::vector<IndexSeries> series(1);
  series[0].labels = Labels{{"a", "b"}};
  series[0].chunks.push_back({5, 7, 8});
  IndexWriteStats st;
  auto b = EncodeIndex(series, &st);
  ASSERT_TRUE(b.ok());
  const auto* p = reinterpret_cast<const uint8_t*>(b->data());
  EXPECT_EQ(enc::BE32(p), 0xBAAAD700u);
  EXPECT_EQ(p[4], 2);
  // Symbol table at 5: len=4+2+2=8, count 2, "a", "b".
  EXPECT_EQ(enc::BE32(p + 5), 8u);
  EXPECT_EQ(enc::BE32(p + 9), 2u);
  EXPECT_EQ(p[13], 1);
  EXPECT_EQ(p[14], 'a');
  // Series at 32 (16-aligned): len, 1 label (0,1), 1 chunk: varint(5)=10, 2, 8.
  const uint8_t want[] = {7, 1, 0, 1, 1, 10, 2, 8};
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(p + 32), 8),
            std::string(reinterpret_cast<const char*>(want), 8));
  // TOC: series ref is 32.
  size_t toc = b->size() - kIndexTocSize;
  EXPECT_EQ(enc::BE64(p + toc + 8), 32u);
}

TEST(IndexTest, RejectsUnsortedSeries) {
  auto series = MakeSeries(3);
  std::swap(series[0], series[1]);
  EXPECT_FALSE(EncodeIndex(series, nullptr).ok());
}

TEST(IndexTest, CorruptionNamesFileAndOffset) {
  auto series = MakeSeries(50);
  std::string path = TmpPath("index-corrupt");
  ASSERT_TRUE(WriteIndexFile(path, series).ok());
  // Flip a byte inside the symbol table.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.put('\x7f');
  }
  auto r = IndexReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find(path), std::string::npos);
  EXPECT_NE(r.status().message().find("offset 5"), std::string::npos);
  // Truncated file.
  ASSERT_TRUE(WriteFileSync(path, "short").ok());
  EXPECT_FALSE(IndexReader::Open(path).ok());
}

}  // namespace
}  // namespace abhra::tsdb
