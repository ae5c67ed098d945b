#include "aggregator/tsdb/db/db.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <set>

#include "aggregator/tsdb/block/block_writer.h"
#include "aggregator/tsdb/block/ulid.h"
#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/compact/compactor.h"
#include "aggregator/tsdb/db/block_quarantine.h"
#include "aggregator/tsdb/db/db_metrics.h"
#include "aggregator/tsdb/db/merge.h"
#include "aggregator/tsdb/downsample/downsample.h"
#include "aggregator/tsdb/head/head_querier.h"
#include "aggregator/tsdb/index/mapped_file.h"
#include "common/base/logging.h"

namespace abhra::tsdb {

namespace fs = std::filesystem;

namespace {
int64_t FloorTo(int64_t t, int64_t r) { return (t >= 0 ? t / r : (t - r + 1) / r) * r; }

bool EndsWith(const std::string& s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
}  // namespace

// Prometheus replays a WAL from segment 0, or from the segment after its newest
// `checkpoint.NNNNNNNN` directory. The head's Truncate re-logs live data into a fresh
// segment and deletes the older ones instead of writing a checkpoint, so without a marker
// promtool (and Prometheus) fail with "open WAL segment: 0". An empty checkpoint named for
// the segment before the first one left makes them start there; our WAL ignores it.
Status SyncWalCheckpointMarker(const std::string& wal_dir) {
  std::error_code ec;
  if (!fs::exists(wal_dir, ec)) return Status::Ok();
  int first = -1;
  std::vector<std::string> checkpoints;
  for (const auto& e : fs::directory_iterator(wal_dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind("checkpoint.", 0) == 0) {
      checkpoints.push_back(n);
    } else if (!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit)) {
      int idx = std::stoi(n);
      if (first < 0 || idx < first) first = idx;
    }
  }
  if (ec) return Status::IOError("list " + wal_dir + ": " + ec.message());
  char want[32] = "";
  if (first > 0) std::snprintf(want, sizeof want, "checkpoint.%08d", first - 1);
  bool changed = false;
  for (const auto& c : checkpoints) {
    if (c != want) {
      fs::remove_all(wal_dir + "/" + c, ec);
      changed = true;
    }
  }
  if (first > 0 && !fs::exists(wal_dir + "/" + want, ec)) {
    fs::create_directory(wal_dir + "/" + want, ec);
    if (ec) return Status::IOError("mkdir " + wal_dir + "/" + want + ": " + ec.message());
    changed = true;
  }
  return changed ? SyncDir(wal_dir) : Status::Ok();
}

namespace {
// Head cuts and compactions free large amounts of memory at once (the cut series' chunks, the
// block being written); glibc keeps freed memory unless it is at the top of the heap, so hand
// it back to the OS after them.
void ReleaseFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}
}  // namespace

Status DB::TruncateHead(int64_t mint) {
  ABHRA_RETURN_IF_ERROR(head_->Truncate(mint));
  ReleaseFreedMemory();
  return SyncWalCheckpointMarker(dir_ + "/wal");
}

DB::DB(std::string dir, DBOptions options) : dir_(std::move(dir)), options_(std::move(options)) {}

Result<std::unique_ptr<DB>> DB::Open(const std::string& dir, DBOptions options) {
  if (options.block_duration_ms <= 0) return Status::InvalidArgument("block_duration_ms must be > 0, got " + std::to_string(options.block_duration_ms));
  options.head.chunk_range_ms = options.block_duration_ms;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("mkdir " + dir + ": " + ec.message());
  std::unique_ptr<DB> db(new DB(dir, options));
  ABHRA_RETURN_IF_ERROR(db->LoadBlocks());
  ABHRA_ASSIGN_OR_RETURN(db->head_, Head::Open(dir, options.head));
  prometheus::Registry& reg = options.registry ? *options.registry : db->head_->registry();
  db->metrics_ = std::make_unique<DBMetrics>(reg);
  db->metrics_->blocks_loaded.Set(double(db->blocks_.size()));
  db->metrics_->blocks_quarantined.Increment(double(db->quarantined_at_open_));
  // Head data already in blocks (a crash between a head cut and the WAL truncation).
  int64_t max_block = std::numeric_limits<int64_t>::min();
  for (const auto& b : db->blocks_) {
    if (b->meta().resolution == kResRaw) max_block = std::max(max_block, b->meta().max_time);
  }
  if (max_block != std::numeric_limits<int64_t>::min() && db->head_->MinTime() <= db->head_->MaxTime() &&
      db->head_->MinTime() < max_block) {
    LOG_INFO("tsdb", "dropping head data already in blocks", "before={}", max_block);
    ABHRA_RETURN_IF_ERROR(db->head_->Truncate(max_block));
  }
  ABHRA_RETURN_IF_ERROR(SyncWalCheckpointMarker(dir + "/wal"));
  if (options.background_interval_ms > 0) db->bg_ = std::thread([p = db.get()] { p->BackgroundLoop(); });
  return db;
}

