// Leveled and vertical compaction of blocks (see aggregator/tsdb/docs/compaction.md).
//
// Planning follows Prometheus' LeveledCompactor: first any overlapping blocks are merged
// (vertical compaction: samples merged by timestamp, duplicates dropped — Prometheus halts
// here unless told otherwise, we always merge); then, for each range r in `ranges` past the
// first, blocks inside one r-aligned window are merged when the window is complete (its
// blocks span all of r, or a newer block starts after it). The newest block is left alone
// so that the next head cut can join it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/block/block.h"
#include "aggregator/tsdb/block/block_writer.h"
#include "common/base/status.h"

namespace abhra::tsdb {

// Compaction ranges for a base block range: b, 3b, 12b, 84b (2h, 6h, 24h, 7d for 2h),
// dropping those above max_range_ms.
std::vector<int64_t> DefaultCompactionRanges(int64_t block_range_ms, int64_t max_range_ms);

// Blocks to merge next (empty: nothing to do). `blocks` must all have one resolution.
std::vector<std::shared_ptr<Block>> PlanCompaction(std::vector<std::shared_ptr<Block>> blocks,
                                                   std::span<const int64_t> ranges);

struct CompactOptions {
  int samples_per_chunk = 120;  // XOR chunks are re-cut at this many samples
  std::map<std::string, std::string> thanos_labels;
  int64_t now_ms = 0;
};

// Writes one block holding all samples of `blocks` (raw XOR blocks), series merged by
// labels and samples by timestamp. level = max parent level + 1; sources = union;
// parents = the inputs. Does not delete the inputs.
Result<BlockMeta> CompactBlocks(const std::string& data_dir,
                                std::span<const std::shared_ptr<Block>> blocks,
                                const CompactOptions& opts, BlockWriteStats* stats = nullptr);

// Encodes the samples from `it` into XOR chunks of at most samples_per_chunk samples.
Status EncodeXorChunks(storage::SampleIterator& it, int samples_per_chunk,
                       std::vector<BlockChunk>* out);

// All samples of one series of a block as an iterator (XOR chunks only).
Result<std::unique_ptr<storage::SampleIterator>> BlockSeriesIterator(
    const std::shared_ptr<Block>& b, const std::vector<ChunkMeta>& metas);

}  // namespace abhra::tsdb
