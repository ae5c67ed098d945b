// ULIDs as block directory names: 48-bit Unix ms timestamp + 80 random bits, encoded as
// 26 Crockford base32 characters, so names sort by creation time (as oklog/ulid does).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace abhra::tsdb {

// A new ULID for time `ms`. Thread-safe. Within one process, ULIDs made in the same
// millisecond still sort in creation order (the random part is incremented).
std::string NewUlid(int64_t ms);
// True if `s` is 26 Crockford base32 characters (upper case) with a valid timestamp.
bool IsUlid(std::string_view s);
// The timestamp (ms) of a valid ULID.
int64_t UlidTime(std::string_view s);

}  // namespace abhra::tsdb
