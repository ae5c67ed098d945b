// The in-memory head of the TSDB: the series registry, the postings index, per-series XOR
// chunks and the write-ahead log that makes them durable. Implements storage::Storage.
//
//   auto head = Head::Open(data_dir, HeadOptions{...});   // replays DATA_DIR/wal
//   auto app = (*head)->MakeAppender(); app->Append(0, labels, t_ms, v); app->Commit();
//   auto q = (*head)->MakeQuerier(mint, maxt); q->Select(...)
//
// Thread-safety (see docs/head.md): any number of appenders and queriers run concurrently.
// Series lookups lock one of 1024 stripes; appends to a series take its one-byte spin lock;
// the postings index and symbol table take reader-writer locks (write only when a series
// is created); the WAL serialises one write() per commit. A head-wide reader-writer lock
// (`gc_mu_`) is held shared by every appender (from its first Append to Commit/Rollback)
// and by Select while it copies chunks; Truncate takes it exclusively to free series.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/head/mem_series.h"
#include "aggregator/tsdb/head/postings.h"
#include "aggregator/tsdb/head/series_quota.h"
#include "aggregator/tsdb/head/series_registry.h"
#include "aggregator/tsdb/head/symbol_table.h"
#include "aggregator/tsdb/wal/records.h"
#include "aggregator/tsdb/wal/wal.h"
#include "common/base/status.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
class Histogram;
}  // namespace prometheus

namespace abhra::tsdb {

class HeadAppender;
struct HeadMetrics;

struct HeadOptions {
  // Block range in ms (2h). Chunks are cut at its boundaries; samples older than
  // head max time - chunk_range/2 are OutOfBounds.
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  bool wal_enabled = true;
  WalOptions wal;  // fsync policy, segment size
  // Threads appending replayed samples: 0 = cores - 1 (at most 4); 1 = the reading thread
  // applies them itself.
  int replay_workers = 0;
  // Self metrics go here; when null the head keeps a private registry (see registry()).
  prometheus::Registry* registry = nullptr;
  // Consulted before each new series is created, told when one is removed (per-tenant
  // series limits). Null: no limit. REQUIRES: outlives the head.
  SeriesQuota* series_quota = nullptr;
};

// One series' samples for Head::AppendBatch. `labels` sorted by name, strings owned by the
// caller (e.g. the decoded request buffer).
struct SeriesSamples {
  std::span<const LabelView> labels;
  std::span<const storage::Sample> samples;
};

struct AppendError {
  uint32_t series = 0;  // index into the batch
  uint32_t sample = 0;  // index into that series' samples (0 for label errors)
  Status status;
};

struct AppendBatchResult {
  size_t appended = 0;               // samples accepted (incl. ignored exact duplicates)
  std::vector<AppendError> errors;   // per-sample rejections; the rest was committed
};

struct HeadMemoryStats {
  size_t series = 0;
  size_t series_bytes = 0;    // MemSeries structs + label ids
  size_t chunk_bytes = 0;     // chunk data (capacity) + chunk bookkeeping
  size_t symbol_bytes = 0;
  size_t postings_bytes = 0;
  size_t registry_bytes = 0;  // hash stripes + ref table
  size_t total() const {
    return series_bytes + chunk_bytes + symbol_bytes + postings_bytes + registry_bytes;
  }
};

class Head final : public storage::Storage {
 public:
  // Opens the head over DATA_DIR (`dir`): replays DATA_DIR/wal (tolerating a torn last
  // record; corruption elsewhere is cut off with everything after it, which goes to
  // DATA_DIR/quarantine/wal-<ms>/, and logged: see docs/wal.md), then starts a new WAL
  // segment. Logs replay time as seconds per million samples.
  static Result<std::unique_ptr<Head>> Open(const std::string& dir, HeadOptions options);
  ~Head() override;
  Head(const Head&) = delete;
  Head& operator=(const Head&) = delete;

  std::unique_ptr<storage::Appender> MakeAppender() override;
  // The concrete appender, with the label-view fast path.
  std::unique_ptr<HeadAppender> NewAppender();
  Result<std::unique_ptr<storage::Querier>> MakeQuerier(int64_t mint, int64_t maxt) override;

