#include "aggregator/tsdb/head/head.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/head/head_appender.h"
#include "aggregator/tsdb/head/head_metrics.h"
#include "aggregator/tsdb/head/head_querier.h"
#include "aggregator/tsdb/wal/wal_reader.h"
#include "common/base/logging.h"
#include "common/labels/hash.h"

namespace abhra::tsdb {

HeadMetrics::HeadMetrics(prometheus::Registry& r)
    : series(prometheus::BuildGauge()
                 .Name("abhra_head_series")
                 .Help("Series in the head.")
                 .Register(r)
                 .Add({})),
      series_created(prometheus::BuildCounter()
                         .Name("abhra_head_series_created_total")
                         .Help("Series created in the head.")
                         .Register(r)
                         .Add({})),
      series_removed(prometheus::BuildCounter()
                         .Name("abhra_head_series_removed_total")
                         .Help("Series removed from the head by truncation.")
                         .Register(r)
                         .Add({})),
      samples_appended(prometheus::BuildCounter()
                           .Name("abhra_head_samples_appended_total")
                           .Help("Samples committed to the head.")
                           .Register(r)
                           .Add({})),
      rejected_out_of_order(prometheus::BuildCounter()
                                .Name("abhra_head_samples_rejected_total")
                                .Help("Samples rejected by the head, by reason.")
                                .Register(r)
                                .Add({{"reason", "out_of_order"}})),
      rejected_duplicate(prometheus::BuildCounter()
                             .Name("abhra_head_samples_rejected_total")
                             .Help("Samples rejected by the head, by reason.")
                             .Register(r)
                             .Add({{"reason", "duplicate"}})),
      rejected_out_of_bounds(prometheus::BuildCounter()
                                 .Name("abhra_head_samples_rejected_total")
                                 .Help("Samples rejected by the head, by reason.")
                                 .Register(r)
                                 .Add({{"reason", "out_of_bounds"}})),
      rejected_invalid_labels(prometheus::BuildCounter()
                                  .Name("abhra_head_samples_rejected_total")
                                  .Help("Samples rejected by the head, by reason.")
                                  .Register(r)
                                  .Add({{"reason", "invalid_labels"}})),
      wal_fsync(prometheus::BuildHistogram()
                    .Name("abhra_wal_fsync_duration_seconds")
                    .Help("Duration of WAL fdatasync calls.")
                    .Register(r)
                    .Add({}, prometheus::Histogram::BucketBoundaries{
                                 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25, 0.5, 1, 2.5})),
      wal_corruptions(prometheus::BuildCounter()
                          .Name("abhra_wal_corruptions_total")
                          .Help("WAL damage found on replay (torn tails repaired, corruption).")
                          .Register(r)
                          .Add({})),
      head_min_time(prometheus::BuildGauge()
                        .Name("abhra_head_min_time_seconds")
                        .Help("Lowest sample timestamp in the head.")
                        .Register(r)
                        .Add({})),
      head_max_time(prometheus::BuildGauge()
                        .Name("abhra_head_max_time_seconds")
                        .Help("Highest sample timestamp in the head.")
                        .Register(r)
                        .Add({})) {}

namespace {

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// wyhash-style absorption of one string: 8-byte words, then a tail read without a
// variable-length copy (two overlapping 4-byte loads, or 3 byte loads under 4 bytes).
inline uint64_t AbsorbString(uint64_t h, std::string_view s) {
  using hash_internal::kP0;
  using hash_internal::kP1;
  using hash_internal::Mix;
  const char* p = s.data();
  size_t n = s.size();
  while (n > 8) {
    h = Mix(h ^ Load64(p), kP1);
    p += 8;
    n -= 8;
  }
  uint64_t tail;
  if (n >= 4) {
    tail = (Load32(p) << 32) | Load32(p + n - 4);
  } else if (n > 0) {
    auto b = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])); };
    tail = (b(0) << 16) | (b(n >> 1) << 8) | b(n - 1);
  } else {
    tail = 0;
  }
  return Mix(h ^ tail ^ (static_cast<uint64_t>(s.size()) << 56), kP0);
}

}  // namespace

uint64_t HashLabelViews(std::span<const LabelView> labels) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ labels.size();
  for (const LabelView& l : labels) {
    h = AbsorbString(h, l.name);
    h = AbsorbString(h ^ 0xff, l.value);
  }
  return hash_internal::Mix(h, hash_internal::kP2);
}

Head::Head(std::string dir, HeadOptions options) : dir_(std::move(dir)), options_(std::move(options)) {
  if (options_.registry != nullptr) {
    registry_ptr_ = options_.registry;
  } else {
    own_registry_ = std::make_shared<prometheus::Registry>();
    registry_ptr_ = own_registry_.get();
  }
  metrics_ = std::make_unique<HeadMetrics>(*registry_ptr_);
}

