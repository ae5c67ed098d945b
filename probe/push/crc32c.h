// CRC-32C (Castagnoli), as used by the durable queue's record frames.
#pragma once

#include <cstdint>
#include <string_view>

namespace abhra::probe {

// Extends `crc` (0 to start) over `data`.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace abhra::probe
