#include "aggregator/tsdb/head/series_registry.h"

#include <cstdio>

namespace abhra::tsdb {

static_assert(sizeof(void*) == 8, "slot tagging assumes 64-bit pointers with 48 used bits");

SeriesRegistry::SeriesRegistry()
    : stripes_(new Stripe[kStripes]), pages_(new std::atomic<std::atomic<MemSeries*>*>[kMaxPages]) {
  for (size_t i = 0; i < kMaxPages; ++i) pages_[i].store(nullptr, std::memory_order_relaxed);
}

SeriesRegistry::~SeriesRegistry() {
  for (size_t i = 0; i < kStripes; ++i) {
    for (uintptr_t slot : stripes_[i].slots) {
      if (slot != kEmpty && slot != kTombstone) delete Ptr(slot);
    }
  }
  for (size_t i = 0; i < kMaxPages; ++i) delete[] pages_[i].load(std::memory_order_relaxed);
}

void SeriesRegistry::InsertLocked(Stripe& st, MemSeries* s) {
  if ((reinterpret_cast<uintptr_t>(s) >> 48) != 0) {
    std::fprintf(stderr, "SeriesRegistry: heap pointer %p uses the top 16 bits\n", static_cast<void*>(s));
    std::abort();
  }
  if ((st.used + 1) * 4 > st.slots.size() * 3) {
    // Grow (or just drop tombstones) at 75% occupancy.
    size_t live = 0;
    for (uintptr_t x : st.slots) live += (x != kEmpty && x != kTombstone);
    size_t cap = st.slots.empty() ? 8 : st.slots.size();
    while ((live + 1) * 2 > cap) cap *= 2;
    std::vector<uintptr_t> old = std::move(st.slots);
    st.slots.assign(cap, kEmpty);
    st.used = 0;
    for (uintptr_t x : old) {
      if (x != kEmpty && x != kTombstone) InsertLocked(st, Ptr(x));
    }
  }
  size_t mask = st.slots.size() - 1;
  size_t i = (s->hash >> 10) & mask;
  while (st.slots[i] != kEmpty && st.slots[i] != kTombstone) i = (i + 1) & mask;
  if (st.slots[i] == kEmpty) ++st.used;
  st.slots[i] = Slot(s);
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
      if (st.slots[i] == kEmpty) return;  // not here
      if (st.slots[i] == Slot(s)) {
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
      for (uintptr_t slot : st.slots) {
        if (slot != kEmpty && slot != kTombstone) copy.push_back(Ptr(slot));
      }
    }
    for (MemSeries* s : copy) fn(*s);
  }
}

size_t SeriesRegistry::MemoryBytes() const {
  size_t n = kStripes * sizeof(Stripe) + kMaxPages * sizeof(void*);
  for (size_t i = 0; i < kStripes; ++i) {
    std::lock_guard l(stripes_[i].mu);
    n += stripes_[i].slots.capacity() * sizeof(uintptr_t);
  }
  for (size_t i = 0; i < kMaxPages; ++i) {
    if (pages_[i].load(std::memory_order_relaxed) != nullptr) n += kPageSize * sizeof(void*);
  }
  return n;
}

}  // namespace abhra::tsdb
