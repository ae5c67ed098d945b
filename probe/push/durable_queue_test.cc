#include "probe/push/durable_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace abhra::probe {
namespace {

class DurableQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/abhra_queue_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<DurableQueue> Open(int64_t max_bytes = 1 << 30, int64_t segment_bytes = 0) {
    auto q = DurableQueue::Open({dir_, max_bytes, segment_bytes});
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(q).value() : nullptr;
  }
  std::vector<std::string> ReadAll(DurableQueue* q, QueuePosition* end) {
    std::vector<std::string> out;
    EXPECT_TRUE(q->ReadNext(1'000'000, &out, end).ok());
    return out;
  }

  std::string dir_;
};

TEST_F(DurableQueueTest, RoundTripInOrder) {
  auto q = Open();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(q->Append("record-" + std::to_string(i), 1).ok());
  QueuePosition end;
  auto got = ReadAll(q.get(), &end);  // flushes because the reader caught up
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], "record-" + std::to_string(i));
  std::vector<std::string> none;
  QueuePosition end2;
  ASSERT_TRUE(q->ReadNext(10, &none, &end2).ok());
  EXPECT_TRUE(none.empty());
  ASSERT_TRUE(q->Commit(end).ok());
}

TEST_F(DurableQueueTest, UncommittedRecordsSurviveRestart) {
  {
    auto q = Open();
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(q->Append("r" + std::to_string(i), 2).ok());
    std::vector<std::string> first;
    QueuePosition end;
    ASSERT_TRUE(q->ReadNext(4, &first, &end).ok());
    ASSERT_EQ(first.size(), 4u);
    ASSERT_TRUE(q->Commit(end).ok());  // r0..r3 done
    std::vector<std::string> more;
    ASSERT_TRUE(q->ReadNext(3, &more, &end).ok());  // read but never committed
    ASSERT_TRUE(q->Flush().ok());
  }
  auto q = Open();
  QueuePosition end;
  auto got = ReadAll(q.get(), &end);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got.front(), "r4");
  EXPECT_EQ(got.back(), "r9");
  ASSERT_TRUE(q->Commit(end).ok());
  // New appends after a restart go to a new segment and follow in order.
  ASSERT_TRUE(q->Append("after", 1).ok());
  got = ReadAll(q.get(), &end);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "after");
}

TEST_F(DurableQueueTest, RewindRereadsFromCursor) {
  auto q = Open();
  ASSERT_TRUE(q->Append("a", 1).ok());
  ASSERT_TRUE(q->Append("b", 1).ok());
  QueuePosition end;
  EXPECT_EQ(ReadAll(q.get(), &end).size(), 2u);
  q->Rewind();
  EXPECT_EQ(ReadAll(q.get(), &end).size(), 2u);
}

TEST_F(DurableQueueTest, TornTailIsTruncatedOnOpen) {
  {
    auto q = Open();
    ASSERT_TRUE(q->Append("complete-1", 1).ok());
    ASSERT_TRUE(q->Append("complete-2", 1).ok());
    ASSERT_TRUE(q->Flush().ok());
  }
  // Simulate a crash mid-write: half a frame at the end of the newest segment.
  std::string seg = dir_ + "/00000001.seg";
  {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f.write("\x10\x00\x00\x00\x01\x00", 6);
  }
  auto q = Open();
  QueuePosition end;
  auto got = ReadAll(q.get(), &end);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1], "complete-2");
}

TEST_F(DurableQueueTest, CorruptRecordSkipsRestOfSegment) {
  {
    auto q = Open();
    ASSERT_TRUE(q->Append("good", 1).ok());
    ASSERT_TRUE(q->Append("flipped", 1).ok());
    ASSERT_TRUE(q->Append("lost-with-segment", 1).ok());
    ASSERT_TRUE(q->Flush().ok());
  }
  {
    // A later run adds a segment, so the first one is no longer the newest.
    auto q = Open();
    ASSERT_TRUE(q->Append("next-run", 1).ok());
    ASSERT_TRUE(q->Flush().ok());
  }
  {
    // Flip a payload byte of the second record (12-byte header + "good" = 16, +12 header).
    int fd = ::open((dir_ + "/00000001.seg").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, "X", 1, 16 + 12 + 2), 1);
    ::close(fd);
  }
  auto q = Open();
  QueuePosition end;
  auto got = ReadAll(q.get(), &end);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "good");
  EXPECT_EQ(got[1], "next-run");
  EXPECT_EQ(q->stats().corrupt_records, 1);
}

TEST_F(DurableQueueTest, MaxBytesDropsOldestAndCounts) {
  const std::string payload(1000, 'p');
  auto q = Open(/*max_bytes=*/20'000, /*segment_bytes=*/5'000);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(q->Append(payload + std::to_string(i), 7).ok());
    ASSERT_TRUE(q->Flush().ok());
  }
  QueueStats st = q->stats();
  EXPECT_LE(st.bytes, 20'000);
  EXPECT_GT(st.dropped_records, 0);
  EXPECT_EQ(st.dropped_items, st.dropped_records * 7);
  QueuePosition end;
  auto got = ReadAll(q.get(), &end);
  EXPECT_EQ(static_cast<int64_t>(got.size()) + st.dropped_records, 100);
  EXPECT_EQ(got.back(), payload + "99");  // the newest survive
  // Segment files on disk match the bound.
  int64_t on_disk = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (e.path().extension() == ".seg") on_disk += static_cast<int64_t>(e.file_size());
  }
  EXPECT_LE(on_disk, 20'000);
}

TEST_F(DurableQueueTest, MemoryMode) {
  auto q = DurableQueue::Open({"", 10'000, 0});
  ASSERT_TRUE(q.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*q)->Append("m" + std::to_string(i), 1).ok());
  std::vector<std::string> got;
  QueuePosition end;
  ASSERT_TRUE((*q)->ReadNext(3, &got, &end).ok());
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE((*q)->Commit(end).ok());
  got.clear();
  ASSERT_TRUE((*q)->ReadNext(10, &got, &end).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "m3");
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*q)->Append(std::string(500, 'x'), 2).ok());
  EXPECT_GT((*q)->stats().dropped_records, 0);
  EXPECT_LE((*q)->stats().bytes, 10'000);
}

}  // namespace
}  // namespace abhra::probe
