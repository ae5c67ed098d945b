// Cutting a damaged WAL back to its last good record, as Prometheus' wlog.Repair does: the
// records before the damage stay, the damaged record and everything after it go. What is cut
// is moved to a quarantine directory (not deleted) so an operator can look at it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace abhra::tsdb {

struct WalCut {
  int segment = 0;      // segment index holding the first damaged record
  uint64_t offset = 0;  // byte offset where that record starts (the segment is cut there)
  // Later segments (sorted): moved out of the WAL as a whole.
  std::vector<int> later_segments;
};

struct WalCutResult {
  uint64_t bytes_cut = 0;        // bytes removed from the damaged segment
  std::string quarantined_to;    // directory holding what was cut ("" if nothing kept)
  std::string quarantine_error;  // why keeping a copy failed (the cut happens anyway)
};

// Moves `cut.later_segments` out of `wal_dir`, then truncates segment `cut.segment` at
// `cut.offset`. With a non-empty `quarantine_dir`, the moved segments and the cut-off bytes
// (as `NNNNNNNN.from-OFFSET`) go to a fresh `quarantine_dir/wal-<unix ms>/`; when copying
// them fails (a full disk), the cut still happens and the reason is in quarantine_error.
// Order is crash-safe: later segments go first, so an interruption leaves the damage in
// place to be found and cut again on the next start. IOError when the WAL itself cannot be
// changed.
Result<WalCutResult> CutWal(const std::string& wal_dir, const WalCut& cut,
                            const std::string& quarantine_dir);

}  // namespace abhra::tsdb
