// Replays a WAL directory: every record of every segment, in order.
//
// A torn tail — the last record of the newest segment cut short by a crash (incomplete
// header or fragment, CRC mismatch on fragment bytes that end the file, a first/middle
// fragment with no continuation) — is tolerated: the segment is truncated at the start of
// that record (when `repair`), logged, and replay succeeds with the records before it.
// Anything else that fails its checks is Corruption naming the segment file and byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace abhra::tsdb {

struct WalReplayStats {
  int segments = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  bool torn_tail = false;      // a torn last record was dropped
  int torn_segment = -1;
  uint64_t torn_offset = 0;    // where the segment was (or would be) truncated
};

struct WalReplayOptions {
  bool repair = true;    // truncate a torn tail on disk
  int first_segment = 0; // skip segments below this index
};

// Calls fn(record) per complete record; a non-OK status from fn stops replay and is returned.
// The view is valid only during the call. A missing directory replays nothing.
Status ReplayWal(const std::string& dir, const std::function<Status(std::string_view record)>& fn,
                 WalReplayStats* stats, WalReplayOptions options = {});

}  // namespace abhra::tsdb
