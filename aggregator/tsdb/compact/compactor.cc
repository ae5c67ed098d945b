#include "aggregator/tsdb/compact/compactor.h"

#include <algorithm>
#include <limits>

#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/db/merge.h"

namespace abhra::tsdb {

std::vector<int64_t> DefaultCompactionRanges(int64_t b, int64_t max_range_ms) {
  std::vector<int64_t> out;
  for (int64_t r : {b, 3 * b, 12 * b, 84 * b}) {
    if (r <= max_range_ms || out.empty()) out.push_back(r);
  }
  return out;
}

std::vector<std::shared_ptr<Block>> PlanCompaction(std::vector<std::shared_ptr<Block>> blocks,
                                                   std::span<const int64_t> ranges) {
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
    return a->meta().min_time < b->meta().min_time;
  });
  // 1. Overlapping blocks (transitively), oldest group first.
  for (size_t i = 0; i + 1 < blocks.size(); ++i) {
    int64_t maxt = blocks[i]->meta().max_time;
    size_t j = i + 1;
    while (j < blocks.size() && blocks[j]->meta().min_time < maxt) {
      maxt = std::max(maxt, blocks[j]->meta().max_time);
      ++j;
    }
    if (j - i > 1) return {blocks.begin() + i, blocks.begin() + j};
  }
  if (blocks.size() < 2) return {};
  // 2. Leveled: leave out the newest block.
  blocks.pop_back();
  int64_t high = blocks.back()->meta().min_time;
  for (size_t k = 1; k < ranges.size(); ++k) {
    int64_t r = ranges[k];
    size_t i = 0;
    while (i < blocks.size()) {
      int64_t w = blocks[i]->meta().min_time;
      w = (w >= 0 ? w / r : (w - r + 1) / r) * r;
      std::vector<std::shared_ptr<Block>> part;
      size_t j = i;
      for (; j < blocks.size() && blocks[j]->meta().min_time < w + r; ++j) {
        if (blocks[j]->meta().max_time <= w + r) part.push_back(blocks[j]);
      }
      if (part.size() > 1) {
        int64_t mint = part.front()->meta().min_time, maxt = part.back()->meta().max_time;
        if (maxt - mint == r || maxt <= high) return part;
      }
      i = std::max(j, i + 1);
    }
  }
  return {};
}

Status EncodeXorChunks(storage::SampleIterator& it, int samples_per_chunk,
                       std::vector<BlockChunk>* out) {
  std::vector<storage::Sample> samples;
  auto emit = [&]() {
    BlockChunk bc;
    bc.mint = samples.front().t;
    bc.maxt = samples.back().t;
    XorChunk c = XorChunk::EncodeCompact(samples);
    bc.data.assign(c.Bytes().begin(), c.Bytes().end());
    out->push_back(std::move(bc));
    samples.clear();
  };
  while (it.Next()) {
    samples.push_back(it.At());
    if (samples.size() >= static_cast<size_t>(samples_per_chunk)) emit();
  }
  ABHRA_RETURN_IF_ERROR(it.Err());
  if (!samples.empty()) emit();
  return Status::Ok();
}

Result<std::unique_ptr<storage::SampleIterator>> BlockSeriesIterator(
    const std::shared_ptr<Block>& b, const std::vector<ChunkMeta>& metas) {
  std::vector<ChunkRefData> chunks;
  for (const auto& m : metas) {
    ABHRA_ASSIGN_OR_RETURN(auto c, b->chunks().Chunk(m.ref));
    if (c.encoding != kEncXor) {
      return Status::Corruption("block " + b->dir() + ": chunk encoding " +
                                std::to_string(c.encoding) + " is not XOR");
    }
    chunks.push_back({m.mint, m.maxt, c.encoding, c.data});
  }
  return std::unique_ptr<storage::SampleIterator>(std::make_unique<XorChunksIterator>(
      b, std::move(chunks), std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
}

Result<BlockMeta> CompactBlocks(const std::string& data_dir,
                                std::span<const std::shared_ptr<Block>> blocks,
                                const CompactOptions& opts, BlockWriteStats* stats) {
  if (blocks.empty()) return Status::InvalidArgument("compact: no blocks");
  BlockWriteOptions wo;
  wo.source = "compactor";
  wo.thanos_labels = opts.thanos_labels;
  wo.now_ms = opts.now_ms;
  wo.resolution = blocks[0]->meta().resolution;
  int64_t mint = std::numeric_limits<int64_t>::max(), maxt = std::numeric_limits<int64_t>::min();
  for (const auto& b : blocks) {
    const auto& m = b->meta();
    mint = std::min(mint, m.min_time);
    maxt = std::max(maxt, m.max_time);
    wo.level = std::max(wo.level, m.level + 1);
    wo.sources.insert(wo.sources.end(), m.sources.begin(), m.sources.end());
    wo.parents.push_back({m.ulid, m.min_time, m.max_time});
    if (wo.thanos_labels.empty()) wo.thanos_labels = m.thanos_labels;
  }
  std::sort(wo.sources.begin(), wo.sources.end());
  wo.sources.erase(std::unique(wo.sources.begin(), wo.sources.end()), wo.sources.end());

  // k-way merge of the blocks' series (each block's postings are sorted by labels).
  struct Cursor {
    std::shared_ptr<Block> block;
    IndexPostings refs;
    size_t pos = 0;
    Labels labels;
    std::vector<ChunkMeta> metas;
  };
  std::vector<Cursor> cur(blocks.size());
  auto advance = [&](Cursor& c) -> Status {
    if (c.pos >= c.refs.size()) return Status::Ok();
    return c.block->index().Series(c.refs[c.pos], &c.labels, &c.metas);
  };
  for (size_t i = 0; i < blocks.size(); ++i) {
    cur[i].block = blocks[i];
    ABHRA_ASSIGN_OR_RETURN(cur[i].refs, blocks[i]->index().AllPostings());
    ABHRA_RETURN_IF_ERROR(advance(cur[i]));
  }
  std::vector<BlockSeries> out;
  while (true) {
    const Labels* min = nullptr;
    for (auto& c : cur) {
      if (c.pos < c.refs.size() && (min == nullptr || c.labels < *min)) min = &c.labels;
    }
    if (min == nullptr) break;
    BlockSeries s;
    s.labels = *min;
    std::vector<std::unique_ptr<storage::SampleIterator>> its;
    for (auto& c : cur) {
      if (c.pos < c.refs.size() && c.labels == s.labels) {
        ABHRA_ASSIGN_OR_RETURN(auto it, BlockSeriesIterator(c.block, c.metas));
        its.push_back(std::move(it));
        ++c.pos;
        ABHRA_RETURN_IF_ERROR(advance(c));
      }
    }
    MergeSampleIterator mit(std::move(its));
    ABHRA_RETURN_IF_ERROR(EncodeXorChunks(mit, opts.samples_per_chunk, &s.chunks));
    out.push_back(std::move(s));
  }
  return WriteBlock(data_dir, mint, maxt, std::move(out), wo, stats);
}

}  // namespace abhra::tsdb
