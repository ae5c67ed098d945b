#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "aggregator/tsdb/block/block_writer.h"
#include "aggregator/tsdb/compact/compactor.h"
#include "aggregator/tsdb/db/db.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kH = 3600 * 1000;

std::string TmpDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("abhra-db-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

DBOptions Opts() {
  DBOptions o;
  o.background_interval_ms = 0;
  o.external_labels = {{"tenant", "t1"}};
  return o;
}

// Appends m{i} = t/1000 + i every `step` ms in [from, to).
void Append(DB& db, int n, int64_t from, int64_t to, int64_t step) {
  auto app = db.MakeAppender();
  for (int64_t t = from; t < to; t += step) {
    for (int i = 0; i < n; ++i) {
      auto r = app->Append(0, Labels{{"__name__", "m"}, {"i", std::to_string(i)}}, t,
                           double(t) / 1000 + i);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }
  ASSERT_TRUE(app->Commit().ok());
}

// Checks every series m{i} has exactly the samples [from, to) at `step`.
void ExpectAll(DB& db, int n, int64_t from, int64_t to, int64_t step) {
  auto q = db.MakeQuerier(from - 1000000, to + 1000000);
  ASSERT_TRUE(q.ok());
  auto ss = (*q)->Select(true, {}, {Matcher::Equal("__name__", "m")});
  int series = 0;
  while (ss->Next()) {
    const auto& s = ss->At();
    int i = std::stoi(std::string(s.labels().Get("i")));
    auto it = s.Iterator();
    int64_t want = from;
    while (it->Next()) {
      ASSERT_EQ(it->At().t, want) << s.labels().ToString();
      ASSERT_EQ(it->At().v, double(want) / 1000 + i);
      want += step;
    }
    ASSERT_TRUE(it->Err().ok()) << it->Err().ToString();
    EXPECT_EQ(want, from + (to - from + step - 1) / step * step) << s.labels().ToString();
    ++series;
  }
  ASSERT_TRUE(ss->Err().ok()) << ss->Err().ToString();
  EXPECT_EQ(series, n);
}

TEST(DBTest, CutsHeadIntoBlocksAndQueriesSeamlessly) {
  std::string dir = TmpDir("cut");
  auto db = DB::Open(dir, Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Append(**db, 5, 0, 5 * kH, 60000);
  ASSERT_TRUE((*db)->CutIfNeeded().ok());
  // 5h of data > 1.5 * 2h: [0,2h) cut; 3h left < 3h... 3h - 0 is not > 3h, so one more is not cut.
  auto blocks = (*db)->Blocks();
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].min_time, 0);
  EXPECT_EQ(blocks[0].max_time, 2 * kH);
  EXPECT_EQ(blocks[0].num_samples, 5u * 120);
  EXPECT_EQ(blocks[0].thanos_labels.at("tenant"), "t1");
  EXPECT_GE((*db)->head().MinTime(), 2 * kH);
  ExpectAll(**db, 5, 0, 5 * kH, 60000);
  auto q = (*db)->MakeQuerier(0, 5 * kH);
  ASSERT_TRUE(q.ok());
  auto lv = (*q)->LabelValues("i", {});
  ASSERT_TRUE(lv.ok());
  EXPECT_EQ(lv->size(), 5u);
}

TEST(DBTest, FlushWritesEverythingAndRestartNeitherLosesNorDuplicates) {
  std::string dir = TmpDir("flush");
  {
    auto db = DB::Open(dir, Opts());
    ASSERT_TRUE(db.ok());
    Append(**db, 3, 0, 3 * kH, 60000);
    ASSERT_TRUE((*db)->Flush().ok());
    auto blocks = (*db)->Blocks();
    ASSERT_EQ(blocks.size(), 2u);  // [0,2h) and [2h, 3h-1m+1)
    EXPECT_EQ(blocks[1].max_time, 3 * kH - 60000 + 1);
    EXPECT_GT((*db)->head().MinTime(), (*db)->head().MaxTime());  // empty
    Append(**db, 3, 3 * kH, 4 * kH, 60000);  // stays in the head / WAL
    ExpectAll(**db, 3, 0, 4 * kH, 60000);
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(dir, Opts());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->Blocks().size(), 2u);
  ExpectAll(**db, 3, 0, 4 * kH, 60000);
  // Samples already flushed are out of bounds for the head now.
  auto app = (*db)->MakeAppender();
  EXPECT_FALSE(app->Append(0, Labels{{"__name__", "m"}, {"i", "0"}}, kH, 1).ok());
  app->Rollback();
}

TEST(DBTest, CompactsLevelsAndAppliesRetention) {
  std::string dir = TmpDir("compact");
  DBOptions o = Opts();
  o.retention_raw_ms = 10 * kH;
  auto db = DB::Open(dir, o);
  ASSERT_TRUE(db.ok());
  Append(**db, 4, 0, 13 * kH, 60000);
  ASSERT_TRUE((*db)->Compact().ok());
  // Head cut into 2h blocks up to 10h (head keeps > 1.5 ranges? no: keeps <= 3h).
  // Compaction merged [0,6h) into one level-2 block; [6h,12h) as well when complete.
  auto blocks = (*db)->Blocks();
  ASSERT_FALSE(blocks.empty());
  bool has_6h = false;
  for (const auto& b : blocks) {
    if (b.max_time - b.min_time == 6 * kH) {
      has_6h = true;
      EXPECT_EQ(b.level, 2);
      EXPECT_EQ(b.parents.size(), 3u);
      EXPECT_EQ(b.source, "compactor");
    }
  }
  EXPECT_TRUE(has_6h);
  // Nothing lost across compaction.
  ExpectAll(**db, 4, 0, 13 * kH, 60000);
  // Only block dirs of live blocks remain.
  size_t dirs = 0;
  for (const auto& e : fs::directory_iterator(dir)) dirs += e.path().filename() != "wal";
  EXPECT_EQ(dirs, blocks.size());

  // Retention: drop blocks whose max time is older than newest - 10h, while a querier
  // holds them: it keeps reading; the directories go when it is destroyed.
  auto q = (*db)->MakeQuerier(0, 20 * kH);
  ASSERT_TRUE(q.ok());
  Append(**db, 4, 13 * kH, 20 * kH, 60000);
  ASSERT_TRUE((*db)->Compact().ok());
  for (const auto& b : (*db)->Blocks()) EXPECT_GT(b.max_time, (*db)->head().MaxTime() - 10 * kH);
  auto ss = (*q)->Select(true, {}, {Matcher::Equal("i", "0")});
  ASSERT_TRUE(ss->Next());
  auto it = ss->At().Iterator();
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->At().t, 0);
}

