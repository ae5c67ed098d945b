#include "aggregator/tsdb/wal/wal.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "aggregator/tsdb/wal/wal_reader.h"
#include "common/base/logging.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("abhra_wal_test_{}_{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> ReplayAll(Status* st, WalReplayStats* stats = nullptr,
                                     const std::string& dir = "") {
    std::vector<std::string> out;
    *st = ReplayWal(dir.empty() ? dir_.string() : dir,
                    [&](std::string_view r) {
                      out.emplace_back(r);
                      return Status::Ok();
                    },
                    stats);
    return out;
  }

  fs::path dir_;
};

std::string MakeRecord(std::mt19937& rng, size_t len) {
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

TEST_F(WalTest, RoundTripAcrossPagesAndSegments) {
  WalOptions o;
  o.segment_size = 4 * kWalPageSize;  // force segment rolls
  o.fsync = FsyncPolicy::kNever;
  auto w = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::mt19937 rng(1);
  std::vector<std::string> want;
  for (int i = 0; i < 300; ++i) {
    size_t len = (i % 17 == 0) ? 70000 + rng() % 30000 : rng() % 3000;  // some span pages
    if (i % 50 == 0) len = 0;
    want.push_back(MakeRecord(rng, len));
    std::string_view v = want.back();
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
  }
  // A multi-record batch.
  std::vector<std::string> batch = {MakeRecord(rng, 10), MakeRecord(rng, 40000), "x"};
  std::vector<std::string_view> views(batch.begin(), batch.end());
  ASSERT_TRUE((*w)->Commit(views).ok());
  want.insert(want.end(), batch.begin(), batch.end());
  EXPECT_GT((*w)->current_segment(), 3);
  ASSERT_TRUE((*w)->Close().ok());

  Status st;
  WalReplayStats stats;
  auto got = ReplayAll(&st, &stats);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(stats.torn_tail);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "record " << i;
  // Every segment is page-framed: no segment exceeds its size.
  for (auto& e : fs::directory_iterator(dir_)) EXPECT_LE(fs::file_size(e), o.segment_size);

  // Reopen continues in a new segment; replay sees old + new.
  auto w2 = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w2.ok());
  std::string_view extra = "after reopen";
  ASSERT_TRUE((*w2)->Commit({&extra, 1}).ok());
  ASSERT_TRUE((*w2)->Close().ok());
  got = ReplayAll(&st);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(got.size(), want.size() + 1);
  EXPECT_EQ(got.back(), "after reopen");
}

