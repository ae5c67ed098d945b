// A block's chunks/ directory in Prometheus' format (see aggregator/tsdb/docs/block.md):
// segment files 000001, 000002, ... each starting with magic 0x85BD40DD, version 1 and 3
// bytes of padding, then per chunk: data length (uvarint), encoding (1 byte), data, CRC32C
// of encoding + data. A chunk ref is (segment index, 0-based) << 32 | byte offset.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aggregator/tsdb/index/mapped_file.h"
#include "common/base/status.h"

namespace abhra::tsdb {

inline constexpr uint32_t kChunksMagic = 0x85BD40DD;
inline constexpr size_t kChunksHeaderSize = 8;
inline constexpr size_t kMaxChunkSegmentSize = 512ull << 20;

// Buffers segments in memory and writes each (fsynced) when full or at Finish. Not
// thread-safe.
class ChunkFileWriter {
 public:
  explicit ChunkFileWriter(std::string dir, size_t segment_size = kMaxChunkSegmentSize)
      : dir_(std::move(dir)), segment_size_(segment_size) {}
  ~ChunkFileWriter();
  ChunkFileWriter(const ChunkFileWriter&) = delete;
  ChunkFileWriter& operator=(const ChunkFileWriter&) = delete;
  // Appends one chunk; returns its ref. Written to the segment file in pieces of about
  // kWriteBatch bytes, so a block's chunks are never all in memory at once.
  Result<uint64_t> Write(uint8_t encoding, std::span<const uint8_t> data);
  // Writes and fsyncs the last segment. Creates the directory (even with no chunks).
  Status Finish();
  const std::vector<std::string>& segment_files() const { return files_; }
  uint64_t bytes_written() const { return bytes_; }

  static constexpr size_t kWriteBatch = 1 << 20;

 private:
  Status OpenSegment();
  Status WriteBuffered();
  Status CloseSegment();
  std::string dir_;
  size_t segment_size_;
  std::string buf_;          // not yet written to the open segment
  int fd_ = -1;              // the open segment, or -1
  size_t seg_bytes_ = 0;     // bytes of the open segment, written or buffered
  std::vector<std::string> files_;  // closed segments
  uint64_t bytes_ = 0;
  bool dir_made_ = false;
};

struct ChunkBytes {
  uint8_t encoding = 0;
  std::span<const uint8_t> data;
};

// Maps every segment of a chunks/ directory. Thread-safe after Open.
class ChunkFileReader {
 public:
  static Result<std::unique_ptr<ChunkFileReader>> Open(const std::string& dir);
  // The chunk at `ref`, CRC-checked. Corruption naming the segment and offset.
  Result<ChunkBytes> Chunk(uint64_t ref) const;
  uint64_t size_bytes() const;
  size_t num_segments() const { return segments_.size(); }

 private:
  std::vector<std::unique_ptr<MappedFile>> segments_;
};

}  // namespace abhra::tsdb