DB::~DB() { (void)Close(); }

Status DB::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  std::lock_guard<std::mutex> l(cut_mu_);
  return head_ ? head_->Close() : Status::Ok();
}

void DB::BackgroundLoop() {
  std::unique_lock<std::mutex> l(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(l, std::chrono::milliseconds(options_.background_interval_ms));
    if (stop_) break;
    l.unlock();
    Status s = Compact();
    if (!s.ok()) LOG_ERROR("tsdb", "background compaction failed", "err={}", s.ToString());
    l.lock();
  }
}

Status DB::LoadBlocks() {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string n = e.path().filename().string();
    if (!e.is_directory(ec)) continue;
    if (EndsWith(n, kTmpForCreation) || EndsWith(n, kTmpForDeletion)) {
      LOG_INFO("tsdb", "removing leftover temporary block dir", "dir={}", n);
      fs::remove_all(e.path(), ec);
      continue;
    }
    if (IsUlid(n)) names.push_back(n);
  }
  if (ec) return Status::IOError("list " + dir_ + ": " + ec.message());
  std::vector<std::shared_ptr<Block>> loaded;
  for (const auto& n : names) {
    const std::string path = dir_ + "/" + n;
    auto b = Block::Open(path);
    BlockDamage damage =
        b.ok() ? VerifyOpenedBlock(**b) : DiagnoseBlockOpenFailure(path, b.status());
    if (b.ok() && damage.error.ok()) {
      loaded.push_back(std::move(*b));
      continue;
    }
    if (b.ok()) b->reset();  // unmap before moving the directory
    if (!damage.damaged) {
      LOG_ERROR("tsdb", "cannot open block; skipped until the next start, left in place",
                "block={} err={}", path, LogfmtValue(damage.error.ToString()));
      continue;
    }
    auto moved = QuarantineBlock(dir_, n, damage.reason);
    if (!moved.ok()) {
      LOG_ERROR("tsdb",
                "damaged block skipped (not queried or compacted); moving it to quarantine failed",
                "block={} reason={} err={} move_err={}", path, damage.reason,
                LogfmtValue(damage.error.ToString()), LogfmtValue(moved.status().ToString()));
      continue;
    }
    ++quarantined_at_open_;
    LOG_ERROR("tsdb",
              "damaged block quarantined: moved out of the data dir, not queried or compacted",
              "block={} reason={} err={} moved_to={}", path, damage.reason,
              LogfmtValue(damage.error.ToString()), LogfmtValue(*moved));
  }
  // Blocks replaced by a complete compacted block (crash before the parents were deleted).
  std::set<std::string> replaced;
  for (const auto& b : loaded) {
    for (const auto& p : b->meta().parents) replaced.insert(p.ulid);
  }
  for (auto& b : loaded) {
    if (replaced.count(b->meta().ulid)) {
      LOG_INFO("tsdb", "deleting block replaced by compaction", "block={}", b->meta().ulid);
      b->MarkForDeletion();
      b.reset();
    }
  }
  std::erase(loaded, nullptr);
  std::sort(loaded.begin(), loaded.end(),
            [](const auto& a, const auto& b) { return a->meta().min_time < b->meta().min_time; });
  blocks_ = std::move(loaded);
  return Status::Ok();
}

void DB::AddBlock(std::shared_ptr<Block> b) {
  std::lock_guard<std::mutex> l(blocks_mu_);
  blocks_.push_back(std::move(b));
  std::sort(blocks_.begin(), blocks_.end(),
            [](const auto& a, const auto& b) { return a->meta().min_time < b->meta().min_time; });
  metrics_->blocks_loaded.Set(double(blocks_.size()));
}

void DB::RemoveBlocks(const std::vector<std::shared_ptr<Block>>& bs) {
  std::lock_guard<std::mutex> l(blocks_mu_);
  for (const auto& b : bs) {
    b->MarkForDeletion();
    std::erase(blocks_, b);
    metrics_->blocks_deleted.Increment();
  }
  metrics_->blocks_loaded.Set(double(blocks_.size()));
}

