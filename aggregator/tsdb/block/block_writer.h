// Writes one block directory DATA_DIR/<ULID>/{meta.json,index,chunks/000001...} so that it
// appears atomically: everything goes to <ULID>.tmp-for-creation, files and the directory
// are fsynced, then it is renamed and DATA_DIR fsynced (as Prometheus' LeveledCompactor).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "aggregator/tsdb/block/meta.h"
#include "aggregator/tsdb/index/index_writer.h"
#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::tsdb {

inline constexpr const char* kTmpForCreation = ".tmp-for-creation";
inline constexpr const char* kTmpForDeletion = ".tmp-for-deletion";

struct BlockChunk {
  int64_t mint = 0;  // ms, first sample
  int64_t maxt = 0;  // ms, last sample
  uint8_t encoding = 1;
  uint32_t num_samples = 0;  // 0: read from the XOR chunk header
  std::vector<uint8_t> data;
};

struct BlockSeries {
  Labels labels;
  std::vector<BlockChunk> chunks;  // sorted by mint
};

struct BlockWriteOptions {
  int level = 1;
  std::vector<std::string> sources;  // empty: the new block's own ULID
  std::vector<BlockParent> parents;
  std::map<std::string, std::string> thanos_labels;
  int64_t resolution = kResRaw;
  std::string source = "receive";
  int64_t now_ms = 0;  // ULID time; 0 = wall clock
};

struct BlockWriteStats {
  uint64_t chunk_bytes = 0;
  uint64_t meta_bytes = 0;
  IndexWriteStats index;
};

// Writes series (sorted here; series without chunks dropped) as a block covering
// [mint, maxt) (maxt exclusive) under `data_dir`. Returns the meta; when no series has a
// chunk nothing is written and the returned meta has an empty ulid.
Result<BlockMeta> WriteBlock(const std::string& data_dir, int64_t mint, int64_t maxt,
                             std::vector<BlockSeries> series, const BlockWriteOptions& opts,
                             BlockWriteStats* stats = nullptr);

// Removes a block directory: renames it to <dir>.tmp-for-deletion, then deletes it.
Status RemoveBlockDir(const std::string& dir);

}  // namespace abhra::tsdb