TEST_F(WalTest, SnappyCompressedRecordsRoundTripAndMixWithPlainOnes) {
  WalOptions o;
  o.segment_size = 8 * kWalPageSize;
  o.fsync = FsyncPolicy::kNever;
  std::vector<std::string> want;
  size_t raw_bytes = 0;
  {
    auto w = Wal::Open(dir_.string(), o);  // compress defaults to true
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 40; ++i) {
      // Compressible: repeated text, some records spanning several pages.
      std::string rec;
      for (int j = 0; j < (i % 5 == 0 ? 6000 : 50); ++j) rec += fmt::format("up{{job=\"x{}\"}} ", j % 7);
      raw_bytes += rec.size();
      want.push_back(rec);
      std::string_view v = want.back();
      ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  size_t disk = 0;
  for (auto& e : fs::directory_iterator(dir_)) disk += fs::file_size(e);
  EXPECT_LT(disk, raw_bytes / 3) << "records should shrink under snappy";
  {
    o.compress = false;  // a WAL may hold both kinds, e.g. after a config change
    auto w = Wal::Open(dir_.string(), o);
    ASSERT_TRUE(w.ok());
    want.push_back(std::string(5000, 'z'));
    std::string_view v = want.back();
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  Status st;
  auto got = ReplayAll(&st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "record " << i;
}

TEST_F(WalTest, RecordLargerThanSegmentIsRejected) {
  WalOptions o;
  o.segment_size = 2 * kWalPageSize;
  o.fsync = FsyncPolicy::kNever;
  o.compress = false;  // the limit is on the bytes written
  auto w = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w.ok());
  std::string big(3 * kWalPageSize, 'a');
  std::string_view v = big;
  EXPECT_TRUE((*w)->Commit({&v, 1}).Is(Status::Code::kInvalidArgument));
  std::string_view ok = "fine";
  EXPECT_TRUE((*w)->Commit({&ok, 1}).ok());
}

// A write that fails part-way (here EFBIG from RLIMIT_FSIZE, as ENOSPC on a full disk) fails
// that commit, leaves no partial record behind and does not stop later commits.
TEST_F(WalTest, FailedWriteIsCutOffAndLaterWritesSucceed) {
  WalOptions o;
  o.fsync = FsyncPolicy::kAlways;
  o.compress = false;
  auto w = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w.ok());
  std::vector<std::string> want;
  for (int i = 0; i < 5; ++i) {
    want.push_back(std::string(1000, static_cast<char>('a' + i)));
    std::string_view v = want.back();
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
  }
  const auto seg = dir_ / SegmentName(0);
  const uintmax_t before = fs::file_size(seg);

  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = before + 3000;  // the next record (40 KB, two fragments) does not fit
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string big(40000, 'x');
  std::string_view bv = big;
  Status failed = (*w)->Commit({&bv, 1});
  std::string_view two[2] = {"series-like", bv};
  Status failed_batch = (*w)->Commit(two);
  uintmax_t after_fail = fs::file_size(seg);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_TRUE(failed.Is(Status::Code::kIOError)) << failed.ToString();
  EXPECT_NE(failed.message().find(SegmentName(0)), std::string::npos) << failed.message();
  EXPECT_TRUE(failed_batch.Is(Status::Code::kIOError)) << failed_batch.ToString();
  EXPECT_EQ(after_fail, before) << "the partial write must be cut off";

  // Room again: the WAL takes writes without a restart.
  for (int i = 0; i < 3; ++i) {
    want.push_back(std::string(2000, static_cast<char>('A' + i)));
    std::string_view v = want.back();
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
  }
  ASSERT_TRUE((*w)->Flush().ok());
  ASSERT_TRUE((*w)->Close().ok());
  Status st;
  WalReplayStats stats;
  auto got = ReplayAll(&st, &stats);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(stats.torn_tail);
  EXPECT_EQ(got, want);
}

// Cut the segment at every byte offset inside the last record: replay must yield exactly
// the records before it, truncate the file to the record start, and accept new writes.
TEST_F(WalTest, TornLastRecordAtEveryOffset) {
  SetLogSink([](std::string_view) {});  // one warning per cut otherwise
  std::mt19937 rng(2);
  std::vector<std::string> want;
  // Five records fill the first page to ~600 bytes before its end; the last record then
  // spans the page boundary (first + last fragments).
  size_t each = (kWalPageSize - 600) / 5 - kWalHeaderSize;
  for (int i = 0; i < 5; ++i) want.push_back(MakeRecord(rng, each));
  std::string last = MakeRecord(rng, 1200);
  uint64_t before = 0, after = 0;
  std::string seg_path;
  {
    WalOptions o;
    o.fsync = FsyncPolicy::kNever;
    auto w = Wal::Open(dir_.string(), o);
    ASSERT_TRUE(w.ok());
    for (auto& r : want) {
      std::string_view v = r;
      ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
    }
    seg_path = (dir_ / SegmentName((*w)->current_segment())).string();
    before = fs::file_size(seg_path);
    std::string_view v = last;
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
    after = fs::file_size(seg_path);
    ASSERT_TRUE((*w)->Close().ok());
  }
  std::string full;
  {
    std::ifstream in(seg_path, std::ios::binary);
    full.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(full.size(), after);
  for (uint64_t cut = before + 1; cut < after; ++cut) {
    {
      std::ofstream out(seg_path, std::ios::binary | std::ios::trunc);
      out.write(full.data(), static_cast<std::streamsize>(cut));
    }
    Status st;
    WalReplayStats stats;
    auto got = ReplayAll(&st, &stats);
    ASSERT_TRUE(st.ok()) << "cut " << cut << ": " << st.ToString();
    ASSERT_EQ(got, want) << "cut " << cut;
    ASSERT_TRUE(stats.torn_tail) << "cut " << cut;
    ASSERT_EQ(fs::file_size(seg_path), before) << "cut " << cut;
  }
  SetLogSink(nullptr);
  // After repair, appending in a new segment and replaying works.
  WalOptions o;
  o.fsync = FsyncPolicy::kNever;
  auto w = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w.ok());
  std::string_view v = "next";
  ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
  ASSERT_TRUE((*w)->Close().ok());
  Status st;
  auto got = ReplayAll(&st);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(got.size(), want.size() + 1);
}

TEST_F(WalTest, CorruptedCrcInMiddleIsCorruptionWithLocation) {
  WalOptions o;
  o.fsync = FsyncPolicy::kNever;
  o.compress = false;  // the test computes fragment offsets from record sizes
  auto w = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 10; ++i) {
    std::string r(100, static_cast<char>('a' + i));
    std::string_view v = r;
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
  }
  ASSERT_TRUE((*w)->Close().ok());
  std::string path = (dir_ / SegmentName(0)).string();
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3 * 107 + 7 + 50);  // inside record 3's payload
    f.put('Z');
  }
  Status st;
  auto got = ReplayAll(&st);
  EXPECT_TRUE(st.Is(Status::Code::kCorruption)) << st.ToString();
  EXPECT_NE(st.message().find("00000000"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("offset 321"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("CRC32C"), std::string::npos) << st.message();
  EXPECT_EQ(got.size(), 3u);
}

TEST_F(WalTest, BadFramingIsCorruption) {
  fs::create_directories(dir_);
  // A continuation without a first fragment.
  std::string seg;
  std::string body = "abc";
  uint32_t crc = 0;
  {
    WalOptions o;
    o.fsync = FsyncPolicy::kNever;
    auto w = Wal::Open(dir_.string(), o);
    ASSERT_TRUE(w.ok());
    std::string_view v = body;
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
    std::string_view v2 = "second";
    ASSERT_TRUE((*w)->Commit({&v2, 1}).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  (void)crc;
  std::string path = (dir_ / SegmentName(0)).string();
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.put(static_cast<char>(FragmentType::kMiddle));
  }
  Status st;
  ReplayAll(&st);
  EXPECT_TRUE(st.Is(Status::Code::kCorruption)) << st.ToString();
  EXPECT_NE(st.message().find("offset 0"), std::string::npos);
}

TEST_F(WalTest, MissingSegmentIsCorruption) {
  WalOptions o;
  o.fsync = FsyncPolicy::kNever;
  for (int i = 0; i < 3; ++i) {
    auto w = Wal::Open(dir_.string(), o);
    ASSERT_TRUE(w.ok());
    std::string_view v = "r";
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
  }
  fs::remove(dir_ / SegmentName(1));
  Status st;
  ReplayAll(&st);
  EXPECT_TRUE(st.Is(Status::Code::kCorruption));
  EXPECT_NE(st.message().find("00000001"), std::string::npos) << st.message();
}

TEST_F(WalTest, DeleteSegmentsBeforeKeepsNewer) {
  WalOptions o;
  o.fsync = FsyncPolicy::kBatch;
  o.batch_interval_ms = 5;
  auto w = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 4; ++i) {
    std::string r = fmt::format("rec{}", i);
    std::string_view v = r;
    ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
    ASSERT_TRUE((*w)->Roll().ok());
  }
  EXPECT_EQ((*w)->current_segment(), 4);
  ASSERT_TRUE((*w)->DeleteSegmentsBefore(2).ok());
  auto segs = ListSegments(dir_.string());
  ASSERT_TRUE(segs.ok());
  EXPECT_EQ(*segs, (std::vector<int>{2, 3, 4}));
  ASSERT_TRUE((*w)->Flush().ok());
  Status st;
  auto got = ReplayAll(&st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(got, (std::vector<std::string>{"rec2", "rec3"}));
}

TEST_F(WalTest, ConcurrentCommitsShareFsyncs) {
  std::atomic<int> fsyncs{0};
  WalOptions o;
  o.fsync = FsyncPolicy::kAlways;
  o.on_fsync = [&](double) { fsyncs.fetch_add(1); };
  auto w = Wal::Open(dir_.string(), o);
  ASSERT_TRUE(w.ok());
  constexpr int kThreads = 8, kPer = 40;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        std::string r = fmt::format("{}:{}", t, i);
        std::string_view v = r;
        EXPECT_TRUE((*w)->Commit({&v, 1}).ok());
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_LE(fsyncs.load(), kThreads * kPer);
  std::printf("group commit: %d commits, %d fsyncs\n", kThreads * kPer, fsyncs.load());
  ASSERT_TRUE((*w)->Close().ok());
  Status st;
  auto got = ReplayAll(&st);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(got.size(), static_cast<size_t>(kThreads * kPer));
  // Per-thread order is preserved.
  std::vector<int> next(kThreads, 0);
  for (auto& r : got) {
    int t = 0, i = 0;
    ASSERT_EQ(std::sscanf(r.c_str(), "%d:%d", &t, &i), 2);
    EXPECT_EQ(i, next[static_cast<size_t>(t)]++);
  }
}

TEST_F(WalTest, ParseFsyncPolicy) {
  EXPECT_EQ(*ParseFsyncPolicy("always"), FsyncPolicy::kAlways);
  EXPECT_EQ(*ParseFsyncPolicy("batch"), FsyncPolicy::kBatch);
  EXPECT_EQ(*ParseFsyncPolicy("never"), FsyncPolicy::kNever);
  EXPECT_TRUE(ParseFsyncPolicy("sometimes").status().Is(Status::Code::kInvalidArgument));
}

TEST_F(WalTest, MissingDirectoryReplaysNothing) {
  Status st;
  WalReplayStats stats;
  auto got = ReplayAll(&st, &stats, (dir_ / "nope").string());
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace abhra::tsdb
