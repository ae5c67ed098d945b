// Physical layout of the write-ahead log, as Prometheus' tsdb/wlog (see docs/wal.md):
// a directory of segment files named by 8-digit index; each segment a sequence of 32 KiB
// pages; records split into fragments that never cross a page, each with a 7-byte header
//   type u8 (1 full, 2 first, 3 middle, 4 last; 0 = rest of page is zero padding)
//   length u16 big-endian (fragment bytes after the header)
//   crc32c u32 big-endian over the fragment bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::tsdb {

inline constexpr size_t kWalPageSize = 32 * 1024;
inline constexpr size_t kWalHeaderSize = 7;
inline constexpr uint64_t kDefaultSegmentSize = 128ull * 1024 * 1024;

enum class FragmentType : uint8_t { kPageTerm = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };
// Set on every fragment of a record whose bytes are snappy block-compressed (as Prometheus'
// --storage.tsdb.wal-compression writes them); the record is decompressed after reassembly.
inline constexpr uint8_t kSnappyFlag = 0x08;

// "00000042"
std::string SegmentName(int index);
// The index of a segment file name, or nullopt if `name` is not one.
std::optional<int> ParseSegmentName(std::string_view name);
// Sorted segment indices found in `dir` (IOError if it cannot be listed; NotFound if absent).
Result<std::vector<int>> ListSegments(const std::string& dir);
// fsync of a file (opened for writing) or a directory.
Status FsyncPath(const std::string& path, bool directory);
inline Status FsyncDir(const std::string& dir) { return FsyncPath(dir, true); }

}  // namespace abhra::tsdb
