// Damaged blocks found when the DB opens: telling damage from trouble that passes, and moving
// a damaged block out of the way (DATA_DIR/quarantine/<ulid>-<reason>) so that the rest of
// the data is served and compaction never reads it (see docs/block.md, "Damage at start").
#pragma once

#include <string>

#include "aggregator/tsdb/block/block.h"
#include "common/base/status.h"

namespace abhra::tsdb {

struct BlockDamage {
  // False: the failure is not damage of the block's files (e.g. EMFILE, EACCES); the block
  // is skipped this time and left in place.
  bool damaged = false;
  // Which part: no-meta, bad-meta, no-index, bad-index, no-chunks, bad-chunks.
  std::string reason;
  Status error;  // what was wrong, naming the file and offset
};

// Why Block::Open(dir) failed with `open_error`: opens meta.json, index and chunks/ one by
// one; the first part that is missing or fails with Corruption is the damage.
BlockDamage DiagnoseBlockOpenFailure(const std::string& dir, const Status& open_error);

// Checks an opened block beyond Block::Open: meta.json names the directory's ULID, and the
// last chunk the index points into in every chunk segment is there and CRC-correct (a
// truncated chunks file). Reads a few series per segment (binary search over the series,
// whose chunk refs grow with them in blocks Prometheus and Abhra write), not the data.
BlockDamage VerifyOpenedBlock(const Block& block);

// Renames DATA_DIR/<name> to DATA_DIR/quarantine/<name>-<reason> (plus -<unix ms> if that
// exists already) and fsyncs both directories. Returns the new path.
Result<std::string> QuarantineBlock(const std::string& data_dir, const std::string& name,
                                    const std::string& reason);

}  // namespace abhra::tsdb