Head::~Head() { (void)Close(); }

Result<std::unique_ptr<Head>> Head::Open(const std::string& dir, HeadOptions options) {
  if (options.chunk_range_ms <= 0) {
    return Status::InvalidArgument(
        fmt::format("head chunk range must be positive, got {} ms", options.chunk_range_ms));
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(fmt::format("create data directory {}", dir), errno);
  }
  std::unique_ptr<Head> h(new Head(dir, std::move(options)));
  if (h->options_.wal_enabled) {
    ABHRA_RETURN_IF_ERROR(h->Replay());
    WalOptions wo = h->options_.wal;
    HeadMetrics* m = h->metrics_.get();
    auto user_hook = wo.on_fsync;
    wo.on_fsync = [m, user_hook](double s) {
      m->wal_fsync.Observe(s);
      if (user_hook) user_hook(s);
    };
    ABHRA_ASSIGN_OR_RETURN(h->wal_, Wal::Open(dir + "/wal", std::move(wo)));
  }
  return h;
}

Result<MemSeries*> Head::GetOrCreate(std::span<const LabelView> labels, uint64_t hash,
                                     storage::SeriesRef wal_ref, bool* created) {
  auto eq = [&](const MemSeries& s) {
    if (s.num_labels() != labels.size()) return false;
    std::span<const uint32_t> syms = s.label_syms();
    for (size_t i = 0; i < labels.size(); ++i) {
      if (symbols_.Get(syms[2 * i]) != labels[i].name ||
          symbols_.Get(syms[2 * i + 1]) != labels[i].value) {
        return false;
      }
    }
    return true;
  };
  if (MemSeries* s = registry_.Find(hash, eq)) {
    *created = false;
    return s;
  }
  // New series: validate (allocation is fine here, it happens once per series).
  if (labels.empty()) return Status::InvalidArgument("series without labels");
  if (labels.size() > 0xffff) {
    return Status::InvalidArgument(fmt::format("series with {} labels", labels.size()));
  }
  std::vector<Label> owned;
  owned.reserve(labels.size());
  for (const LabelView& l : labels) owned.push_back({std::string(l.name), std::string(l.value)});
  Status valid = ValidateLabels(owned);
  if (!valid.ok()) {
    return valid.WithContext(fmt::format("series {}", Labels::FromSorted(owned).ToString()));
  }
  Status create_err;
  MemSeries* s = registry_.GetOrCreate(
      hash, eq,
      [&]() -> std::unique_ptr<MemSeries> {
        if (options_.series_quota != nullptr) {
          create_err = options_.series_quota->Acquire(labels, /*enforce=*/wal_ref == 0);
          if (!create_err.ok()) return nullptr;
        }
        storage::SeriesRef ref = wal_ref != 0 ? wal_ref : next_ref_.fetch_add(1);
        if (ref > SeriesRegistry::kMaxRef) {
          if (options_.series_quota != nullptr) options_.series_quota->Release(labels);
          create_err = Status::ResourceExhausted("head series refs exhausted (2^32)");
          return nullptr;
        }
        std::vector<uint32_t> syms;
        syms.reserve(2 * labels.size());
        for (const LabelView& l : labels) {
          syms.push_back(symbols_.Intern(l.name));
          syms.push_back(symbols_.Intern(l.value));
        }
        auto fresh = std::make_unique<MemSeries>(ref, hash, syms);
        postings_.Add(ref, syms);
        return fresh;
      },
      created);
  if (s == nullptr) return create_err;
  if (*created) {
    metrics_->series.Increment();
    metrics_->series_created.Increment();
  }
  return s;
}

Labels Head::LabelsOf(const MemSeries& s) const {
  std::vector<Label> out;
  out.reserve(s.num_labels());
  std::span<const uint32_t> syms = s.label_syms();
  for (size_t i = 0; i < s.num_labels(); ++i) {
    out.push_back({std::string(symbols_.Get(syms[2 * i])), std::string(symbols_.Get(syms[2 * i + 1]))});
  }
  return Labels::FromSorted(std::move(out));
}

void Head::LabelViewsOf(const MemSeries& s, std::vector<LabelView>* out) const {
  out->clear();
  std::span<const uint32_t> syms = s.label_syms();
  for (size_t i = 0; i < s.num_labels(); ++i) {
    out->push_back({symbols_.Get(syms[2 * i]), symbols_.Get(syms[2 * i + 1])});
  }
}

