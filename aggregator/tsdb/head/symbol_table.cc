#include "aggregator/tsdb/head/symbol_table.h"

#include <cstring>
#include <mutex>

namespace abhra::tsdb {

SymbolTable::SymbolTable() : pages_(new std::atomic<std::string_view*>[kMaxPages]) {
  for (uint32_t i = 0; i < kMaxPages; ++i) pages_[i].store(nullptr, std::memory_order_relaxed);
}

SymbolTable::~SymbolTable() {
  for (uint32_t i = 0; i < kMaxPages; ++i) delete[] pages_[i].load(std::memory_order_relaxed);
}

std::string_view SymbolTable::Store(std::string_view s) {
  if (s.size() > kArenaBlock / 4) {
    // Large strings get their own block, inserted before the current one.
    auto block = std::make_unique<char[]>(s.size());
    std::memcpy(block.get(), s.data(), s.size());
    std::string_view out(block.get(), s.size());
    arena_.insert(arena_.end() - (arena_.empty() ? 0 : 1), std::move(block));
    return out;
  }
  if (arena_.empty() || arena_used_ + s.size() > kArenaBlock) {
    arena_.push_back(std::make_unique<char[]>(kArenaBlock));
    arena_used_ = 0;
  }
  char* p = arena_.back().get() + arena_used_;
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  arena_used_ += s.size();
  return {p, s.size()};
}

uint32_t SymbolTable::Intern(std::string_view s) {
  {
    std::shared_lock l(mu_);
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
  }
  std::unique_lock l(mu_);
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  std::string_view stored = Store(s);
  uint32_t id = next_++;
  uint32_t page = id >> kPageBits;
  std::string_view* p = pages_[page].load(std::memory_order_relaxed);
  if (p == nullptr) {
    p = new std::string_view[kPageSize];
    pages_[page].store(p, std::memory_order_release);
  }
  p[id & (kPageSize - 1)] = stored;
  ids_.emplace(stored, id);
  string_bytes_ += s.size();
  return id;
}

std::optional<uint32_t> SymbolTable::Find(std::string_view s) const {
  std::shared_lock l(mu_);
  auto it = ids_.find(s);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

size_t SymbolTable::size() const {
  std::shared_lock l(mu_);
  return next_;
}

size_t SymbolTable::MemoryBytes() const {
  std::shared_lock l(mu_);
  size_t pages = (next_ + kPageSize - 1) / kPageSize;
  return arena_.size() * kArenaBlock + ids_.bucket_count() * sizeof(void*) +
         ids_.size() * (sizeof(std::string_view) + sizeof(uint32_t) + 2 * sizeof(void*)) +
         pages * kPageSize * sizeof(std::string_view) + kMaxPages * sizeof(void*);
}

}  // namespace abhra::tsdb