std::vector<std::shared_ptr<Block>> DB::SnapshotBlocks() const {
  std::lock_guard<std::mutex> l(blocks_mu_);
  return blocks_;
}

std::vector<BlockMeta> DB::Blocks() const {
  std::vector<BlockMeta> out;
  for (const auto& b : SnapshotBlocks()) out.push_back(b->meta());
  return out;
}

std::unique_ptr<storage::Appender> DB::MakeAppender() { return head_->MakeAppender(); }

namespace {

// Head + blocks. Select picks a resolution per query (SelectHints) and reads downsampled
// blocks in place of the raw blocks they cover.
class DBQuerier final : public storage::Querier {
 public:
  DBQuerier(std::vector<std::shared_ptr<Block>> blocks, std::unique_ptr<storage::Querier> head,
            int64_t mint, int64_t maxt)
      : blocks_(std::move(blocks)), head_(std::move(head)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<Matcher>& matchers) override {
    int64_t window = std::max(hints.range, hints.step);
    std::string aggr = AggregateForFunc(hints.func);
    int64_t res = kResRaw;
    if (!aggr.empty() && !hints.series_only) {
      for (int64_t r : {kRes1h, kRes5m}) {
        if (window < 5 * r) continue;
        bool have = std::any_of(blocks_.begin(), blocks_.end(),
                                [&](const auto& b) { return b->meta().resolution == r; });
        if (have) {
          res = r;
          break;
        }
      }
    }
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    for (const auto& b : blocks_) {
      const auto& m = b->meta();
      if (m.resolution == kResRaw) {
        bool covered = res != kResRaw && std::any_of(blocks_.begin(), blocks_.end(), [&](const auto& d) {
          return d->meta().resolution == res && d->meta().min_time <= m.min_time &&
                 m.max_time <= d->meta().max_time;
        });
        if (covered) continue;
        queriers_.push_back(NewBlockQuerier(b, mint_, maxt_));
      } else if (m.resolution == res) {
        queriers_.push_back(NewDownsampledQuerier(b, aggr, mint_, maxt_));
      } else {
        continue;
      }
      sets.push_back(queriers_.back()->Select(true, hints, matchers));
    }
    sets.push_back(head_->Select(true, hints, matchers));
    return MergeSeriesSets(std::move(sets));
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<Matcher>& matchers) override {
    std::vector<std::vector<std::string>> lists;
    for (const auto& b : blocks_) {
      if (b->meta().resolution != kResRaw) continue;
      ABHRA_ASSIGN_OR_RETURN(auto v, NewBlockQuerier(b, mint_, maxt_)->LabelValues(name, matchers));
      lists.push_back(std::move(v));
    }
    ABHRA_ASSIGN_OR_RETURN(auto v, head_->LabelValues(name, matchers));
    lists.push_back(std::move(v));
    return MergeStrings(std::move(lists));
  }

  Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override {
    std::vector<std::vector<std::string>> lists;
    for (const auto& b : blocks_) {
      if (b->meta().resolution != kResRaw) continue;
      ABHRA_ASSIGN_OR_RETURN(auto v, NewBlockQuerier(b, mint_, maxt_)->LabelNames(matchers));
      lists.push_back(std::move(v));
    }
    ABHRA_ASSIGN_OR_RETURN(auto v, head_->LabelNames(matchers));
    lists.push_back(std::move(v));
    return MergeStrings(std::move(lists));
  }

 private:
  std::vector<std::shared_ptr<Block>> blocks_;
  std::unique_ptr<storage::Querier> head_;
  std::vector<std::unique_ptr<storage::Querier>> queriers_;
  int64_t mint_, maxt_;
};

}  // namespace

Result<std::unique_ptr<storage::Querier>> DB::MakeQuerier(int64_t mint, int64_t maxt) {
  std::vector<std::shared_ptr<Block>> bs;
  for (const auto& b : SnapshotBlocks()) {
    if (b->Overlaps(mint, maxt)) bs.push_back(b);
  }
  ABHRA_ASSIGN_OR_RETURN(auto hq, head_->MakeQuerier(mint, maxt));
  return std::unique_ptr<storage::Querier>(
      std::make_unique<DBQuerier>(std::move(bs), std::move(hq), mint, maxt));
}