void Head::UpdateTimeBounds(int64_t mint, int64_t maxt) {
  int64_t cur = min_time_.load(std::memory_order_relaxed);
  while (mint < cur && !min_time_.compare_exchange_weak(cur, mint, std::memory_order_relaxed)) {
  }
  cur = max_time_.load(std::memory_order_relaxed);
  bool raised = false;
  while (maxt > cur) {
    if (max_time_.compare_exchange_weak(cur, maxt, std::memory_order_relaxed)) {
      raised = true;
      break;
    }
  }
  if (raised) metrics_->head_max_time.Set(static_cast<double>(maxt) / 1000.0);
  if (mint <= min_time_.load(std::memory_order_relaxed)) {
    metrics_->head_min_time.Set(static_cast<double>(min_time_.load()) / 1000.0);
  }
}

int64_t Head::MinValidTime() const {
  int64_t floor = min_valid_time_.load(std::memory_order_relaxed);
  int64_t maxt = max_time_.load(std::memory_order_relaxed);
  if (maxt == std::numeric_limits<int64_t>::min()) return floor;
  return std::max(floor, maxt - options_.chunk_range_ms / 2);
}

std::unique_ptr<storage::Appender> Head::MakeAppender() { return NewAppender(); }

std::unique_ptr<HeadAppender> Head::NewAppender() { return std::make_unique<HeadAppender>(this); }

Result<std::unique_ptr<storage::Querier>> Head::MakeQuerier(int64_t mint, int64_t maxt) {
  return std::unique_ptr<storage::Querier>(new HeadQuerier(this, mint, maxt));
}

Status Head::AppendBatch(std::span<const SeriesSamples> batch, AppendBatchResult* result) {
  result->appended = 0;
  result->errors.clear();
  HeadAppender app(this);
  size_t accepted = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const SeriesSamples& ss = batch[i];
    auto s = app.Series(ss.labels);
    if (!s.ok()) {
      result->errors.push_back({static_cast<uint32_t>(i), 0, s.status()});
      continue;
    }
    for (size_t j = 0; j < ss.samples.size(); ++j) {
      Status st = app.AppendSample(*s, ss.samples[j].t, ss.samples[j].v);
      if (st.ok()) {
        ++accepted;
      } else {
        result->errors.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(j), std::move(st)});
      }
    }
  }
  ABHRA_RETURN_IF_ERROR(app.Commit());
  result->appended = accepted;
  return Status::Ok();
}

Status Head::Flush() {
  if (wal_ == nullptr) return Status::Ok();
  return wal_->Flush();
}

Status Head::Close() {
  if (closed_.exchange(true)) return Status::Ok();
  std::unique_lock l(gc_mu_);
  if (wal_ == nullptr) return Status::Ok();
  return wal_->Close();
}

PostingsList Head::PostingsForMatchers(const std::vector<Matcher>& matchers) const {
  std::vector<PostingsList> its;
  std::vector<PostingsList> nots;
  for (const Matcher& m : matchers) {
    std::optional<uint32_t> name = symbols_.Find(m.name());
    if (!m.MatchesEmpty()) {
      if (!name) return {};  // no series has the label, and it must be non-empty
      PostingsList p;
      if (m.type() == MatchType::kEqual) {
        if (auto v = symbols_.Find(m.value())) p = postings_.Get(*name, *v);
      } else if (m.type() == MatchType::kRegexMatch && !m.SetMatches().empty()) {
        std::vector<PostingsList> parts;
        for (const std::string& value : m.SetMatches()) {
          if (auto v = symbols_.Find(value)) parts.push_back(postings_.Get(*name, *v));
        }
        std::vector<const PostingsList*> ptrs;
        for (const PostingsList& x : parts) ptrs.push_back(&x);
        p = UnionPostings(std::move(ptrs));
      } else {
        p = postings_.UnionWhere(*name, [&](uint32_t v) { return m.Matches(symbols_.Get(v)); });
      }
      if (p.empty()) return {};
      its.push_back(std::move(p));
    } else {
      // Matches "" (so series without the label match): remove the series whose value
      // the matcher rejects.
      if (!name) continue;
      nots.push_back(
          postings_.UnionWhere(*name, [&](uint32_t v) { return !m.Matches(symbols_.Get(v)); }));
    }
  }
  PostingsList out = its.empty() ? postings_.All() : IntersectPostings(its);
  for (const PostingsList& n : nots) {
    if (out.empty()) break;
    if (!n.empty()) out = SubtractPostings(out, n);
  }
  return out;
}

void Head::ForEachSeries(int64_t mint, int64_t maxt,
                         const std::function<void(storage::SeriesRef, const Labels&,
                                                  std::span<const ChunkSnapshot>)>& fn) {
  std::shared_lock gc(gc_mu_);
  std::vector<ChunkSnapshot> chunks;
  registry_.ForEach([&](MemSeries& s) {
    chunks.clear();
    {
      std::lock_guard l(s.mu);
      s.Snapshot(mint, maxt, &chunks);
    }
    if (chunks.empty()) return;
    fn(s.ref, LabelsOf(s), chunks);
  });
}

