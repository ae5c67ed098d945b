#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "aggregator/tsdb/head/head.h"
#include "aggregator/tsdb/head/head_metrics.h"
#include "aggregator/tsdb/wal/wal_reader.h"
#include "common/base/logging.h"

namespace abhra::tsdb {
namespace {

struct ReplayItem {
  MemSeries* series;
  int64_t t;
  double v;
};

// Applies replayed samples on worker threads. Samples are sharded by series ref, so one
// series' samples go to one worker in log order; series never migrate between workers.
class ReplayShards {
 public:
  // workers <= 1: samples are applied inline by the reading thread.
  ReplayShards(int workers, int64_t chunk_range)
      : range_(chunk_range), shards_(static_cast<size_t>(std::max(1, workers))), inline_(workers <= 1) {
    if (inline_) return;
    for (auto& sh : shards_) {
      sh.thread = std::thread([this, &sh] { Run(sh); });
    }
  }
  ~ReplayShards() { Finish(); }

  void Add(MemSeries* s, int64_t t, double v) {
    if (inline_) {
      Apply(shards_[0], {s, t, v});
      return;
    }
    Shard& sh = shards_[s->ref % shards_.size()];
    sh.pending.push_back({s, t, v});
    if (sh.pending.size() >= kBatch) Push(sh);
  }

  // Flushes, waits for the workers and merges their counts.
  void Finish() {
    if (finished_) return;
    finished_ = true;
    for (auto& sh : shards_) {
      if (inline_) break;
      Push(sh);
      {
        std::lock_guard l(sh.mu);
        sh.done = true;
      }
      sh.cv.notify_all();
    }
    for (auto& sh : shards_) {
      if (sh.thread.joinable()) sh.thread.join();
      samples += sh.samples;
      dropped += sh.dropped;
      mint = std::min(mint, sh.mint);
      maxt = std::max(maxt, sh.maxt);
    }
  }

  uint64_t samples = 0, dropped = 0;
  int64_t mint = std::numeric_limits<int64_t>::max();
  int64_t maxt = std::numeric_limits<int64_t>::min();

 private:
  static constexpr size_t kBatch = 8192;
  static constexpr size_t kMaxQueued = 32;  // batches per shard before the reader waits

  struct Shard {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::vector<ReplayItem>> queue;  // guarded by mu
    bool done = false;                          // guarded by mu
    std::vector<ReplayItem> pending;            // reader thread only
    std::thread thread;
    uint64_t samples = 0, dropped = 0;          // worker only, read after join
    int64_t mint = std::numeric_limits<int64_t>::max();
    int64_t maxt = std::numeric_limits<int64_t>::min();
  };

  void Push(Shard& sh) {
    if (sh.pending.empty()) return;
    std::unique_lock l(sh.mu);
    sh.cv.wait(l, [&] { return sh.queue.size() < kMaxQueued; });
    sh.queue.push_back(std::move(sh.pending));
    l.unlock();
    sh.cv.notify_all();
    sh.pending = {};
    sh.pending.reserve(kBatch);
  }

  void Run(Shard& sh) {
    for (;;) {
      std::vector<ReplayItem> batch;
      {
        std::unique_lock l(sh.mu);
        sh.cv.wait(l, [&] { return !sh.queue.empty() || sh.done; });
        if (sh.queue.empty()) return;
        batch = std::move(sh.queue.front());
        sh.queue.pop_front();
      }
      sh.cv.notify_all();
      for (const ReplayItem& it : batch) Apply(sh, it);
    }
  }

  void Apply(Shard& sh, const ReplayItem& it) {
    std::lock_guard l(it.series->mu);
    if (it.series->Append(it.t, it.v, range_) == AppendOutcome::kAppended) {
      ++sh.samples;
      sh.mint = std::min(sh.mint, it.t);
      sh.maxt = std::max(sh.maxt, it.t);
    } else {
      ++sh.dropped;
    }
  }

