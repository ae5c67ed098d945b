#include "aggregator/tsdb/head/series_registry.h"

namespace abhra::tsdb {

MemSeries* const SeriesRegistry::kTombstone = reinterpret_cast<MemSeries*>(uintptr_t{1});

SeriesRegistry::SeriesRegistry()
    : stripes_(new Stripe[kStripes]), pages_(new std::atomic<std::atomic<MemSeries*>*>[kMaxPages]) {
  for (size_t i = 0; i < kMaxPages; ++i) pages_[i].store(nullptr, std::memory_order_relaxed);
}

SeriesRegistry::~SeriesRegistry() {
  for (size_t i = 0; i < kStripes; ++i) {
    for (MemSeries* s : stripes_[i].slots) {
      if (s != nullptr && s != kTombstone) delete s;
    }
  }
  for (size_t i = 0; i < kMaxPages; ++i) delete[] pages_[i].load(std::memory_order_relaxed);
}

void SeriesRegistry::InsertLocked(Stripe& st, MemSeries* s) {
  if ((st.used + 1) * 4 > st.slots.size() * 3) {
    // Grow (or just drop tombstones) at 75% occupancy.
    size_t live = 0;
    for (MemSeries* x : st.slots) live += (x != nullptr && x != kTombstone);
    size_t cap = st.slots.empty() ? 8 : st.slots.size();
    while ((live + 1) * 2 > cap) cap *= 2;
    std::vector<MemSeries*> old = std::move(st.slots);
    st.slots.assign(cap, nullptr);
    st.used = 0;
    for (MemSeries* x : old) {
      if (x != nullptr && x != kTombstone) InsertLocked(st, x);
    }
  }
  size_t mask = st.slots.size() - 1;
  size_t i = (s->hash >> 10) & mask;
  while (st.slots[i] != nullptr && st.slots[i] != kTombstone) i = (i + 1) & mask;
  if (st.slots[i] == nullptr) ++st.used;
  st.slots[i] = s;
}

void SeriesRegistry::SetRef(storage::SeriesRef ref, MemSeries* s) {
  size_t page = ref >> kPageBits;
  std::atomic<MemSeries*>* p = pages_[page].load(std::memory_order_acquire);
  if (p == nullptr) {
    std::lock_guard l(pages_mu_);
    p = pages_[page].load(std::memory_order_acquire);
    if (p == nullptr) {
      p = new std::atomic<MemSeries*>[kPageSize];
      for (size_t i = 0; i < kPageSize; ++i) p[i].store(nullptr, std::memory_order_relaxed);
      pages_[page].store(p, std::memory_order_release);
    }
  }
  p[ref & (kPageSize - 1)].store(s, std::memory_order_release);
}

void SeriesRegistry::Remove(MemSeries* s) {
  Stripe& st = stripes_[StripeOf(s->hash)];
  {
    std::lock_guard l(st.mu);
    size_t mask = st.slots.size() - 1;
    for (size_t i = (s->hash >> 10) & mask;; i = (i + 1) & mask) {
      if (st.slots[i] == nullptr) return;  // not here
      if (st.slots[i] == s) {
        st.slots[i] = kTombstone;
        break;
      }
    }
  }
  SetRef(s->ref, nullptr);
  count_.fetch_sub(1, std::memory_order_relaxed);
  delete s;
}

void SeriesRegistry::ForEach(const std::function<void(MemSeries&)>& fn) const {
  for (size_t i = 0; i < kStripes; ++i) {
    const Stripe& st = stripes_[i];
    std::vector<MemSeries*> copy;
    {
      std::lock_guard l(st.mu);
      for (MemSeries* s : st.slots) {
        if (s != nullptr && s != kTombstone) copy.push_back(s);
      }
    }
    for (MemSeries* s : copy) fn(*s);
  }
}

size_t SeriesRegistry::MemoryBytes() const {
  size_t n = kStripes * sizeof(Stripe) + kMaxPages * sizeof(void*);
  for (size_t i = 0; i < kStripes; ++i) {
    std::lock_guard l(stripes_[i].mu);
    n += stripes_[i].slots.capacity() * sizeof(MemSeries*);
  }
  for (size_t i = 0; i < kMaxPages; ++i) {
    if (pages_[i].load(std::memory_order_relaxed) != nullptr) n += kPageSize * sizeof(void*);
  }
  return n;
}

}  // namespace abhra::tsdb
