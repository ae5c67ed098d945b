// An opened, immutable block: its meta, mapped index and chunk segments. Shared by
// queriers through shared_ptr; MarkForDeletion() makes the last owner remove the directory,
// so retention and compaction never pull a block from under a running query.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/block/chunk_file.h"
#include "aggregator/tsdb/block/meta.h"
#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/index/index_reader.h"
#include "common/base/status.h"

namespace abhra::tsdb {

class Block {
 public:
  // Opens DIR (meta.json, index, chunks/). Corruption naming the file and offset when a
  // part fails its checks.
  static Result<std::shared_ptr<Block>> Open(const std::string& dir);
  ~Block();
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  const BlockMeta& meta() const { return meta_; }
  const std::string& dir() const { return dir_; }
  const IndexReader& index() const { return *index_; }
  const ChunkFileReader& chunks() const { return *chunks_; }
  uint64_t size_bytes() const { return size_bytes_; }
  // True if the block holds data in [mint, maxt] (ms, inclusive).
  bool Overlaps(int64_t mint, int64_t maxt) const {
    return meta_.min_time <= maxt && mint < meta_.max_time;
  }
  // The directory is removed once the last shared_ptr to this block is dropped.
  void MarkForDeletion() { delete_on_close_.store(true); }

 private:
  Block() = default;
  std::string dir_;
  BlockMeta meta_;
  std::unique_ptr<IndexReader> index_;
  std::unique_ptr<ChunkFileReader> chunks_;
  uint64_t size_bytes_ = 0;
  std::atomic<bool> delete_on_close_{false};
};

// A storage::Querier over one raw block for [mint, maxt] (ms, inclusive). Holds the block.
std::unique_ptr<storage::Querier> NewBlockQuerier(std::shared_ptr<Block> block, int64_t mint,
                                                  int64_t maxt);

// One chunk as a querier sees it: bytes owned by a Block (or copies) and its time range.
struct ChunkRefData {
  int64_t mint = 0;
  int64_t maxt = 0;
  uint8_t encoding = 1;
  std::span<const uint8_t> data;
};

// Iterates XOR chunks in order, only samples in [mint, maxt]. The chunk bytes must outlive
// it (`keep` holds their owner).
class XorChunksIterator final : public storage::SampleIterator {
 public:
  XorChunksIterator(std::shared_ptr<const void> keep, std::vector<ChunkRefData> chunks,
                    int64_t mint, int64_t maxt);
  bool Next() override;
  bool Seek(int64_t t) override;
  storage::Sample At() const override { return it_.At(); }
  Status Err() const override { return err_; }
  bool AppendUntil(int64_t maxt, std::vector<storage::Sample>* out) override;

 private:
  bool Open(size_t i);
  std::shared_ptr<const void> keep_;
  std::vector<ChunkRefData> chunks_;
  int64_t mint_, maxt_;
  size_t idx_ = 0;
  bool open_ = false;
  bool done_ = false;
  XorIterator it_;
  Status err_;
};

}  // namespace abhra::tsdb
