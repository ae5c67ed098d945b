// Writes a block's `index` file in Prometheus' index format v2 (see
// aggregator/tsdb/docs/index.md): symbol table, 16-byte aligned series entries with chunk
// metas, label indices, postings (the all-series list under ("", "") first), the label and
// postings offset tables and the TOC, each section CRC32C-checked as Prometheus does.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::tsdb {

inline constexpr uint32_t kIndexMagic = 0xBAAAD700;
inline constexpr uint8_t kIndexVersion2 = 2;
inline constexpr size_t kIndexTocSize = 6 * 8 + 4;

// Where a chunk lies: ref = segment index (0 for file 000001) << 32 | byte offset.
// mint/maxt are the first and last sample times (ms, inclusive).
struct ChunkMeta {
  int64_t mint = 0;
  int64_t maxt = 0;
  uint64_t ref = 0;
};

struct IndexSeries {
  Labels labels;
  std::vector<ChunkMeta> chunks;  // sorted by mint, non-overlapping
};

struct IndexWriteStats {
  size_t symbols_bytes = 0;
  size_t series_bytes = 0;
  size_t label_index_bytes = 0;
  size_t postings_bytes = 0;
  size_t tables_bytes = 0;  // offset tables + TOC
  size_t total = 0;
};

// Encodes the index for `series`, which must be sorted by labels (labels::Compare) and
// unique. InvalidArgument otherwise or when the index would exceed 2^32 series slots.
Result<std::string> EncodeIndex(std::span<const IndexSeries> series, IndexWriteStats* stats);

// EncodeIndex, then writes and fsyncs `path`.
Status WriteIndexFile(const std::string& path, std::span<const IndexSeries> series,
                      IndexWriteStats* stats = nullptr);

}  // namespace abhra::tsdb
