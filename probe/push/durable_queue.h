// A durable FIFO of opaque records on disk: segment files of CRC-framed records plus a read
// cursor. See docs/queue.md for the format. One writer and one reader may use it from
// different threads (all methods are thread-safe); records come out in append order.
// With an empty directory the queue lives in memory only (same behaviour, no durability).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::probe {

struct QueuePosition {
  uint64_t segment = 0;
  uint64_t offset = 0;
  friend bool operator==(const QueuePosition&, const QueuePosition&) = default;
};

struct QueueStats {
  int64_t bytes = 0;             // on disk (or in memory), including unflushed appends
  int64_t dropped_records = 0;   // deleted unsent because of max_bytes
  int64_t dropped_items = 0;
  int64_t corrupt_records = 0;   // skipped because a frame failed its CRC
};

class DurableQueue {
 public:
  struct Options {
    std::string dir;  // empty: memory only
    int64_t max_bytes = 1LL << 30;
    int64_t segment_bytes = 0;  // 0: derived from max_bytes
  };

  // Creates the directory if needed, recovers segments and the cursor.
  static Result<std::unique_ptr<DurableQueue>> Open(const Options& options);
  ~DurableQueue();
  DurableQueue(const DurableQueue&) = delete;
  DurableQueue& operator=(const DurableQueue&) = delete;

  // Buffers one record holding `items` samples. Durable after the next Flush().
  Status Append(std::string_view record, uint32_t items);
  // Writes buffered records to the current segment and fsyncs it; enforces max_bytes.
  Status Flush();

  // Returns up to max_records records after the last one returned (flushing first if the
  // reader has caught up with the file). `*end` is the position after the last one, for
  // Commit. Empty when nothing is queued.
  Status ReadNext(size_t max_records, std::vector<std::string>* records, QueuePosition* end);
  // Marks everything before `end` as done: persists the cursor, deletes finished segments.
  Status Commit(const QueuePosition& end);
  // Makes the next ReadNext start again from the committed cursor (after a failed send that
  // is given up for now).
  void Rewind();

  QueueStats stats() const;

 private:
  struct Segment {
    uint64_t number;
    int64_t size;  // flushed bytes
  };
  explicit DurableQueue(Options options) : options_(std::move(options)) {}
  Status Recover();
  Status OpenNewSegmentLocked();
  Status FlushLocked();
  Status EnforceBoundLocked();
  Status WriteCursorLocked();
  std::string SegmentPath(uint64_t number) const;
  bool memory() const { return options_.dir.empty(); }

  const Options options_;
  mutable std::mutex mu_;
  // Disk mode. All guarded by mu_.
  std::deque<Segment> segments_;  // oldest first; back() is being written
  int write_fd_ = -1;
  std::string buffer_;  // framed records not yet written
  QueuePosition read_;       // next record to return
  QueuePosition committed_;  // cursor
  // Memory mode: records with their item counts; positions count records.
  std::deque<std::pair<std::string, uint32_t>> memory_records_;
  uint64_t memory_base_ = 0;  // position of memory_records_.front()
  QueueStats stats_;
};

}  // namespace abhra::probe
