// Merging reads over several storages (blocks and the head): series with equal labels are
// combined into one, their samples merged by timestamp with duplicates (same timestamp in
// several sources) returned once, from the first source that has it.
#pragma once

#include <memory>
#include <vector>

#include "aggregator/storage/storage.h"

namespace abhra::tsdb {

// Merges sample iterators (each in increasing time order) by timestamp, de-duplicated.
class MergeSampleIterator final : public storage::SampleIterator {
 public:
  explicit MergeSampleIterator(std::vector<std::unique_ptr<storage::SampleIterator>> its);
  bool Next() override;
  bool Seek(int64_t t) override;
  storage::Sample At() const override { return cur_; }
  Status Err() const override { return err_; }

 private:
  bool Pick();
  std::vector<std::unique_ptr<storage::SampleIterator>> its_;
  std::vector<char> valid_;
  bool started_ = false;
  storage::Sample cur_;
  Status err_;
};

// Merges SeriesSets that are each sorted by labels into one sorted set. Child series stay
// valid until the merged set's following Next(), as the SeriesSet contract requires.
std::unique_ptr<storage::SeriesSet> MergeSeriesSets(std::vector<std::unique_ptr<storage::SeriesSet>> sets);

// A querier over all children (they are asked for sorted series).
std::unique_ptr<storage::Querier> NewMergeQuerier(std::vector<std::unique_ptr<storage::Querier>> qs);

// Sorted union of sorted string lists.
std::vector<std::string> MergeStrings(std::vector<std::vector<std::string>> lists);

}  // namespace abhra::tsdb