void Head::RaiseMinValidTime(int64_t mint) {
  truncating_.store(true, std::memory_order_release);
  std::unique_lock gc(gc_mu_);  // waits for in-flight appenders
  truncating_.store(false, std::memory_order_release);
  int64_t floor = min_valid_time_.load();
  if (mint > floor) min_valid_time_.store(mint);
}

Status Head::Truncate(int64_t mint) {
  truncating_.store(true, std::memory_order_release);
  std::unique_lock gc(gc_mu_);
  truncating_.store(false, std::memory_order_release);
  if (closed_.load()) return Status::Unavailable("head is closed");
  int64_t floor = min_valid_time_.load();
  if (mint > floor) min_valid_time_.store(mint);
  std::vector<MemSeries*> empty;
  int64_t new_min = std::numeric_limits<int64_t>::max();
  registry_.ForEach([&](MemSeries& s) {
    std::lock_guard l(s.mu);
    if (s.TruncateBefore(mint)) {
      empty.push_back(&s);
    } else {
      new_min = std::min(new_min, s.min_time());
    }
  });
  std::vector<LabelView> removed_labels;
  for (MemSeries* s : empty) {
    if (options_.series_quota != nullptr) {
      LabelViewsOf(*s, &removed_labels);
      options_.series_quota->Release(removed_labels);
    }
    postings_.Remove(s->ref, s->label_syms());
    registry_.Remove(s);
  }
  metrics_->series.Decrement(static_cast<double>(empty.size()));
  metrics_->series_removed.Increment(static_cast<double>(empty.size()));
  min_time_.store(new_min);
  if (new_min == std::numeric_limits<int64_t>::max()) {
    max_time_.store(std::numeric_limits<int64_t>::min());
  }
  if (wal_ == nullptr) return Status::Ok();

  // Rewrite the WAL: everything live goes into a fresh segment, older segments go.
  ABHRA_ASSIGN_OR_RETURN(int first_new, wal_->Roll());
  constexpr size_t kBatch = 20000;
  std::string rec;
  std::vector<LabelView> views;
  std::vector<RefSample> samples;
  std::vector<ChunkSnapshot> chunks;
  Status st;
  size_t in_rec = 0;
  BeginSeriesRecord(&rec);
  registry_.ForEach([&](MemSeries& s) {
    if (!st.ok()) return;
    LabelViewsOf(s, &views);
    AddSeries(&rec, s.ref, views);
    if (++in_rec == kBatch) {
      std::string_view v = rec;
      st = wal_->Commit({&v, 1});
      rec.clear();
      BeginSeriesRecord(&rec);
      in_rec = 0;
    }
  });
  if (st.ok() && in_rec > 0) {
    std::string_view v = rec;
    st = wal_->Commit({&v, 1});
  }
  auto flush_samples = [&]() {
    if (samples.empty() || !st.ok()) return;
    rec.clear();
    EncodeSamples(&rec, samples);
    std::string_view v = rec;
    st = wal_->Commit({&v, 1});
    samples.clear();
  };
  registry_.ForEach([&](MemSeries& s) {
    if (!st.ok()) return;
    chunks.clear();
    {
      std::lock_guard l(s.mu);
      s.Snapshot(mint, std::numeric_limits<int64_t>::max(), &chunks);
    }
    for (const ChunkSnapshot& c : chunks) {
      XorIterator it(c.bytes);
      while (it.Next()) {
        if (it.At().t < mint) continue;
        samples.push_back({s.ref, it.At().t, it.At().v});
        if (samples.size() == kBatch) flush_samples();
      }
    }
  });
  flush_samples();
  if (st.ok()) st = wal_->Flush();
  if (st.ok()) st = wal_->DeleteSegmentsBefore(first_new);
  LOG_INFO("head", "truncated head", "mint={} removed_series={} series={} first_wal_segment={} err={}",
           mint, empty.size(), registry_.size(), first_new, st.ok() ? "none" : st.ToString());
  return st;
}

HeadMemoryStats Head::MemoryStats() const {
  HeadMemoryStats m;
  std::shared_lock gc(gc_mu_);
  registry_.ForEach([&](MemSeries& s) {
    ++m.series;
    m.series_bytes += sizeof(MemSeries) + s.num_labels() * 2 * sizeof(uint32_t);
    std::lock_guard l(s.mu);
    m.chunk_bytes += s.ChunkBytes();
  });
  m.symbol_bytes = symbols_.MemoryBytes();
  m.postings_bytes = postings_.MemoryBytes();
  m.registry_bytes = registry_.MemoryBytes();
  return m;
}

}  // namespace abhra::tsdb
