#include "aggregator/tsdb/wal/wal_repair.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "aggregator/tsdb/wal/wal.h"
#include "aggregator/tsdb/wal/wal_format.h"
#include "aggregator/tsdb/wal/wal_reader.h"
#include "common/base/logging.h"

namespace abhra::tsdb {
namespace {

namespace fs = std::filesystem;

// Records of 100 bytes ('a', 'b', ...), uncompressed, so fragment offsets are known: record
// i of a segment starts at i * 107.
class WalRepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            fmt::format("abhra_wal_repair_test_{}_{}", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    wal_ = root_ / "wal";
    quarantine_ = root_ / "quarantine";
    SetLogSink([this](std::string_view line) { log_ += std::string(line) + "\n"; });
  }
  void TearDown() override {
    SetLogSink(nullptr);
    fs::remove_all(root_);
  }

  // Writes `per_segment` records into each of `segments` segments.
  void Write(int segments, int per_segment) {
    WalOptions o;
    o.fsync = FsyncPolicy::kNever;
    o.compress = false;
    auto w = Wal::Open(wal_.string(), o);
    ASSERT_TRUE(w.ok());
    for (int s = 0; s < segments; ++s) {
      if (s > 0) {
        ASSERT_TRUE((*w)->Roll().ok());
      }
      for (int i = 0; i < per_segment; ++i) {
        std::string r(100, static_cast<char>('a' + (s * per_segment + i) % 26));
        std::string_view v = r;
        ASSERT_TRUE((*w)->Commit({&v, 1}).ok());
      }
    }
    ASSERT_TRUE((*w)->Close().ok());
  }

  void Poke(int segment, uint64_t offset, char c) {
    std::fstream f(wal_ / SegmentName(segment), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(c);
  }

  std::vector<std::string> Replay(Status* st, WalReplayStats* stats, bool repair = true) {
    std::vector<std::string> out;
    WalReplayOptions o;
    o.repair_corruption = repair;
    o.quarantine_dir = quarantine_.string();
    *st = ReplayWal(
        wal_.string(),
        [&](std::string_view r) {
          out.emplace_back(r);
          return Status::Ok();
        },
        stats, o);
    return out;
  }

  std::vector<std::string> QuarantinedFiles() {
    std::vector<std::string> out;
    if (!fs::exists(quarantine_)) return out;
    for (const auto& e : fs::recursive_directory_iterator(quarantine_)) {
      if (e.is_regular_file()) out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_, wal_, quarantine_;
  std::string log_;
};

TEST_F(WalRepairTest, CrcMismatchMidSegmentKeepsRecordsBeforeAndQuarantinesTheRest) {
  Write(3, 10);
  const uintmax_t seg1 = fs::file_size(wal_ / SegmentName(1));
  Poke(1, 4 * 107 + 7 + 50, 'Z');  // inside record 4 of segment 1
  Status st;
  WalReplayStats stats;
  auto got = Replay(&st, &stats);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got.size(), 14u);  // segment 0 and the 4 records before the damage
  EXPECT_TRUE(stats.repaired_corruption);
  EXPECT_EQ(stats.corrupt_segment, 1);
  EXPECT_EQ(stats.corrupt_offset, 4u * 107);
  EXPECT_EQ(stats.segments_removed, 1);
  EXPECT_NE(stats.corruption.find("CRC32C"), std::string::npos) << stats.corruption;
  EXPECT_EQ(fs::file_size(wal_ / SegmentName(1)), 4u * 107);
  EXPECT_FALSE(fs::exists(wal_ / SegmentName(2)));
  EXPECT_EQ(QuarantinedFiles(), (std::vector<std::string>{"00000001.from-428", "00000002"}));
  EXPECT_EQ(fs::file_size(fs::path(stats.quarantined_to) / "00000001.from-428"), seg1 - 4 * 107);
  EXPECT_NE(log_.find("corrupt WAL repaired"), std::string::npos) << log_;
  EXPECT_NE(log_.find("cut_offset=428"), std::string::npos) << log_;

  // The repaired WAL replays cleanly and takes new segments.
  WalReplayStats again;
  got = Replay(&st, &again, /*repair=*/false);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got.size(), 14u);
  EXPECT_FALSE(again.repaired_corruption);
}

TEST_F(WalRepairTest, GarbageAtSegmentStartCutsTheWholeSegment) {
  Write(2, 5);
  Poke(0, 0, '\x42');  // unknown fragment type
  Status st;
  WalReplayStats stats;
  auto got = Replay(&st, &stats);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(fs::file_size(wal_ / SegmentName(0)), 0u);
  EXPECT_EQ(QuarantinedFiles(), (std::vector<std::string>{"00000000.from-0", "00000001"}));
}

TEST_F(WalRepairTest, TruncatedOlderSegmentIsCutAtItsLastWholeRecord) {
  Write(2, 5);
  fs::resize_file(wal_ / SegmentName(0), 3 * 107 + 30);  // record 3 cut short
  Status st;
  WalReplayStats stats;
  auto got = Replay(&st, &stats);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(fs::file_size(wal_ / SegmentName(0)), 3u * 107);
  EXPECT_NE(stats.corruption.find("not the newest"), std::string::npos) << stats.corruption;
}

TEST_F(WalRepairTest, MissingSegmentKeepsEverythingBeforeTheGap) {
  Write(4, 3);
  fs::remove(wal_ / SegmentName(2));
  Status st;
  WalReplayStats stats;
  auto got = Replay(&st, &stats);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(got.size(), 6u);
  EXPECT_EQ(stats.corrupt_segment, 1);
  EXPECT_EQ(QuarantinedFiles(), (std::vector<std::string>{"00000003"}));
}

TEST_F(WalRepairTest, CorruptionReportedByTheRecordDecoderIsCutToo) {
  Write(1, 6);
  Status st;
  WalReplayStats stats;
  int n = 0;
  WalReplayOptions o;
  o.repair_corruption = true;
  st = ReplayWal(
      wal_.string(),
      [&](std::string_view) {
        return ++n == 3 ? Status::Corruption("bad samples record") : Status::Ok();
      },
      &stats, o);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(stats.corrupt_offset, 2u * 107);
  EXPECT_EQ(fs::file_size(wal_ / SegmentName(0)), 2u * 107);
  EXPECT_FALSE(fs::exists(quarantine_));  // no quarantine dir given: the cut bytes are gone
}

TEST_F(WalRepairTest, WithoutRepairCorruptionStillFails) {
  Write(1, 5);
  Poke(0, 107 + 7 + 3, 'Z');
  Status st;
  WalReplayStats stats;
  Replay(&st, &stats, /*repair=*/false);
  EXPECT_TRUE(st.Is(Status::Code::kCorruption)) << st.ToString();
  EXPECT_EQ(fs::file_size(wal_ / SegmentName(0)), 5u * 107);
}

}  // namespace
}  // namespace abhra::tsdb