Status DB::DownsampleLocked() {
  if (!options_.downsample) return Status::Ok();
  const std::pair<int64_t, int64_t> steps[] = {{kResRaw, kRes5m}, {kRes5m, kRes1h}};
  for (const auto& [from, to] : steps) {
    int64_t min_span = to == kRes5m ? options_.downsample_5m_min_block_ms : options_.downsample_1h_min_block_ms;
    auto blocks = SnapshotBlocks();
    for (const auto& b : blocks) {
      const auto& m = b->meta();
      if (m.resolution != from || m.max_time - m.min_time < min_span) continue;
      bool done = std::any_of(blocks.begin(), blocks.end(), [&](const auto& d) {
        return d->meta().resolution == to && d->meta().min_time <= m.min_time &&
               m.max_time <= d->meta().max_time;
      });
      if (done) continue;
      auto start = std::chrono::steady_clock::now();
      auto meta = DownsampleBlock(dir_, b, to, options_.samples_per_chunk);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!meta.ok()) {
        metrics_->compactions_failed.Increment();
        LOG_ERROR("tsdb", "downsampling failed", "block={} resolution={} err={}", m.ulid, to,
                  meta.status().ToString());
        return meta.status();
      }
      metrics_->compactions.Increment();
      metrics_->compaction_duration.Observe(secs);
      if (meta->ulid.empty()) continue;
      ABHRA_ASSIGN_OR_RETURN(auto nb, Block::Open(dir_ + "/" + meta->ulid));
      AddBlock(std::move(nb));
      LOG_INFO("tsdb", "downsampled block", "src={} ulid={} resolution={} series={} samples={} seconds={:.3f}",
               m.ulid, meta->ulid, to, meta->num_series, meta->num_samples, secs);
    }
  }
  return Status::Ok();
}

Status DB::WriteHeadBlock(int64_t mint, int64_t maxt) {
  auto start = std::chrono::steady_clock::now();
  std::vector<BlockSeries> series;
  Status err;
  head_->ForEachSeries(mint, maxt - 1, [&](storage::SeriesRef, const Labels& ls,
                                           std::span<const ChunkSnapshot> chunks) {
    BlockSeries s;
    s.labels = ls;
    if (options_.head_block_samples_per_chunk > 0) {
      std::vector<ChunkRefData> refs;
      for (const auto& c : chunks) refs.push_back({c.mint, c.maxt, kEncXor, c.bytes});
      XorChunksIterator it(nullptr, std::move(refs), mint, maxt - 1);
      Status st = EncodeXorChunks(it, options_.head_block_samples_per_chunk, &s.chunks);
      if (!st.ok() && err.ok()) err = st;
      series.push_back(std::move(s));
      return;
    }
    for (const auto& c : chunks) {
      if (c.mint >= mint && c.maxt < maxt) {
        BlockChunk bc;
        bc.mint = c.mint;
        bc.maxt = c.maxt;
        bc.data = c.bytes;
        s.chunks.push_back(std::move(bc));
        continue;
      }
      // A chunk straddling the range: keep the samples inside it.
      XorChunksIterator it(nullptr, {{c.mint, c.maxt, kEncXor, c.bytes}}, mint, maxt - 1);
      Status st = EncodeXorChunks(it, kSamplesPerChunk, &s.chunks);
      if (!st.ok() && err.ok()) err = st;
    }
    series.push_back(std::move(s));
  });
  ABHRA_RETURN_IF_ERROR(err);
  BlockWriteOptions wo;
  wo.thanos_labels = options_.external_labels;
  wo.source = "receive";
  BlockWriteStats st;
  ABHRA_ASSIGN_OR_RETURN(BlockMeta meta, WriteBlock(dir_, mint, maxt, std::move(series), wo, &st));
  if (meta.ulid.empty()) return Status::Ok();
  ABHRA_ASSIGN_OR_RETURN(auto b, Block::Open(dir_ + "/" + meta.ulid));
  AddBlock(std::move(b));
  metrics_->head_cuts.Increment();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  LOG_INFO("tsdb", "wrote head block", "ulid={} mint={} maxt={} series={} samples={} chunks={} "
           "index_bytes={} chunk_bytes={} seconds={:.3f}",
           meta.ulid, mint, maxt, meta.num_series, meta.num_samples, meta.num_chunks,
           st.index.total, st.chunk_bytes, secs);
  return Status::Ok();
}

Status DB::CutIfNeeded() {
  std::lock_guard<std::mutex> l(cut_mu_);
  return CutIfNeededLocked();
}

