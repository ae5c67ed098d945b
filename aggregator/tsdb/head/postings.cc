#include "aggregator/tsdb/head/postings.h"

#include <algorithm>
#include <mutex>

namespace abhra::tsdb {
namespace {

void InsertSorted(PostingsList* list, storage::SeriesRef ref) {
  if (list->empty() || list->back() < ref) {
    list->push_back(ref);
    return;
  }
  auto it = std::lower_bound(list->begin(), list->end(), ref);
  if (it == list->end() || *it != ref) list->insert(it, ref);
}

void EraseSorted(PostingsList* list, storage::SeriesRef ref) {
  auto it = std::lower_bound(list->begin(), list->end(), ref);
  if (it != list->end() && *it == ref) list->erase(it);
}

}  // namespace

PostingsList IntersectPostings(std::span<const PostingsList> lists) {
  if (lists.empty()) return {};
  // Start from the shortest list and probe the others with galloping lower_bound.
  size_t shortest = 0;
  for (size_t i = 1; i < lists.size(); ++i) {
    if (lists[i].size() < lists[shortest].size()) shortest = i;
  }
  PostingsList out = lists[shortest];
  for (size_t i = 0; i < lists.size() && !out.empty(); ++i) {
    if (i == shortest) continue;
    const PostingsList& other = lists[i];
    size_t w = 0;
    auto pos = other.begin();
    for (storage::SeriesRef r : out) {
      pos = std::lower_bound(pos, other.end(), r);
      if (pos == other.end()) break;
      if (*pos == r) out[w++] = r;
    }
    out.resize(w);
  }
  return out;
}

PostingsList UnionPostings(std::vector<const PostingsList*> lists) {
  if (lists.empty()) return {};
  if (lists.size() == 1) return *lists[0];
  size_t total = 0;
  for (const PostingsList* l : lists) total += l->size();
  PostingsList out;
  out.reserve(total);
  for (const PostingsList* l : lists) out.insert(out.end(), l->begin(), l->end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

PostingsList SubtractPostings(const PostingsList& from, const PostingsList& remove) {
  PostingsList out;
  out.reserve(from.size());
  std::set_difference(from.begin(), from.end(), remove.begin(), remove.end(),
                      std::back_inserter(out));
  return out;
}

void PostingsIndex::Add(storage::SeriesRef ref, std::span<const uint32_t> label_syms) {
  std::unique_lock l(mu_);
  InsertSorted(&all_, ref);
  for (size_t i = 0; i + 1 < label_syms.size(); i += 2) {
    InsertSorted(&index_[label_syms[i]][label_syms[i + 1]], ref);
  }
}

void PostingsIndex::Remove(storage::SeriesRef ref, std::span<const uint32_t> label_syms) {
  std::unique_lock l(mu_);
  EraseSorted(&all_, ref);
  for (size_t i = 0; i + 1 < label_syms.size(); i += 2) {
    auto n = index_.find(label_syms[i]);
    if (n == index_.end()) continue;
    auto v = n->second.find(label_syms[i + 1]);
    if (v == n->second.end()) continue;
    EraseSorted(&v->second, ref);
    if (v->second.empty()) n->second.erase(v);
    if (n->second.empty()) index_.erase(n);
  }
}

PostingsList PostingsIndex::All() const {
  std::shared_lock l(mu_);
  return all_;
}

PostingsList PostingsIndex::Get(uint32_t name, uint32_t value) const {
  std::shared_lock l(mu_);
  auto n = index_.find(name);
  if (n == index_.end()) return {};
  auto v = n->second.find(value);
  if (v == n->second.end()) return {};
  return v->second;
}

PostingsList PostingsIndex::UnionWhere(uint32_t name,
                                       const std::function<bool(uint32_t)>& pred) const {
  std::shared_lock l(mu_);
  auto n = index_.find(name);
  if (n == index_.end()) return {};
  std::vector<const PostingsList*> lists;
  for (const auto& [value, refs] : n->second) {
    if (pred(value)) lists.push_back(&refs);
  }
  return UnionPostings(std::move(lists));
}

std::vector<uint32_t> PostingsIndex::Values(uint32_t name) const {
  std::shared_lock l(mu_);
  std::vector<uint32_t> out;
  auto n = index_.find(name);
  if (n == index_.end()) return out;
  out.reserve(n->second.size());
  for (const auto& [value, refs] : n->second) out.push_back(value);
  return out;
}

std::vector<uint32_t> PostingsIndex::Names() const {
  std::shared_lock l(mu_);
  std::vector<uint32_t> out;
  out.reserve(index_.size());
  for (const auto& [name, values] : index_) out.push_back(name);
  return out;
}

size_t PostingsIndex::num_series() const {
  std::shared_lock l(mu_);
  return all_.size();
}

size_t PostingsIndex::MemoryBytes() const {
  std::shared_lock l(mu_);
  size_t n = all_.capacity() * sizeof(storage::SeriesRef);
  for (const auto& [name, values] : index_) {
    n += 64 + values.bucket_count() * sizeof(void*);
    for (const auto& [value, refs] : values) {
      n += 48 + refs.capacity() * sizeof(storage::SeriesRef);
    }
  }
  return n;
}

}  // namespace abhra::tsdb
