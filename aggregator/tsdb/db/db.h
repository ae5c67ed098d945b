// The TSDB: the head (WAL + in-memory series) and the immutable blocks on disk, as one
// storage::Storage (see aggregator/tsdb/docs/block.md and compaction.md).
//
//   DBOptions o; o.external_labels = {{"tenant", "t1"}}; o.registry = &registry;
//   auto db = tsdb::DB::Open(data_dir, o);        // replays DATA_DIR/wal, opens blocks
//   (*db)->head().AppendBatch(...) / (*db)->MakeAppender()   // writes go to the head
//   (*db)->MakeQuerier(mint, maxt)                // head + blocks, merged by labels
//   (*db)->Flush();    // POST /api/v1/admin/flush
//   (*db)->Compact();  // POST /api/v1/admin/compact
//
// On disk: DATA_DIR/wal/ (the head's WAL) and DATA_DIR/<ULID>/ per block. A background
// thread (unless background_interval_ms is 0) cuts the head into blocks when it holds more
// than 1.5 block ranges (Prometheus' rule), compacts and applies retention.
//
// Thread-safety: all methods are thread-safe. Cut, Flush and Compact serialise among
// themselves; appends and queries continue while they run. Queriers hold references to the
// blocks they read, so blocks deleted by compaction or retention disappear from disk only
// after the last querier using them is destroyed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/block/block.h"
#include "aggregator/tsdb/head/head.h"
#include "common/base/status.h"

namespace abhra::tsdb {

struct DBMetrics;

struct DBOptions {
  // Options for the head. head.chunk_range_ms is set to block_duration_ms.
  HeadOptions head;
  // Range of blocks cut from the head (ms).
  int64_t block_duration_ms = 2 * 3600 * 1000;
  // Largest block compaction produces (ms). Ranges: b, 3b, 12b, 84b up to this.
  int64_t max_block_duration_ms = 7 * 24 * 3600 * 1000ll;
  // Retention per resolution (ms of data age relative to the newest data); 0 = forever.
  // A block is deleted when its max time is older than newest - retention.
  int64_t retention_raw_ms = 0;
  int64_t retention_5m_ms = 0;
  int64_t retention_1h_ms = 0;
  // XOR chunk size in compacted blocks.
  int samples_per_chunk = 240;
  // Blocks cut from the head: 0 copies the head's chunks as they are (Prometheus' ~120
  // samples, cut at range boundaries); N > 0 re-encodes each series into chunks of up to
  // N samples (fewer chunk headers, index entries and CRCs: fewer bytes per sample).
  int head_block_samples_per_chunk = 240;
  // Thanos-style downsampling in Compact(): raw blocks spanning at least
  // downsample_5m_min_block_ms get a 5m copy, 5m blocks spanning at least
  // downsample_1h_min_block_ms a 1h copy. Queries with a range/step of at least 5
  // resolution windows read the coarsest resolution available (see downsampling.md).
  bool downsample = true;
  int64_t downsample_5m_min_block_ms = 40 * 3600 * 1000ll;
  int64_t downsample_1h_min_block_ms = 7 * 24 * 3600 * 1000ll;
  // Thanos external labels (incl. tenant) written into every block's meta.json.
  std::map<std::string, std::string> external_labels;
  // How often the background thread cuts/compacts; 0 = no thread (call Compact yourself).
  int64_t background_interval_ms = 60 * 1000;
  // Self metrics; when null the head's registry is used.
  prometheus::Registry* registry = nullptr;
};

class DB final : public storage::Storage {
 public:
  // Opens DATA_DIR: removes leftover *.tmp-for-creation / *.tmp-for-deletion directories,
  // deletes blocks that a complete newer block lists as parents (a compaction interrupted
  // before its cleanup), opens the blocks, replays the WAL into the head and drops head data
  // already in blocks. Damage does not fail Open (block_quarantine.h, docs/block.md): a
  // damaged block (missing or corrupt meta.json, index or chunks) is moved to
  // DATA_DIR/quarantine/<ulid>-<reason> and logged; corruption in the WAL is cut off
  // (Head::Open). A block that fails to open for another reason (EMFILE...) is skipped.
  static Result<std::unique_ptr<DB>> Open(const std::string& dir, DBOptions options);
  ~DB() override;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;

  std::unique_ptr<storage::Appender> MakeAppender() override;
  Result<std::unique_ptr<storage::Querier>> MakeQuerier(int64_t mint, int64_t maxt) override;

  // The head, for the batch append fast path (Head::AppendBatch) and its stats.
  Head& head() { return *head_; }

  // Writes head blocks while the head spans more than 1.5 block ranges.
  Status CutIfNeeded();
  // Makes all acknowledged data durable and cuts everything in the head into blocks
  // (one block when the head spans at most one block range, else one per range-aligned
  // window), then truncates the head and its WAL: samples at or before the flushed max
  // time are OutOfBounds afterwards.
  Status Flush();
  // One maintenance cycle now: CutIfNeeded, compaction until nothing is left to merge,
  // retention.
  Status Compact();

  // Metas of the open blocks, oldest first.
  std::vector<BlockMeta> Blocks() const;
  const std::string& dir() const { return dir_; }
  // Stops the background thread and closes the head. Idempotent.
  Status Close();

 private:
  DB(std::string dir, DBOptions options);
  Status LoadBlocks();
  // Writes the head's data in [mint, maxt) as one block. REQUIRES: cut_mu_ held.
  Status WriteHeadBlock(int64_t mint, int64_t maxt);
  Status CutIfNeededLocked();
  // Head::Truncate plus the WAL checkpoint marker Prometheus needs (see db.cc).
  Status TruncateHead(int64_t mint);
  Status CompactLocked();
  Status ApplyRetention();
  Status DownsampleLocked();
  void AddBlock(std::shared_ptr<Block> b);
  void RemoveBlocks(const std::vector<std::shared_ptr<Block>>& bs);
  std::vector<std::shared_ptr<Block>> SnapshotBlocks() const;
  void BackgroundLoop();

  const std::string dir_;
  DBOptions options_;
  std::unique_ptr<Head> head_;
  std::unique_ptr<DBMetrics> metrics_;

  mutable std::mutex blocks_mu_;
  std::vector<std::shared_ptr<Block>> blocks_;  // sorted by min_time

  std::mutex cut_mu_;  // serialises cut, flush, compaction

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;
  std::thread bg_;
  std::atomic<bool> closed_{false};
  int quarantined_at_open_ = 0;  // set by LoadBlocks, before metrics_ exists
};

}  // namespace abhra::tsdb
