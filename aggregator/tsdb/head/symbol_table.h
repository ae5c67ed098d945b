// Interned label strings: each distinct name or value is stored once and named by a dense
// uint32 id, so a series keeps 8 bytes per label instead of two strings. Symbols live until
// the head is closed (a compaction-time rebuild can reclaim them later).
// Thread-safe: Intern/Find take a reader-writer lock; Get is lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace abhra::tsdb {

class SymbolTable {
 public:
  SymbolTable();
  ~SymbolTable();
  SymbolTable(const SymbolTable&) = delete;
  SymbolTable& operator=(const SymbolTable&) = delete;

  uint32_t Intern(std::string_view s);
  std::optional<uint32_t> Find(std::string_view s) const;
  // REQUIRES: `id` came from Intern/Find of this table. The view lives as long as the table.
  std::string_view Get(uint32_t id) const {
    const std::string_view* page = pages_[id >> kPageBits].load(std::memory_order_acquire);
    return page[id & (kPageSize - 1)];
  }
  size_t size() const;
  // Approximate heap bytes (strings, index, pages).
  size_t MemoryBytes() const;

 private:
  static constexpr uint32_t kPageBits = 12;
  static constexpr uint32_t kPageSize = 1u << kPageBits;
  static constexpr uint32_t kMaxPages = 1u << 16;  // 256M symbols
  static constexpr size_t kArenaBlock = 64 * 1024;

  std::string_view Store(std::string_view s);  // REQUIRES: mu_ held exclusively

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string_view, uint32_t> ids_;  // guarded by mu_; keys in arena_
  std::vector<std::unique_ptr<char[]>> arena_;          // guarded by mu_
  size_t arena_used_ = 0;                               // guarded by mu_: in arena_.back()
  size_t string_bytes_ = 0;                             // guarded by mu_
  uint32_t next_ = 0;                                   // guarded by mu_
  std::unique_ptr<std::atomic<std::string_view*>[]> pages_;
};

}  // namespace abhra::tsdb
