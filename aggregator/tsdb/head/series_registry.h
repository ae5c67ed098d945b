// Owns the head's MemSeries and finds them by label hash (with collision handling: equal
// hashes are told apart by comparing labels) and by ref.
//
// Thread-safety: the hash side is split into kStripes stripes, each an open-addressing table
// under its own mutex, so writers on different series rarely contend. The ref side is a
// paged array of atomic pointers: lookups by ref take no lock. A series is freed only by
// Remove(), which the head calls under its exclusive truncation lock (no reader or appender
// holds MemSeries pointers then).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "aggregator/tsdb/head/mem_series.h"

namespace abhra::tsdb {

class SeriesRegistry {
 public:
  SeriesRegistry();
  ~SeriesRegistry();
  SeriesRegistry(const SeriesRegistry&) = delete;
  SeriesRegistry& operator=(const SeriesRegistry&) = delete;

  // The series with this hash for which eq(const MemSeries&) holds, or null.
  template <typename Eq>
  MemSeries* Find(uint64_t hash, const Eq& eq) const {
    const Stripe& st = stripes_[StripeOf(hash)];
    std::lock_guard l(st.mu);
    return FindLocked(st, hash, eq);
  }
  // Like Find, but when absent calls create() -> unique_ptr<MemSeries> under the stripe lock
  // and inserts its result (so two writers never create the same series). *created tells
  // which happened. create() may return null (e.g. invalid labels): nothing is inserted.
  template <typename Eq, typename Create>
  MemSeries* GetOrCreate(uint64_t hash, const Eq& eq, const Create& create, bool* created) {
    Stripe& st = stripes_[StripeOf(hash)];
    std::lock_guard l(st.mu);
    *created = false;
    if (MemSeries* s = FindLocked(st, hash, eq)) return s;
    std::unique_ptr<MemSeries> fresh = create();
    if (fresh == nullptr) return nullptr;
    MemSeries* s = fresh.release();
    SetRef(s->ref, s);
    InsertLocked(st, s);
    count_.fetch_add(1, std::memory_order_relaxed);
    *created = true;
    return s;
  }
  MemSeries* ByRef(storage::SeriesRef ref) const {
    size_t page = ref >> kPageBits;
    if (page >= kMaxPages) return nullptr;
    std::atomic<MemSeries*>* p = pages_[page].load(std::memory_order_acquire);
    if (p == nullptr) return nullptr;
    return p[ref & (kPageSize - 1)].load(std::memory_order_acquire);
  }
  // Deletes the series. REQUIRES: nobody else holds a pointer to it.
  void Remove(MemSeries* s);
  // Calls fn for every series (stripe by stripe; fn must not call back into the registry).
  void ForEach(const std::function<void(MemSeries&)>& fn) const;
  size_t size() const { return count_.load(std::memory_order_relaxed); }
  size_t MemoryBytes() const;

  static constexpr storage::SeriesRef kMaxRef = (storage::SeriesRef{1} << 32) - 1;

 private:
  static constexpr size_t kStripes = 1024;
  static constexpr size_t kPageBits = 14;
  static constexpr size_t kPageSize = size_t{1} << kPageBits;
  static constexpr size_t kMaxPages = (kMaxRef >> kPageBits) + 1;

  struct Stripe {
    mutable std::mutex mu;
    std::vector<uintptr_t> slots;  // guarded by mu: kEmpty, kTombstone or Slot(series)
    size_t used = 0;                // guarded by mu: live + tombstones
  };
  static constexpr uintptr_t kEmpty = 0;
  static constexpr uintptr_t kTombstone = 1;

  static size_t StripeOf(uint64_t hash) { return hash & (kStripes - 1); }
  // A slot holds the series pointer with the top 16 bits of its hash in the (unused) top
  // 16 bits of the pointer, so probing skips non-matching series without touching them.
  static uintptr_t Tag(uint64_t hash) { return static_cast<uintptr_t>(hash >> 48) << 48; }
  static MemSeries* Ptr(uintptr_t slot) {
    return reinterpret_cast<MemSeries*>(slot & ((uintptr_t{1} << 48) - 1));
  }
  static uintptr_t Slot(MemSeries* s) { return reinterpret_cast<uintptr_t>(s) | Tag(s->hash); }

  template <typename Eq>
  static MemSeries* FindLocked(const Stripe& st, uint64_t hash, const Eq& eq) {
    if (st.slots.empty()) return nullptr;
    size_t mask = st.slots.size() - 1;
    const uintptr_t tag = Tag(hash);
    for (size_t i = (hash >> 10) & mask;; i = (i + 1) & mask) {
      uintptr_t slot = st.slots[i];
      if (slot == kEmpty) return nullptr;
      if (slot == kTombstone || (slot & ~((uintptr_t{1} << 48) - 1)) != tag) continue;
      MemSeries* s = Ptr(slot);
      if (s->hash == hash && eq(*s)) return s;
    }
  }
  void InsertLocked(Stripe& st, MemSeries* s);
  void SetRef(storage::SeriesRef ref, MemSeries* s);

  std::unique_ptr<Stripe[]> stripes_;
  std::unique_ptr<std::atomic<std::atomic<MemSeries*>*>[]> pages_;
  std::mutex pages_mu_;
  std::atomic<size_t> count_{0};
};

}  // namespace abhra::tsdb