  // Appends a whole request with one commit: per series one hash + lookup (no allocation for
  // known series), per sample the order checks. Per-sample errors go to result->errors and
  // the rest is committed; a non-OK return means nothing was committed (WAL failure).
  Status AppendBatch(std::span<const SeriesSamples> batch, AppendBatchResult* result);

  // Makes everything acknowledged durable (fsync of the WAL), whatever the fsync policy.
  Status Flush();

  // Makes every sample older than `mint` (ms) OutOfBounds from now on, and returns only once
  // appenders that started earlier (and may hold such samples) have committed or rolled
  // back. A fence for cutting the head: samples below `mint` can no longer arrive after the
  // snapshot of them was taken. Never lowers the floor.
  void RaiseMinValidTime(int64_t mint);

  // Drops chunks entirely before `mint` (ms), removes series left empty, makes samples
  // before `mint` OutOfBounds, and rewrites the WAL: rolls to a new segment, re-logs live
  // series and their in-memory samples >= mint, deletes older segments. Blocks appenders
  // while it runs. For use after the head's old data was written to a block.
  Status Truncate(int64_t mint);

  // Calls fn for every series with chunks overlapping [mint, maxt] (ms, inclusive), with
  // copies of those chunks. Order: unspecified. For cutting blocks.
  void ForEachSeries(int64_t mint, int64_t maxt,
                     const std::function<void(storage::SeriesRef, const Labels&,
                                              std::span<const ChunkSnapshot>)>& fn);

  // Sorted refs of series matching all matchers (any may match the empty string).
  PostingsList PostingsForMatchers(const std::vector<Matcher>& matchers) const;

  // ms; MinTime() > MaxTime() while the head is empty.
  int64_t MinTime() const { return min_time_.load(std::memory_order_relaxed); }
  int64_t MaxTime() const { return max_time_.load(std::memory_order_relaxed); }
  size_t NumSeries() const { return registry_.size(); }
  HeadMemoryStats MemoryStats() const;
  prometheus::Registry& registry() { return *registry_ptr_; }
  const HeadOptions& options() const { return options_; }

  // Stops the WAL (fsync + close). Later appends fail with Unavailable.
  Status Close();

 private:
  friend class HeadAppender;
  friend class HeadQuerier;

  Head(std::string dir, HeadOptions options);
  Status Replay();

  // Finds or creates the series. `wal_ref` != 0 creates it with that ref (replay).
  // InvalidArgument for labels a new series may not have.
  Result<MemSeries*> GetOrCreate(std::span<const LabelView> labels, uint64_t hash,
                                 storage::SeriesRef wal_ref, bool* created);
  Labels LabelsOf(const MemSeries& s) const;
  void LabelViewsOf(const MemSeries& s, std::vector<LabelView>* out) const;
  void UpdateTimeBounds(int64_t mint, int64_t maxt);
  // Lowest timestamp an append may have now (OutOfBounds below it).
  int64_t MinValidTime() const;

  const std::string dir_;
  const HeadOptions options_;
  std::shared_ptr<prometheus::Registry> own_registry_;
  prometheus::Registry* registry_ptr_ = nullptr;
  std::unique_ptr<HeadMetrics> metrics_;

  SymbolTable symbols_;
  SeriesRegistry registry_;
  PostingsIndex postings_;
  std::unique_ptr<Wal> wal_;  // null when wal_enabled is false

  mutable std::shared_mutex gc_mu_;
  // Set while Truncate waits for gc_mu_: new appenders hold back so it is not starved.
  std::atomic<bool> truncating_{false};
  std::atomic<storage::SeriesRef> next_ref_{1};
  std::atomic<int64_t> min_time_{std::numeric_limits<int64_t>::max()};
  std::atomic<int64_t> max_time_{std::numeric_limits<int64_t>::min()};
  std::atomic<int64_t> min_valid_time_{std::numeric_limits<int64_t>::min()};
  std::atomic<bool> closed_{false};
};

// Hash of a label set as the head computes it (labels sorted by name).
uint64_t HashLabelViews(std::span<const LabelView> labels);

}  // namespace abhra::tsdb
