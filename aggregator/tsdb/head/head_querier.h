// Reads the head through storage::Querier for a fixed window [mint, maxt] (ms, inclusive).
// Select resolves matchers through the postings index, then copies each matching series'
// chunks that overlap the window under the series lock, so iteration never races appends
// or truncation. Iterators only return samples inside the window.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/head/head.h"

namespace abhra::tsdb {

class HeadQuerier final : public storage::Querier {
 public:
  HeadQuerier(Head* head, int64_t mint, int64_t maxt) : head_(head), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<Matcher>& matchers) override;
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<Matcher>& matchers) override;
  Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override;

 private:
  bool OverlapsHead() const;
  Head* head_;
  const int64_t mint_;
  const int64_t maxt_;
};

// Iterates copied chunks in time order, yielding only samples in [mint, maxt].
class ChunkSeriesIterator final : public storage::SampleIterator {
 public:
  ChunkSeriesIterator(std::shared_ptr<const std::vector<ChunkSnapshot>> chunks, int64_t mint,
                      int64_t maxt);
  bool Next() override;
  bool Seek(int64_t t) override;
  storage::Sample At() const override { return it_.At(); }
  Status Err() const override { return err_; }

 private:
  bool OpenChunk(size_t i);
  std::shared_ptr<const std::vector<ChunkSnapshot>> chunks_;
  const int64_t mint_;
  const int64_t maxt_;
  size_t idx_ = 0;
  bool started_ = false;
  bool done_ = false;
  XorIterator it_;
  Status err_;
};

}  // namespace abhra::tsdb
