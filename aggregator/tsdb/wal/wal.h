// The write-ahead log writer. Appends batches of records to the newest segment, framed in
// 32 KiB pages (wal_format.h), and makes them durable per the fsync policy.
//
// Durability: every Log() ends with one write() of the whole batch, so an acknowledged batch
// survives kill -9 of the process under any policy; the policy decides power-loss safety:
//   kAlways  Commit() returns after an fdatasync covering the batch. Concurrent committers
//            share one fsync (group commit: one leader syncs, the others wait for it).
//   kBatch   a background thread fdatasyncs every `batch_interval_ms` when there are writes.
//   kNever   no fsync except on segment roll and Close().
// Thread-safe: any number of threads may call Log/Commit/Sync concurrently.
// Errors: a failed write (e.g. ENOSPC when the disk is full) fails that Log()/Commit() with
// IOError and is cut off the segment again (ftruncate to where the batch began), so the
// segment keeps ending on a record boundary and later batches succeed once there is room.
// A failed fsync (or a cut that fails) breaks the WAL: every later call fails (IOError), so
// callers never acknowledge data that may not be on disk; the process must restart and
// replay.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "aggregator/tsdb/wal/wal_format.h"
#include "common/base/status.h"

namespace abhra::tsdb {

enum class FsyncPolicy { kAlways, kBatch, kNever };
// "always" | "batch" | "never".
Result<FsyncPolicy> ParseFsyncPolicy(std::string_view text);

struct WalOptions {
  uint64_t segment_size = kDefaultSegmentSize;  // bytes; rounded down to whole pages
  FsyncPolicy fsync = FsyncPolicy::kBatch;
  // Snappy-compress each record when that makes it smaller (Prometheus' WAL compression;
  // promtool reads it). Cuts the WAL to about a third on typical samples records.
  bool compress = true;
  int batch_interval_ms = 100;
  // Called after every fdatasync with its duration in seconds (for a histogram).
  std::function<void(double seconds)> on_fsync;
};

class Wal {
 public:
  // Creates `dir` if needed and starts a new segment after the newest existing one (existing
  // segments are left to the reader; replay them before logging).
  static Result<std::unique_ptr<Wal>> Open(const std::string& dir, WalOptions options);
  ~Wal();  // Close()s, ignoring errors.
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends the records as one write. Returns the log position after them (a byte count
  // since Open), to pass to Sync(). A record larger than a segment is InvalidArgument.
  Result<uint64_t> Log(std::span<const std::string_view> records);
  // Log + Sync when the policy is kAlways.
  Status Commit(std::span<const std::string_view> records);
  // Returns once everything up to `pos` is fdatasync'ed.
  Status Sync(uint64_t pos);
  // Makes everything logged so far durable, whatever the policy.
  Status Flush();

  // Closes the current segment (fsync'ed unless kNever) and starts the next; returns its index.
  Result<int> Roll();
  // Deletes segment files with index < `segment` (never the current one). For truncation
  // once their samples are in blocks and live series were re-logged (see docs/wal.md).
  Status DeleteSegmentsBefore(int segment);
  int current_segment() const;
  const std::string& dir() const { return dir_; }

  // Stops the batch syncer, fsyncs and closes. Idempotent.
  Status Close();

 private:
  struct SegmentFile;
  Wal(std::string dir, WalOptions options);
  Status OpenSegment(int index);              // REQUIRES: mu_ held
  // Cuts the current segment back to `offset` (0 when it is not `segment` any more: a roll
  // happened since) after a failed write. REQUIRES: mu_ held.
  Status UndoWrite(int segment, uint64_t offset);
  Status WriteAll(std::string_view data);     // REQUIRES: mu_ held
  Status SyncFile(SegmentFile& f);
  void BatchSyncLoop();

  const std::string dir_;
  const WalOptions options_;
  const uint64_t pages_per_segment_;

  mutable std::mutex mu_;
  std::shared_ptr<SegmentFile> cur_;  // guarded by mu_
  uint64_t seg_offset_ = 0;           // guarded by mu_: bytes in the current segment
  uint64_t written_ = 0;              // guarded by mu_: bytes since Open
  std::string buf_;                   // guarded by mu_
  std::string snappy_buf_;            // guarded by mu_; one compressed record
  Status broken_;                     // guarded by mu_
  bool closed_ = false;               // guarded by mu_

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool syncing_ = false;   // guarded by sync_mu_: a leader is in fdatasync
  uint64_t synced_ = 0;    // guarded by sync_mu_
  bool stop_ = false;      // guarded by sync_mu_
  std::thread syncer_;
};

}  // namespace abhra::tsdb