TEST(DBTest, RecoversFromCrashBetweenCompactionSteps) {
  std::string dir = TmpDir("crash");
  {
    auto db = DB::Open(dir, Opts());
    ASSERT_TRUE(db.ok());
    Append(**db, 3, 0, 6 * kH, 60000);
    ASSERT_TRUE((*db)->Flush().ok());
    ASSERT_EQ((*db)->Blocks().size(), 3u);
    ASSERT_TRUE((*db)->Close().ok());
  }
  // Crash 1: the compacted block was written, the parents not yet deleted.
  std::vector<std::shared_ptr<Block>> parents;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() == "wal") continue;
    auto b = Block::Open(e.path().string());
    ASSERT_TRUE(b.ok());
    parents.push_back(*b);
  }
  auto merged = CompactBlocks(dir, parents, CompactOptions{});
  ASSERT_TRUE(merged.ok());
  parents.clear();
  // Crash 2: a half-written block and a half-deleted one are left behind.
  fs::create_directories(dir + "/01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp-for-creation/chunks");
  fs::create_directories(dir + "/01HZZZZZZZZZZZZZZZZZZZZZZY.tmp-for-deletion");
  auto db = DB::Open(dir, Opts());
  ASSERT_TRUE(db.ok());
  auto blocks = (*db)->Blocks();
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].ulid, merged->ulid);
  size_t dirs = 0;
  for (const auto& e : fs::directory_iterator(dir)) dirs += e.path().filename() != "wal";
  EXPECT_EQ(dirs, 1u);
  ExpectAll(**db, 3, 0, 6 * kH, 60000);
}

