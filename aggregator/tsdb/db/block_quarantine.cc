#include "aggregator/tsdb/db/block_quarantine.h"

#include <chrono>
#include <filesystem>

#include "aggregator/tsdb/index/mapped_file.h"

namespace abhra::tsdb {

namespace fs = std::filesystem;

namespace {

// Missing files are checked for explicitly before each part is opened, so only Corruption
// is damage: NotFound or IOError from opening a file that exists (EMFILE, EACCES, ENOMEM) is
// trouble that passes, and must not move a healthy block aside.
bool IsDamage(const Status& s) { return s.Is(Status::Code::kCorruption); }

BlockDamage Damage(std::string reason, Status error) {
  return BlockDamage{true, std::move(reason), std::move(error)};
}

}  // namespace

BlockDamage DiagnoseBlockOpenFailure(const std::string& dir, const Status& open_error) {
  std::error_code ec;
  if (!fs::exists(dir + "/meta.json", ec) && !ec) {
    return Damage("no-meta", Status::NotFound(dir + "/meta.json does not exist"));
  }
  if (auto m = ReadMeta(dir); !m.ok()) {
    if (IsDamage(m.status())) return Damage("bad-meta", m.status());
    return BlockDamage{false, "", m.status()};
  }
  if (!fs::exists(dir + "/index", ec) && !ec) {
    return Damage("no-index", Status::NotFound(dir + "/index does not exist"));
  }
  if (auto ix = IndexReader::Open(dir + "/index"); !ix.ok()) {
    if (IsDamage(ix.status())) return Damage("bad-index", ix.status());
    return BlockDamage{false, "", ix.status()};
  }
  if (!fs::is_directory(dir + "/chunks", ec) && !ec) {
    return Damage("no-chunks", Status::NotFound(dir + "/chunks/ does not exist"));
  }
  if (auto ch = ChunkFileReader::Open(dir + "/chunks"); !ch.ok()) {
    if (IsDamage(ch.status())) return Damage("bad-chunks", ch.status());
    return BlockDamage{false, "", ch.status()};
  }
  // Every part opens on its own: what failed was not the files (or was fixed meanwhile).
  return BlockDamage{false, "", open_error};
}

BlockDamage VerifyOpenedBlock(const Block& block) {
  std::string name = fs::path(block.dir()).filename().string();
  if (block.meta().ulid != name) {
    return Damage("bad-meta", Status::Corruption(
                                  fmt::format("{}/meta.json names block {}, not the directory's {}",
                                              block.dir(), block.meta().ulid, name)));
  }
  auto all = block.index().AllPostings();
  if (!all.ok()) return Damage("bad-index", all.status());
  const size_t n = all->size();
  const size_t segments = block.chunks().num_segments();
  if (n == 0) return {};
  Labels labels;
  std::vector<ChunkMeta> chunks;
  auto read = [&](size_t i) -> Status { return block.index().Series((*all)[i], &labels, &chunks); };
  // Segment of series i's first chunk.
  auto first_segment = [&](size_t i, uint64_t* seg) -> Status {
    ABHRA_RETURN_IF_ERROR(read(i));
    *seg = chunks.empty() ? 0 : chunks.front().ref >> 32;
    return Status::Ok();
  };
  for (uint64_t s = 0; s < segments; ++s) {
    // The last series whose first chunk is in a segment <= s holds the last chunk of s.
    uint64_t seg = 0;
    if (Status st = first_segment(0, &seg); !st.ok()) return Damage("bad-index", st);
    if (seg > s) continue;
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
      size_t mid = lo + (hi - lo + 1) / 2;
      if (Status st = first_segment(mid, &seg); !st.ok()) return Damage("bad-index", st);
      if (seg <= s) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    if (Status st = read(lo); !st.ok()) return Damage("bad-index", st);
    const ChunkMeta* last = nullptr;
    for (const ChunkMeta& c : chunks) {
      if ((c.ref >> 32) == s && (last == nullptr || c.ref > last->ref)) last = &c;
    }
    if (last == nullptr) continue;
    if (auto c = block.chunks().Chunk(last->ref); !c.ok()) {
      return Damage("bad-chunks",
                    c.status().WithContext(fmt::format("series {} of block {}", labels.ToString(),
                                                       block.meta().ulid)));
    }
  }
  return {};
}

Result<std::string> QuarantineBlock(const std::string& data_dir, const std::string& name,
                                    const std::string& reason) {
  const std::string qdir = data_dir + "/quarantine";
  std::error_code ec;
  fs::create_directories(qdir, ec);
  if (ec) return Status::IOError(fmt::format("create {}: {}", qdir, ec.message()));
  std::string to = fmt::format("{}/{}-{}", qdir, name, reason);
  if (fs::exists(to, ec)) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    to = fmt::format("{}-{}", to, ms);
  }
  fs::rename(data_dir + "/" + name, to, ec);
  if (ec) {
    return Status::IOError(fmt::format("move {}/{} to {}: {}", data_dir, name, to, ec.message()));
  }
  ABHRA_RETURN_IF_ERROR(SyncDir(qdir));
  ABHRA_RETURN_IF_ERROR(SyncDir(data_dir));
  return to;
}

}  // namespace abhra::tsdb
