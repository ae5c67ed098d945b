// Replays a WAL directory: every record of every segment, in order.
//
// A torn tail — the last record of the newest segment cut short by a crash (incomplete
// header or fragment, CRC mismatch on fragment bytes that end the file, a first/middle
// fragment with no continuation) — is tolerated: the segment is truncated at the start of
// that record (when `repair`), logged, and replay succeeds with the records before it.
// Anything else that fails its checks — garbage or a CRC mismatch mid-segment, bad fragment
// order, a torn record in an older segment, a missing segment, or a record `fn` rejects as
// Corruption — is Corruption naming the segment file and byte offset; with
// `repair_corruption` it is cut off instead (wal_repair.h: everything before the damaged
// record is kept and replayed, the rest moved to `quarantine_dir`), logged, and replay
// succeeds.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::tsdb {

struct WalReplayStats {
  int segments = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  bool torn_tail = false;      // a torn last record was dropped
  int torn_segment = -1;
  uint64_t torn_offset = 0;    // where the segment was (or would be) truncated
  // Set when corruption was cut off (repair_corruption).
  bool repaired_corruption = false;
  std::string corruption;          // what was wrong and where
  int corrupt_segment = -1;        // segment cut at corrupt_offset
  uint64_t corrupt_offset = 0;
  int segments_removed = 0;        // later segments moved out of the WAL
  uint64_t bytes_removed = 0;      // bytes cut, all segments
  std::string quarantined_to;      // where the cut data went ("" if nowhere)
};

struct WalReplayOptions {
  bool repair = true;    // truncate a torn tail on disk
  int first_segment = 0; // skip segments below this index
  // Cut the WAL at corruption instead of failing (see above). The head sets this.
  bool repair_corruption = false;
  // Where cut data is kept (a fresh wal-<unix ms>/ under it); "" deletes it.
  std::string quarantine_dir;
};

// Calls fn(record) per complete record; a non-OK status from fn stops replay and is returned.
// The view is valid only during the call. A missing directory replays nothing.
Status ReplayWal(const std::string& dir, const std::function<Status(std::string_view record)>& fn,
                 WalReplayStats* stats, WalReplayOptions options = {});

}  // namespace abhra::tsdb
