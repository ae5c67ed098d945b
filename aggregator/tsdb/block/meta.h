// A block's meta.json: Prometheus' BlockMeta (version 1) plus the `thanos` section Thanos
// writes (external labels, downsample resolution, source, segment files).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace abhra::tsdb {

// Downsampling resolutions (ms), as Thanos names them.
inline constexpr int64_t kResRaw = 0;
inline constexpr int64_t kRes5m = 5 * 60 * 1000;
inline constexpr int64_t kRes1h = 60 * 60 * 1000;

struct BlockParent {
  std::string ulid;
  int64_t min_time = 0;
  int64_t max_time = 0;
};

struct BlockMeta {
  std::string ulid;
  int64_t min_time = 0;  // ms, inclusive
  int64_t max_time = 0;  // ms, exclusive
  uint64_t num_samples = 0;
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  int level = 1;
  std::vector<std::string> sources;  // level-1 blocks this one was made from (itself at level 1)
  std::vector<BlockParent> parents;  // blocks directly merged into this one
  int version = 1;
  // thanos section
  std::map<std::string, std::string> thanos_labels;
  int64_t resolution = kResRaw;
  std::string source = "receive";  // "receive" (cut from the head) or "compactor"
  std::vector<std::string> segment_files;
};

std::string EncodeMeta(const BlockMeta& m);
// Corruption naming `what` (e.g. the path) when the JSON is malformed or fields are missing.
Result<BlockMeta> DecodeMeta(std::string_view json, const std::string& what);
// Reads DIR/meta.json.
Result<BlockMeta> ReadMeta(const std::string& dir);
// Writes DIR/meta.json atomically (meta.json.tmp, fsync, rename) as Prometheus does.
Status WriteMeta(const std::string& dir, const BlockMeta& m);

}  // namespace abhra::tsdb