TEST(DBTest, CorruptBlockIsSkippedNotFatal) {
  std::string dir = TmpDir("corrupt");
  {
    auto db = DB::Open(dir, Opts());
    ASSERT_TRUE(db.ok());
    Append(**db, 2, 0, kH, 60000);
    ASSERT_TRUE((*db)->Flush().ok());
    ASSERT_TRUE((*db)->Close().ok());
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() != "wal") fs::resize_file(e.path() / "index", 10);
  }
  auto db = DB::Open(dir, Opts());
  ASSERT_TRUE(db.ok());
  EXPECT_TRUE((*db)->Blocks().empty());
}

TEST(DBTest, CompactionRunsWhileAppendingAndQuerying) {
  std::string dir = TmpDir("concurrent");
  auto db = DB::Open(dir, Opts());
  ASSERT_TRUE(db.ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int64_t h = 0; h < 20; ++h) Append(**db, 10, h * kH, (h + 1) * kH, 60000);
    done = true;
  });
  int cycles = 0;
  do {
    ASSERT_TRUE((*db)->Compact().ok());
    auto q = (*db)->MakeQuerier(0, 20 * kH);
    ASSERT_TRUE(q.ok());
    auto ss = (*q)->Select(true, {}, {Matcher::Equal("i", "3")});
    while (ss->Next()) {
      auto it = ss->At().Iterator();
      int64_t prev = -1;
      while (it->Next()) {
        ASSERT_GT(it->At().t, prev);
        prev = it->At().t;
      }
      ASSERT_TRUE(it->Err().ok());
    }
    ASSERT_TRUE(ss->Err().ok());
    ++cycles;
  } while (!done);
  writer.join();
  ASSERT_TRUE((*db)->Compact().ok());
  EXPECT_GT(cycles, 0);
  EXPECT_GE((*db)->Blocks().size(), 2u);
  ExpectAll(**db, 10, 0, 20 * kH, 60000);
}

// Flush cuts the whole head while writers keep appending: every acknowledged sample must be
// in a block or the head afterwards, none lost to the truncation.
TEST(DBTest, FlushDuringAppendsLosesNoAcknowledgedSample) {
  std::string dir = TmpDir("flush-race");
  auto db = DB::Open(dir, Opts());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  constexpr int kWriters = 2, kSeries = 20;
  std::atomic<bool> stop{false};
  std::vector<std::vector<int64_t>> acked(kWriters);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int64_t t = 1000; !stop.load(); t += 1000) {
        auto app = (*db)->MakeAppender();
        bool ok = true;
        for (int i = 0; i < kSeries && ok; ++i) {
          ok = app->Append(0, Labels{{"__name__", "race"}, {"w", std::to_string(w)},
                                     {"i", std::to_string(i)}},
                           t, double(t)).ok();
        }
        if (ok && app->Commit().ok()) {
          acked[w].push_back(t);
        } else {
          app->Rollback();  // refused below the fence: a sender would retry later data
        }
      }
    });
  }
  for (int f = 0; f < 20; ++f) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE((*db)->Flush().ok());
  }
  stop.store(true);
  for (auto& t : writers) t.join();
  auto q = (*db)->MakeQuerier(0, INT64_MAX / 2);
  ASSERT_TRUE(q.ok());
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_FALSE(acked[w].empty());
    auto ss = (*q)->Select(true, {}, {Matcher::Equal("__name__", "race"),
                                      Matcher::Equal("w", std::to_string(w))});
    int series = 0;
    while (ss->Next()) {
      std::set<int64_t> have;
      auto it = ss->At().Iterator();
      while (it->Next()) have.insert(it->At().t);
      for (int64_t t : acked[w]) {
        ASSERT_TRUE(have.count(t)) << ss->At().labels().ToString() << " lost t=" << t;
      }
      ++series;
    }
    EXPECT_EQ(series, kSeries);
  }
}

}  // namespace
}  // namespace abhra::tsdb
