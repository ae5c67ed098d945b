#include "aggregator/tsdb/head/head_appender.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <thread>

#include "aggregator/tsdb/head/head_metrics.h"

namespace abhra::tsdb {

HeadAppender::HeadAppender(Head* head) : head_(head) {}

HeadAppender::~HeadAppender() {
  if (gc_lock_.owns_lock()) Rollback();
}

void HeadAppender::Begin() {
  if (gc_lock_.owns_lock()) return;
  while (head_->truncating_.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  gc_lock_ = std::shared_lock(head_->gc_mu_);
  min_valid_ = head_->MinValidTime();
}

Result<storage::SeriesRef> HeadAppender::Append(storage::SeriesRef ref, const Labels& labels,
                                                int64_t t, double v) {
  Begin();
  MemSeries* s = ref != 0 ? head_->registry_.ByRef(ref) : nullptr;
  if (s == nullptr) {
    scratch_.clear();
    for (const Label& l : labels) scratch_.push_back({l.name, l.value});
    ABHRA_ASSIGN_OR_RETURN(s, Series(scratch_));
  }
  ABHRA_RETURN_IF_ERROR(AppendSample(s, t, v));
  return s->ref;
}

Result<storage::SeriesRef> HeadAppender::AppendViews(std::span<const LabelView> labels, int64_t t,
                                                     double v) {
  ABHRA_ASSIGN_OR_RETURN(MemSeries * s, Series(labels));
  ABHRA_RETURN_IF_ERROR(AppendSample(s, t, v));
  return s->ref;
}

Result<MemSeries*> HeadAppender::Series(std::span<const LabelView> labels) {
  Begin();
  if (head_->closed_.load(std::memory_order_relaxed)) {
    return Status::Unavailable("head is closed");
  }
  bool created = false;
  auto s = head_->GetOrCreate(labels, HashLabelViews(labels), 0, &created);
  if (!s.ok()) {
    if (s.status().Is(Status::Code::kInvalidArgument)) ++rejected_labels_;
    return s.status();
  }
  if (created) created_.push_back(*s);
  return *s;
}

Status HeadAppender::AppendSample(MemSeries* s, int64_t t, double v) {
  Begin();
  if (t < min_valid_) {
    ++rejected_oob_;
    return Status::OutOfBounds(fmt::format(
        "sample at {} ms is older than the head's minimum valid time {} ms", t, min_valid_));
  }
  AppendOutcome o;
  if (!sample_series_.empty() && sample_series_.back() == s) {
    // The previous queued sample is this series' newest: order against it (a request's
    // samples for one series usually come together).
    const RefSample& prev = samples_.back();
    if (t > prev.t) {
      o = AppendOutcome::kAppended;
    } else if (t < prev.t) {
      o = AppendOutcome::kOutOfOrder;
    } else {
      o = std::bit_cast<uint64_t>(prev.v) == std::bit_cast<uint64_t>(v)
              ? AppendOutcome::kDuplicateIgnored
              : AppendOutcome::kDuplicate;
    }
  } else {
    o = s->Appendable(t, v);  // lock-free; Commit re-checks under the series lock
  }
  switch (o) {
    case AppendOutcome::kAppended:
      break;
    case AppendOutcome::kDuplicateIgnored:
      return Status::Ok();
    case AppendOutcome::kOutOfOrder:
      ++rejected_ooo_;
      return Status::OutOfOrder(
          fmt::format("sample at {} ms is older than the newest sample of its series", t));
    case AppendOutcome::kDuplicate:
      ++rejected_dup_;
      return Status::Duplicate(
          fmt::format("sample at {} ms has the same timestamp as the newest sample of its "
                      "series but a different value",
                      t));
  }
  samples_.push_back({s->ref, t, v});
  sample_series_.push_back(s);
  return Status::Ok();
}

Status HeadAppender::LogCreatedSeries(bool with_samples) {
  if (head_->wal_ == nullptr) return Status::Ok();
  if (!with_samples) sample_series_.clear();
  // Also log series another (uncommitted) appender created, so our samples never precede
  // their series record in a way a crash could orphan.
  for (MemSeries* s : sample_series_) {
    if (!s->wal_logged.load(std::memory_order_acquire)) created_.push_back(s);
  }
  if (created_.size() > 1) {
    std::sort(created_.begin(), created_.end());
    created_.erase(std::unique(created_.begin(), created_.end()), created_.end());
  }
  std::string_view recs[2];
  size_t n = 0;
  if (!created_.empty()) {
    series_rec_.clear();
    BeginSeriesRecord(&series_rec_);
    for (MemSeries* s : created_) {
      head_->LabelViewsOf(*s, &scratch_);
      AddSeries(&series_rec_, s->ref, scratch_);
    }
    recs[n++] = series_rec_;
  }
  if (with_samples && !samples_.empty()) {
    samples_rec_.clear();
    EncodeSamples(&samples_rec_, samples_);
    recs[n++] = samples_rec_;
  }
  if (n == 0) return Status::Ok();
  Status s = head_->wal_->Commit({recs, n});
  if (!s.ok()) {
    return Status::Unavailable(fmt::format("cannot write the WAL: {}", s.ToString()));
  }
  for (MemSeries* c : created_) c->wal_logged.store(true, std::memory_order_release);
  return Status::Ok();
}

Status HeadAppender::Commit() {
  if (!gc_lock_.owns_lock()) return Status::Ok();  // nothing appended
  Status logged = LogCreatedSeries(/*with_samples=*/true);
  if (!logged.ok()) {
    Reset();
    return logged;
  }
  const int64_t range = head_->options_.chunk_range_ms;
  int64_t mint = std::numeric_limits<int64_t>::max(), maxt = std::numeric_limits<int64_t>::min();
  uint64_t appended = 0;
  for (size_t i = 0; i < samples_.size(); ++i) {
    MemSeries* s = sample_series_[i];
    const RefSample& rs = samples_[i];
    AppendOutcome o;
    {
      std::lock_guard l(s->mu);
      o = s->Append(rs.t, rs.v, range);
    }
    if (o == AppendOutcome::kAppended) {
      ++appended;
      mint = std::min(mint, rs.t);
      maxt = std::max(maxt, rs.t);
    } else if (o == AppendOutcome::kDuplicate) {
      ++rejected_dup_;
    } else if (o == AppendOutcome::kOutOfOrder) {
      ++rejected_ooo_;
    }
  }
  if (appended > 0) {
    head_->UpdateTimeBounds(mint, maxt);
    head_->metrics_->samples_appended.Increment(static_cast<double>(appended));
  }
  Reset();
  return Status::Ok();
}

void HeadAppender::Rollback() {
  if (!gc_lock_.owns_lock()) return;
  // Series created here stay in memory (others may already use them), so their records
  // must be in the WAL or samples later logged for them could not be replayed.
  (void)LogCreatedSeries(/*with_samples=*/false);
  Reset();
}

void HeadAppender::Reset() {
  HeadMetrics& m = *head_->metrics_;
  if (rejected_ooo_ > 0) m.rejected_out_of_order.Increment(static_cast<double>(rejected_ooo_));
  if (rejected_dup_ > 0) m.rejected_duplicate.Increment(static_cast<double>(rejected_dup_));
  if (rejected_oob_ > 0) m.rejected_out_of_bounds.Increment(static_cast<double>(rejected_oob_));
  if (rejected_labels_ > 0) {
    m.rejected_invalid_labels.Increment(static_cast<double>(rejected_labels_));
  }
  rejected_ooo_ = rejected_dup_ = rejected_oob_ = rejected_labels_ = 0;
  created_.clear();
  samples_.clear();
  sample_series_.clear();
  if (gc_lock_.owns_lock()) gc_lock_.unlock();
}

}  // namespace abhra::tsdb
