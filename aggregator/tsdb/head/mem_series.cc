#include "aggregator/tsdb/head/mem_series.h"

#include <bit>
#include <cstring>

namespace abhra::tsdb {
namespace {

// Prometheus' rangeForTimestamp: the end of the chunk range holding t.
int64_t RangeForTimestamp(int64_t t, int64_t width) {
  // Floor division so negative timestamps land in the range below, as Go's integer division
  // would not; for t >= 0 this is exactly Prometheus' (t/width)*width + width.
  int64_t q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width + width;
}

// Prometheus' computeChunkEndTime: spread the remaining samples of the range evenly over
// chunks of about kSamplesPerChunk, estimated from the first quarter of the current chunk.
int64_t ComputeChunkEndTime(int64_t start, int64_t cur, int64_t max) {
  int64_t n = (max - start) / ((cur - start + 1) * 4);
  if (n <= 1) return max;
  return start + (max - start) / n;
}

}  // namespace

MemSeries::MemSeries(storage::SeriesRef r, uint64_t h, std::span<const uint32_t> label_syms)
    : ref(r),
      hash(h),
      labels_(new uint32_t[label_syms.size()]),
      num_labels_(static_cast<uint16_t>(label_syms.size() / 2)) {
  if (!label_syms.empty()) {
    std::memcpy(labels_.get(), label_syms.data(), label_syms.size() * sizeof(uint32_t));
  }
}

AppendOutcome MemSeries::Appendable(int64_t t, double v) const {
  int64_t maxt = max_time_.load(std::memory_order_relaxed);
  if (maxt == std::numeric_limits<int64_t>::min() || t > maxt) return AppendOutcome::kAppended;
  if (t < maxt) return AppendOutcome::kOutOfOrder;
  // Same timestamp: Prometheus ignores an exact duplicate (federation re-sends them).
  if (last_vbits_.load(std::memory_order_relaxed) == std::bit_cast<uint64_t>(v)) {
    return AppendOutcome::kDuplicateIgnored;
  }
  return AppendOutcome::kDuplicate;
}

AppendOutcome MemSeries::Append(int64_t t, double v, int64_t chunk_range) {
  AppendOutcome o = Appendable(t, v);
  if (o != AppendOutcome::kAppended) return o;
  if (head_ == nullptr) {
    CutHeadChunk(t, chunk_range);
  } else {
    int n = head_->NumSamples();
    if (n == 0) {
      head_mint_ = t;
      next_at_ = RangeForTimestamp(t, chunk_range);
    }
    if (n == kSamplesPerChunk / 4) {
      next_at_ = ComputeChunkEndTime(head_mint_, max_time_.load(std::memory_order_relaxed), next_at_);
    }
    if (t >= next_at_ || n >= kSamplesPerChunk * 2) CutHeadChunk(t, chunk_range);
  }
  head_->Append(t, v);
  max_time_.store(t, std::memory_order_relaxed);
  last_vbits_.store(std::bit_cast<uint64_t>(v), std::memory_order_relaxed);
  return AppendOutcome::kAppended;
}

void MemSeries::CutHeadChunk(int64_t t, int64_t chunk_range) {
  if (head_ != nullptr && head_->NumSamples() > 0) {
    ClosedChunk c;
    c.size = static_cast<uint32_t>(head_->size());
    c.data.reset(new uint8_t[c.size]);
    std::memcpy(c.data.get(), head_->Bytes().data(), c.size);
    c.mint = head_mint_;
    c.maxt = max_time_.load(std::memory_order_relaxed);
    closed_.push_back(std::move(c));
  }
  head_ = std::make_unique<XorChunk>();
  head_mint_ = t;
  next_at_ = RangeForTimestamp(t, chunk_range);
}

void MemSeries::Snapshot(int64_t mint, int64_t maxt, std::vector<ChunkSnapshot>* out) const {
  for (const ClosedChunk& c : closed_) {
    if (c.maxt < mint || c.mint > maxt) continue;
    out->push_back({std::vector<uint8_t>(c.data.get(), c.data.get() + c.size), c.mint, c.maxt});
  }
  int64_t last = max_time_.load(std::memory_order_relaxed);
  if (head_ != nullptr && head_->NumSamples() > 0 && last >= mint && head_mint_ <= maxt) {
    auto b = head_->Bytes();
    out->push_back({std::vector<uint8_t>(b.begin(), b.end()), head_mint_, last});
  }
}

bool MemSeries::TruncateBefore(int64_t mint) {
  size_t drop = 0;
  while (drop < closed_.size() && closed_[drop].maxt < mint) ++drop;
  if (drop > 0) closed_.erase(closed_.begin(), closed_.begin() + static_cast<long>(drop));
  if (head_ != nullptr && max_time_.load(std::memory_order_relaxed) < mint) {
    // max_time_ and last_vbits_ stay, so later samples are still checked for order.
    head_.reset();
  }
  return empty();
}

int64_t MemSeries::min_time() const {
  if (!closed_.empty()) return closed_.front().mint;
  if (head_ != nullptr && head_->NumSamples() > 0) return head_mint_;
  return std::numeric_limits<int64_t>::max();
}

size_t MemSeries::ChunkBytes() const {
  size_t n = closed_.capacity() * sizeof(ClosedChunk);
  for (const ClosedChunk& c : closed_) n += c.size;
  if (head_ != nullptr) n += sizeof(XorChunk) + head_->capacity();
  return n;
}

}  // namespace abhra::tsdb
