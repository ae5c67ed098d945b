#include "aggregator/tsdb/head/head_querier.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <shared_mutex>

namespace abhra::tsdb {
namespace {

class HeadSeries final : public storage::Series {
 public:
  HeadSeries(Labels labels, std::shared_ptr<const std::vector<ChunkSnapshot>> chunks,
             int64_t mint, int64_t maxt)
      : labels_(std::move(labels)), chunks_(std::move(chunks)), mint_(mint), maxt_(maxt) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<ChunkSeriesIterator>(chunks_, mint_, maxt_);
  }

 private:
  Labels labels_;
  std::shared_ptr<const std::vector<ChunkSnapshot>> chunks_;
  int64_t mint_, maxt_;
};

class VectorSeriesSet final : public storage::SeriesSet {
 public:
  explicit VectorSeriesSet(std::vector<HeadSeries> series) : series_(std::move(series)) {}
  bool Next() override {
    if (pos_ >= series_.size()) return false;
    ++pos_;
    return pos_ <= series_.size();
  }
  const storage::Series& At() const override { return series_[pos_ - 1]; }

 private:
  std::vector<HeadSeries> series_;
  size_t pos_ = 0;
};

}  // namespace

ChunkSeriesIterator::ChunkSeriesIterator(std::shared_ptr<const std::vector<ChunkSnapshot>> chunks,
                                         int64_t mint, int64_t maxt)
    : chunks_(std::move(chunks)), mint_(mint), maxt_(maxt) {}

bool ChunkSeriesIterator::OpenChunk(size_t i) {
  idx_ = i;
  if (idx_ >= chunks_->size()) {
    done_ = true;
    return false;
  }
  it_.Reset((*chunks_)[idx_].bytes);
  return true;
}

bool ChunkSeriesIterator::Next() {
  if (done_) return false;
  if (!started_) return Seek(mint_);
  for (;;) {
    if (it_.Next()) {
      if (it_.At().t > maxt_) {
        done_ = true;
        return false;
      }
      if (it_.At().t < mint_) continue;
      return true;
    }
    if (!it_.Err().ok()) {
      err_ = it_.Err();
      done_ = true;
      return false;
    }
    if (!OpenChunk(idx_ + 1)) return false;
  }
}

bool ChunkSeriesIterator::Seek(int64_t t) {
  if (done_) return false;
  if (!started_) {
    started_ = true;
    if (!OpenChunk(0)) return false;
  } else if (it_.At().t >= t && it_.At().t >= mint_) {
    return true;  // already there (Seek never moves backwards)
  }
  t = std::max(t, mint_);
  // Skip whole chunks that end before t.
  size_t i = idx_;
  while (i < chunks_->size() && (*chunks_)[i].maxt < t) ++i;
  if (i != idx_ && !OpenChunk(i)) return false;
  for (;;) {
    if (it_.Seek(t)) {
      if (it_.At().t > maxt_) {
        done_ = true;
        return false;
      }
      return true;
    }
    if (!it_.Err().ok()) {
      err_ = it_.Err();
      done_ = true;
      return false;
    }
    if (!OpenChunk(idx_ + 1)) return false;
  }
}

bool HeadQuerier::OverlapsHead() const {
  return head_->MinTime() <= maxt_ && head_->MaxTime() >= mint_;
}

std::unique_ptr<storage::SeriesSet> HeadQuerier::Select(bool sorted,
                                                        const storage::SelectHints& hints,
                                                        const std::vector<Matcher>& matchers) {
  std::vector<HeadSeries> out;
  if (!OverlapsHead()) return std::make_unique<VectorSeriesSet>(std::move(out));
  // Hints do not narrow what we must return; the window is the querier's, as in Prometheus.
  const int64_t mint = mint_, maxt = maxt_;
  PostingsList refs = head_->PostingsForMatchers(matchers);
  std::shared_lock gc(head_->gc_mu_);
  for (storage::SeriesRef ref : refs) {
    MemSeries* s = head_->registry_.ByRef(ref);
    if (s == nullptr) continue;
    auto chunks = std::make_shared<std::vector<ChunkSnapshot>>();
    {
      std::lock_guard l(s->mu);
      s->Snapshot(mint, maxt, chunks.get());
    }
    if (chunks->empty()) continue;
    if (hints.series_only) chunks->clear();
    out.emplace_back(head_->LabelsOf(*s), std::move(chunks), mint, maxt);
  }
  gc.unlock();
  if (sorted) {
    std::sort(out.begin(), out.end(), [](const HeadSeries& a, const HeadSeries& b) {
      return a.labels() < b.labels();
    });
  }
  return std::make_unique<VectorSeriesSet>(std::move(out));
}

Result<std::vector<std::string>> HeadQuerier::LabelValues(const std::string& name,
                                                          const std::vector<Matcher>& matchers) {
  std::vector<std::string> out;
  if (!OverlapsHead()) return out;
  std::optional<uint32_t> name_id = head_->symbols_.Find(name);
  if (!name_id) return out;
  std::vector<uint32_t> ids;
  if (matchers.empty()) {
    ids = head_->postings_.Values(*name_id);
  } else {
    PostingsList refs = head_->PostingsForMatchers(matchers);
    std::shared_lock gc(head_->gc_mu_);
    for (storage::SeriesRef ref : refs) {
      MemSeries* s = head_->registry_.ByRef(ref);
      if (s == nullptr) continue;
      auto syms = s->label_syms();
      for (size_t i = 0; i + 1 < syms.size(); i += 2) {
        if (syms[i] == *name_id) ids.push_back(syms[i + 1]);
      }
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  out.reserve(ids.size());
  for (uint32_t id : ids) out.emplace_back(head_->symbols_.Get(id));
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> HeadQuerier::LabelNames(const std::vector<Matcher>& matchers) {
  std::vector<std::string> out;
  if (!OverlapsHead()) return out;
  std::vector<uint32_t> ids;
  if (matchers.empty()) {
    ids = head_->postings_.Names();
  } else {
    PostingsList refs = head_->PostingsForMatchers(matchers);
    std::shared_lock gc(head_->gc_mu_);
    for (storage::SeriesRef ref : refs) {
      MemSeries* s = head_->registry_.ByRef(ref);
      if (s == nullptr) continue;
      auto syms = s->label_syms();
      for (size_t i = 0; i + 1 < syms.size(); i += 2) ids.push_back(syms[i]);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  out.reserve(ids.size());
  for (uint32_t id : ids) out.emplace_back(head_->symbols_.Get(id));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace abhra::tsdb
