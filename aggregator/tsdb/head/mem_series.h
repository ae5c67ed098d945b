// One series in the head: its interned labels and its XOR chunks (the open head chunk plus
// completed chunks, all in memory). Chunk cutting follows Prometheus 2.42 (see docs/head.md).
//
// Thread-safety: `ref`, `hash` and the labels are immutable after construction; everything
// else is guarded by `mu` (a SpinLock). Callers lock `mu` around Appendable/Append/Snapshot.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/head/spin_lock.h"

namespace abhra::tsdb {

// An immutable copy of one chunk, for readers (queries, block writers).
struct ChunkSnapshot {
  std::vector<uint8_t> bytes;  // XOR chunk (encoding 1)
  int64_t mint = 0;            // ms, inclusive
  int64_t maxt = 0;            // ms, inclusive
};

enum class AppendOutcome : uint8_t {
  kAppended,
  kDuplicateIgnored,  // same timestamp and value bits as the newest sample: dropped, not an error
  kOutOfOrder,        // older than the newest sample
  kDuplicate,         // same timestamp, different value
};

class MemSeries {
 public:
  // `label_syms` holds name/value symbol ids interleaved (2 per label), sorted by name.
  MemSeries(storage::SeriesRef ref, uint64_t hash, std::span<const uint32_t> label_syms);
  MemSeries(const MemSeries&) = delete;
  MemSeries& operator=(const MemSeries&) = delete;

  const storage::SeriesRef ref;
  const uint64_t hash;
  size_t num_labels() const { return num_labels_; }
  std::span<const uint32_t> label_syms() const { return {labels_.get(), 2u * num_labels_}; }

  mutable SpinLock mu;
  // Set once a WAL series record for this series was written (by any appender or replay).
  std::atomic<bool> wal_logged{false};

  // What Append would do with (t, v), without changing anything. Lock-free: without `mu`
  // the answer may be stale by a concurrent Append (Append re-checks under the lock).
  AppendOutcome Appendable(int64_t t, double v) const;
  // Appends if Appendable says kAppended; cuts chunks per the Prometheus policy.
  // `chunk_range` is the block range in ms (2h). REQUIRES: mu held.
  AppendOutcome Append(int64_t t, double v, int64_t chunk_range);

  // Copies of the chunks overlapping [mint, maxt]. REQUIRES: mu held.
  void Snapshot(int64_t mint, int64_t maxt, std::vector<ChunkSnapshot>* out) const;
  // Drops completed chunks whose maxt < mint (and the head chunk too when it is entirely
  // older). Returns true when the series has no samples left. REQUIRES: mu held.
  bool TruncateBefore(int64_t mint);

  bool empty() const { return head_ == nullptr && closed_.empty(); }  // REQUIRES: mu held
  int64_t max_time() const { return max_time_.load(std::memory_order_relaxed); }
  int64_t min_time() const;                                            // REQUIRES: mu held
  // Heap bytes held by chunks (capacity), REQUIRES: mu held.
  size_t ChunkBytes() const;
  size_t num_chunks() const { return closed_.size() + (head_ ? 1 : 0); }  // REQUIRES: mu held

 private:
  struct ClosedChunk {
    std::unique_ptr<uint8_t[]> data;
    uint32_t size = 0;
    int64_t mint = 0;
    int64_t maxt = 0;
  };
  void CutHeadChunk(int64_t t, int64_t chunk_range);

  std::unique_ptr<uint32_t[]> labels_;
  uint16_t num_labels_ = 0;
  std::unique_ptr<XorChunk> head_;  // guarded by mu
  int64_t head_mint_ = 0;           // guarded by mu
  int64_t next_at_ = 0;             // guarded by mu: cut when t >= next_at_
  // Newest sample ever appended (ordering survives truncation); written under mu, read
  // lock-free by Appendable. min() = no sample yet.
  std::atomic<int64_t> max_time_{std::numeric_limits<int64_t>::min()};
  std::atomic<uint64_t> last_vbits_{0};
  std::vector<ClosedChunk> closed_;  // guarded by mu: oldest first
};

}  // namespace abhra::tsdb