Status DB::CutIfNeededLocked() {
  const int64_t r = options_.block_duration_ms;
  while (head_->MinTime() <= head_->MaxTime() && head_->MaxTime() - head_->MinTime() > r / 2 * 3) {
    int64_t before = head_->MinTime();
    int64_t mint = FloorTo(before, r);
    ABHRA_RETURN_IF_ERROR(WriteHeadBlock(mint, mint + r));
    ABHRA_RETURN_IF_ERROR(TruncateHead(mint + r));
    if (head_->MinTime() <= before) break;  // no progress (should not happen)
  }
  return Status::Ok();
}

Status DB::Flush() {
  std::lock_guard<std::mutex> l(cut_mu_);
  ABHRA_RETURN_IF_ERROR(head_->Flush());
  if (head_->MinTime() > head_->MaxTime()) return Status::Ok();
  const int64_t r = options_.block_duration_ms;
  int64_t mint = head_->MinTime(), maxt = head_->MaxTime() + 1;
  // Fence first: an appender still adding a sample below maxt finishes before the snapshot
  // below, and later ones are refused (OutOfBounds) instead of being lost by the truncation.
  head_->RaiseMinValidTime(maxt);
  if (maxt - mint <= r) {
    // At most one block range of data: one block, even across a range boundary (one index
    // instead of two; leveled compaction still merges it inside a larger window).
    ABHRA_RETURN_IF_ERROR(WriteHeadBlock(mint, maxt));
    return TruncateHead(maxt);
  }
  for (int64_t w = FloorTo(mint, r); w < maxt; w += r) {
    ABHRA_RETURN_IF_ERROR(WriteHeadBlock(std::max(w, mint), std::min(w + r, maxt)));
  }
  return TruncateHead(maxt);
}

Status DB::Compact() {
  std::lock_guard<std::mutex> l(cut_mu_);
  ABHRA_RETURN_IF_ERROR(CutIfNeededLocked());
  ABHRA_RETURN_IF_ERROR(CompactLocked());
  ABHRA_RETURN_IF_ERROR(DownsampleLocked());
  Status st = ApplyRetention();
  ReleaseFreedMemory();
  return st;
}

Status DB::CompactLocked() {
  auto ranges = DefaultCompactionRanges(options_.block_duration_ms, options_.max_block_duration_ms);
  while (true) {
    std::vector<std::shared_ptr<Block>> raw;
    for (const auto& b : SnapshotBlocks()) {
      if (b->meta().resolution == kResRaw) raw.push_back(b);
    }
    auto plan = PlanCompaction(raw, ranges);
    if (plan.empty()) return Status::Ok();
    auto start = std::chrono::steady_clock::now();
    CompactOptions co;
    co.samples_per_chunk = options_.samples_per_chunk;
    co.thanos_labels = options_.external_labels;
    BlockWriteStats st;
    auto meta = CompactBlocks(dir_, plan, co, &st);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!meta.ok()) {
      metrics_->compactions_failed.Increment();
      LOG_ERROR("tsdb", "compaction failed", "blocks={} err={}", plan.size(), meta.status().ToString());
      return meta.status();
    }
    metrics_->compactions.Increment();
    metrics_->compaction_duration.Observe(secs);
    if (!meta->ulid.empty()) {
      ABHRA_ASSIGN_OR_RETURN(auto b, Block::Open(dir_ + "/" + meta->ulid));
      AddBlock(std::move(b));
    }
    RemoveBlocks(plan);
    LOG_INFO("tsdb", "compacted blocks", "ulid={} parents={} level={} mint={} maxt={} series={} "
             "samples={} bytes={} seconds={:.3f}",
             meta->ulid, plan.size(), meta->level, meta->min_time, meta->max_time,
             meta->num_series, meta->num_samples, st.index.total + st.chunk_bytes, secs);
  }
}

Status DB::ApplyRetention() {
  auto blocks = SnapshotBlocks();
  int64_t newest = head_->MaxTime();
  for (const auto& b : blocks) newest = std::max(newest, b->meta().max_time);
  std::vector<std::shared_ptr<Block>> expired;
  for (const auto& b : blocks) {
    int64_t ret = b->meta().resolution == kRes5m   ? options_.retention_5m_ms
                  : b->meta().resolution == kRes1h ? options_.retention_1h_ms
                                                   : options_.retention_raw_ms;
    if (ret > 0 && b->meta().max_time <= newest - ret) expired.push_back(b);
  }
  for (const auto& b : expired) {
    LOG_INFO("tsdb", "deleting block past retention", "ulid={} resolution={} maxt={}",
             b->meta().ulid, b->meta().resolution, b->meta().max_time);
  }
  if (!expired.empty()) RemoveBlocks(expired);
  return Status::Ok();
}

}  // namespace abhra::tsdb
