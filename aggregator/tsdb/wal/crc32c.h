// CRC-32C (Castagnoli), as Go's crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)).
// Uses the SSE4.2 instruction when the CPU has it, else a table. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace abhra::tsdb {

// Extends `crc` (0 to start) with data.
uint32_t Crc32c(uint32_t crc, const void* data, size_t len);
inline uint32_t Crc32c(std::string_view data) { return Crc32c(0, data.data(), data.size()); }

}  // namespace abhra::tsdb
