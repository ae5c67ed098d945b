// The head's inverted index: label name → label value → sorted series refs, over symbol
// ids, plus the list of all series. Set operations on sorted ref lists live here too.
// Thread-safe: a reader-writer lock; adds/removes are exclusive, lookups shared.
#pragma once

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "aggregator/storage/storage.h"

namespace abhra::tsdb {

using PostingsList = std::vector<storage::SeriesRef>;

// Sorted-list set algebra. Inputs sorted ascending without duplicates; so are outputs.
PostingsList IntersectPostings(std::span<const PostingsList> lists);
PostingsList UnionPostings(std::vector<const PostingsList*> lists);
PostingsList SubtractPostings(const PostingsList& from, const PostingsList& remove);

class PostingsIndex {
 public:
  // Adds `ref` under every (name, value) pair of `label_syms` (name/value ids interleaved).
  void Add(storage::SeriesRef ref, std::span<const uint32_t> label_syms);
  // Removes the series from every list it is in.
  void Remove(storage::SeriesRef ref, std::span<const uint32_t> label_syms);

  PostingsList All() const;
  // Refs with name=value (empty if none).
  PostingsList Get(uint32_t name, uint32_t value) const;
  // Union of refs over the values of `name` for which pred(value_id) is true.
  PostingsList UnionWhere(uint32_t name, const std::function<bool(uint32_t value)>& pred) const;
  // Value ids of `name` (unordered); label name ids (unordered).
  std::vector<uint32_t> Values(uint32_t name) const;
  std::vector<uint32_t> Names() const;
  size_t num_series() const;
  size_t MemoryBytes() const;

 private:
  using ValueMap = std::unordered_map<uint32_t, PostingsList>;
  mutable std::shared_mutex mu_;
  std::unordered_map<uint32_t, ValueMap> index_;  // guarded by mu_
  PostingsList all_;                              // guarded by mu_
};

}  // namespace abhra::tsdb
