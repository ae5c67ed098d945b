// The head's Appender. Not thread-safe: one per writer (a request, a scrape). Samples are
// checked against the committed state at Append time (OutOfOrder, Duplicate, OutOfBounds,
// InvalidArgument for labels) and rejected per sample; the rest goes in at Commit, which
// logs a series record for the series this appender created, then one samples record (one
// write(), fsync per policy), then makes the samples visible. A sample is also ordered
// against the previous sample queued in this appender when that one is for the same series
// (so a request's consecutive samples of one series are checked against each other).
// Samples that became out of order through a concurrent commit or non-consecutive queueing
// are dropped at Commit (counted as out_of_order), as Prometheus does.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/head/head.h"

namespace abhra::tsdb {

class HeadAppender final : public storage::Appender {
 public:
  explicit HeadAppender(Head* head);
  ~HeadAppender() override;  // Rollback() if not committed

  Result<storage::SeriesRef> Append(storage::SeriesRef ref, const Labels& labels, int64_t t,
                                    double v) override;
  // Fast path: `labels` sorted by name. A known series costs one hash and one lookup; no
  // allocation (beyond amortised growth of this appender's buffers).
  Result<storage::SeriesRef> AppendViews(std::span<const LabelView> labels, int64_t t, double v);
  // Resolves (or creates) the series once, then AppendSample per sample.
  Result<MemSeries*> Series(std::span<const LabelView> labels);
  Status AppendSample(MemSeries* s, int64_t t, double v);

  Status Commit() override;
  void Rollback() override;

 private:
  void Begin();
  void Reset();
  Status LogCreatedSeries(bool with_samples);
  void CountRejected(const Status& s);

  Head* head_;
  std::shared_lock<std::shared_mutex> gc_lock_;
  int64_t min_valid_ = std::numeric_limits<int64_t>::min();
  std::vector<MemSeries*> created_;
  std::vector<RefSample> samples_;
  std::vector<MemSeries*> sample_series_;
  std::vector<LabelView> scratch_;
  std::string series_rec_;
  std::string samples_rec_;
  uint64_t rejected_ooo_ = 0, rejected_dup_ = 0, rejected_oob_ = 0, rejected_labels_ = 0;
};

}  // namespace abhra::tsdb