  const int64_t range_;
  std::vector<Shard> shards_;
  const bool inline_;
  bool finished_ = false;
};

}  // namespace

Status Head::Replay() {
  auto start = std::chrono::steady_clock::now();
  std::string wal_dir = dir_ + "/wal";
  // Refs from WAL series records that name an already-known label set (re-logged series).
  std::unordered_map<uint64_t, MemSeries*> aliases;
  // Samples whose series record comes later in the log (a concurrent appender created the
  // series and committed after another appender's samples for it): applied when it appears.
  std::unordered_map<uint64_t, std::vector<RefSample>> deferred;
  std::vector<RefSample> samples;
  uint64_t n_series = 0;
  storage::SeriesRef max_ref = 0;
  // The reader thread decodes; workers append (cores - 1, at most 4; 1 = inline).
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  int workers = options_.replay_workers > 0 ? options_.replay_workers
                                            : static_cast<int>(std::clamp(cores - 1, 1u, 4u));
  ReplayShards shards(workers, options_.chunk_range_ms);
  auto apply = [&](MemSeries* s, const RefSample& rs) { shards.Add(s, rs.t, rs.v); };
  auto by_ref = [&](uint64_t ref) -> MemSeries* {
    if (MemSeries* s = registry_.ByRef(ref)) return s;
    auto it = aliases.find(ref);
    return it == aliases.end() ? nullptr : it->second;
  };

  WalReplayStats stats;
  WalReplayOptions replay_options;
  // Corruption is cut off (everything before it kept, the rest moved to DATA_DIR/quarantine)
  // rather than failing Open: a damaged WAL must not keep the aggregator from starting.
  replay_options.repair_corruption = true;
  replay_options.quarantine_dir = dir_ + "/quarantine";
  Status st = ReplayWal(
      wal_dir,
      [&](std::string_view rec) -> Status {
        auto type = PeekRecordType(rec);
        if (!type.ok()) return type.status();
        switch (*type) {
          case RecordType::kSeries: {
            Status inner;
            Status s = DecodeSeries(rec, [&](uint64_t ref, std::span<const LabelView> labels) {
              if (!inner.ok()) return;
              if (ref == 0 || ref > SeriesRegistry::kMaxRef) {
                inner = Status::Corruption(fmt::format("WAL series record with ref {}", ref));
                return;
              }
              if (registry_.ByRef(ref) != nullptr) return;  // already known
              bool created = false;
              auto r = GetOrCreate(labels, HashLabelViews(labels), ref, &created);
              if (!r.ok()) {
                inner = r.status().WithContext(fmt::format("WAL series ref {}", ref));
                return;
              }
              (*r)->wal_logged.store(true);
              ++n_series;
              max_ref = std::max(max_ref, ref);
              if (!created) aliases[ref] = *r;
              auto d = deferred.find(ref);
              if (d != deferred.end()) {
                for (const RefSample& rs : d->second) apply(*r, rs);
                deferred.erase(d);
              }
            });
            if (!s.ok()) return s;
            return inner;
          }
          case RecordType::kSamples: {
            samples.clear();
            ABHRA_RETURN_IF_ERROR(DecodeSamples(rec, &samples));
            for (const RefSample& rs : samples) {
              if (MemSeries* s = by_ref(rs.ref)) {
                apply(s, rs);
              } else {
                deferred[rs.ref].push_back(rs);
              }
            }
            return Status::Ok();
          }
          default:
            return Status::Ok();  // tombstones and future types: nothing to do in the head
        }
      },
      &stats, replay_options);
  if (stats.torn_tail) metrics_->wal_corruptions.Increment();
  if (stats.repaired_corruption) metrics_->wal_corruptions.Increment();
  if (!st.ok()) {
    if (st.Is(Status::Code::kCorruption)) metrics_->wal_corruptions.Increment();
    return st.WithContext("replay WAL");
  }
  shards.Finish();
  const uint64_t n_samples = shards.samples, n_dropped = shards.dropped;
  const int64_t mint = shards.mint, maxt = shards.maxt;
  uint64_t unknown = 0;
  for (auto& [ref, v] : deferred) unknown += v.size();
  next_ref_.store(max_ref + 1);
  if (n_samples > 0) UpdateTimeBounds(mint, maxt);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  LOG_INFO("head", "replayed WAL",
           "dir={} segments={} records={} series={} samples={} dropped_samples={} "
           "unknown_ref_samples={} torn_tail={} repaired_corruption={} workers={} seconds={:.3f} "
           "seconds_per_million_samples={:.3f}",
           wal_dir, stats.segments, stats.records, n_series, n_samples, n_dropped, unknown,
           stats.torn_tail, stats.repaired_corruption, workers, secs, n_samples > 0 ? secs * 1e6 / static_cast<double>(n_samples) : 0.0);
  return Status::Ok();
}

}  // namespace abhra::tsdb
