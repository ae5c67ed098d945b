// The XOR ("Gorilla") chunk codec, byte-compatible with Prometheus' tsdb/chunkenc/xor.go
// (chunk encoding 1 in the block format). Layout (see aggregator/tsdb/docs/chunks.md):
//   2-byte big-endian sample count, then a bit stream: first timestamp as signed varint and
//   first value as 64 raw bits; second timestamp delta as unsigned varint and XOR value;
//   then delta-of-delta timestamps in 1/2+14/3+17/4+20/4+64 bit buckets and XOR values.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/chunk/bit_stream.h"
#include "common/base/status.h"

namespace abhra::tsdb {

// Prometheus' chunk encoding id for XOR chunks in block chunk files.
inline constexpr uint8_t kEncXor = 1;
// Prometheus cuts head chunks at about this many samples (see head/cut policy).
inline constexpr int kSamplesPerChunk = 120;

// An appendable XOR chunk that owns its bytes. Move-only. Not thread-safe.
class XorChunk {
 public:
  XorChunk();
  ~XorChunk();
  XorChunk(XorChunk&& other) noexcept;
  XorChunk& operator=(XorChunk&& other) noexcept;
  XorChunk(const XorChunk&) = delete;
  XorChunk& operator=(const XorChunk&) = delete;

  // Rebuilds a chunk (and its appender state) from encoded bytes, e.g. read from a block.
  // Corruption if the bytes do not decode.
  static Result<XorChunk> FromBytes(std::span<const uint8_t> bytes);

  // Appends one sample. Callers keep timestamps increasing (the codec itself encodes any
  // int64 delta, as Prometheus' does). At most 65535 samples per chunk.
  void Append(int64_t t, double v);

  // Encodes whole `samples` (increasing t, at most 65535) for an immutable block, choosing
  // for each changed value whether to reuse the previous XOR window or open a new one so
  // that the chunk is as small as a bounded search finds (xor_compact.cc) — never larger
  // than Append's greedy choice. Every Prometheus reader decodes it (the format allows either
  // choice); FromBytes rejects it, as it is not the canonical greedy encoding.
  static XorChunk EncodeCompact(std::span<const storage::Sample> samples);

  uint16_t NumSamples() const { return static_cast<uint16_t>((data_[0] << 8) | data_[1]); }
  // The encoded chunk: header + stream, last byte zero-padded. Valid until the next Append.
  std::span<const uint8_t> Bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  // Heap bytes held (capacity), for memory accounting.
  size_t capacity() const { return cap_; }
  // Last appended sample. REQUIRES: NumSamples() > 0.
  int64_t last_t() const { return t_; }
  double last_v() const;
  // Frees spare capacity (call when the chunk is complete).
  void Compact();

 private:
  void Reserve(size_t extra);
  void WriteBits(uint64_t u, unsigned nbits);
  void WriteByte(uint8_t b) { WriteBits(b, 8); }
  void WriteVDelta(uint64_t vbits);
  // A value's XOR with a chosen window: reuse the previous one, or open (leading, trailing).
  struct ValueWindow {
    bool reuse = false;
    uint8_t leading = 0, trailing = 0;
  };
  void AppendWith(int64_t t, double v, const ValueWindow* w);
  void WriteVDeltaWith(uint64_t vbits, const ValueWindow& w);

  uint8_t* data_ = nullptr;
  uint32_t size_ = 0;
  uint32_t cap_ = 0;
  uint8_t count_ = 0;  // unwritten low bits left in the last byte (bstream.count)
  uint8_t leading_ = 0xff;
  uint8_t trailing_ = 0;
  int64_t t_ = 0;
  uint64_t vbits_ = 0;
  uint64_t tdelta_ = 0;
};

// Iterates the samples of encoded XOR chunk bytes it does not own (they must outlive it).
class XorIterator final : public storage::SampleIterator {
 public:
  XorIterator() = default;
  explicit XorIterator(std::span<const uint8_t> bytes) { Reset(bytes); }
  void Reset(std::span<const uint8_t> bytes);

  bool Next() override;
  bool Seek(int64_t t) override;
  storage::Sample At() const override { return {t_, v_}; }
  Status Err() const override { return err_; }
  bool AppendUntil(int64_t maxt, std::vector<storage::Sample>* out) override;

  uint16_t num_total() const { return num_total_; }

 private:
  friend class XorChunk;
  bool ReadValue();
  bool Fail(const char* what);

  BitReader br_;
  uint16_t num_total_ = 0;
  uint16_t num_read_ = 0;
  int64_t t_ = 0;
  double v_ = 0;
  uint64_t tdelta_ = 0;
  uint8_t leading_ = 0;
  uint8_t trailing_ = 0;
  Status err_;
};

}  // namespace abhra::tsdb
