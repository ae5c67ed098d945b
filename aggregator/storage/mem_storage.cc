#include "aggregator/storage/mem_storage.h"

#include <algorithm>

namespace abhra::storage {
namespace {

class VectorIterator : public SampleIterator {
 public:
  explicit VectorIterator(std::shared_ptr<const std::vector<Sample>> samples)
      : samples_(std::move(samples)) {}
  bool Next() override {
    if (pos_ + 1 >= static_cast<int64_t>(samples_->size())) {
      pos_ = static_cast<int64_t>(samples_->size());
      return false;
    }
    ++pos_;
    return true;
  }
  bool Seek(int64_t t) override {
    if (pos_ < 0) pos_ = 0;
    if (pos_ >= static_cast<int64_t>(samples_->size())) return false;
    if ((*samples_)[pos_].t >= t) return true;
    auto it = std::lower_bound(samples_->begin() + pos_, samples_->end(), t,
                               [](const Sample& s, int64_t ts) { return s.t < ts; });
    pos_ = it - samples_->begin();
    return it != samples_->end();
  }
  Sample At() const override { return (*samples_)[pos_]; }

 private:
  std::shared_ptr<const std::vector<Sample>> samples_;
  int64_t pos_ = -1;
};

class MemSeries : public Series {
 public:
  MemSeries(Labels labels, std::shared_ptr<const std::vector<Sample>> samples)
      : labels_(std::move(labels)), samples_(std::move(samples)) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<SampleIterator> Iterator() const override {
    return std::make_unique<VectorIterator>(samples_);
  }

 private:
  Labels labels_;
  std::shared_ptr<const std::vector<Sample>> samples_;
};

class MemSeriesSet : public SeriesSet {
 public:
  explicit MemSeriesSet(std::vector<std::unique_ptr<MemSeries>> series)
      : series_(std::move(series)) {}
  bool Next() override { return ++pos_ < series_.size(); }
  const Series& At() const override { return *series_[pos_]; }

 private:
  std::vector<std::unique_ptr<MemSeries>> series_;
  size_t pos_ = static_cast<size_t>(-1);
};

struct Snapshot {
  Labels labels;
  std::shared_ptr<const std::vector<Sample>> samples;
};

class MemQuerier : public Querier {
 public:
  MemQuerier(std::vector<Snapshot> series, int64_t mint, int64_t maxt)
      : series_(std::move(series)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints& hints,
                                    const std::vector<Matcher>& matchers) override {
    int64_t lo = std::max(mint_, hints.start);
    int64_t hi = std::min(maxt_, hints.end);
    std::vector<std::unique_ptr<MemSeries>> out;
    for (const Snapshot& s : series_) {
      if (!MatchesAll(matchers, s.labels)) continue;
      auto first = std::lower_bound(s.samples->begin(), s.samples->end(), lo,
                                    [](const Sample& x, int64_t t) { return x.t < t; });
      auto last = std::upper_bound(s.samples->begin(), s.samples->end(), hi,
                                   [](int64_t t, const Sample& x) { return t < x.t; });
      if (first >= last && !hints.series_only) continue;
      auto window = std::make_shared<const std::vector<Sample>>(first, last);
      out.push_back(std::make_unique<MemSeries>(s.labels, std::move(window)));
    }
    return std::make_unique<MemSeriesSet>(std::move(out));
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<Matcher>& matchers) override {
    std::vector<std::string> out;
    for (const Snapshot& s : series_) {
      if (!matchers.empty() && !MatchesAll(matchers, s.labels)) continue;
      if (s.labels.Has(name)) out.emplace_back(s.labels.Get(name));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override {
    std::vector<std::string> out;
    for (const Snapshot& s : series_) {
      if (!matchers.empty() && !MatchesAll(matchers, s.labels)) continue;
      for (const Label& l : s.labels) out.push_back(l.name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  std::vector<Snapshot> series_;  // sorted by labels
  int64_t mint_, maxt_;
};

}  // namespace

class MemAppender : public Appender {
 public:
  explicit MemAppender(MemStorage* db) : db_(db) {}
  Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) override {
    if (labels.empty()) return Status::InvalidArgument("cannot append a series without labels");
    pending_.push_back({labels, Sample{t, v}});
    return SeriesRef{labels.Hash()};
  }
  Status Commit() override {
    std::lock_guard<std::mutex> lock(db_->mu_);
    // Group by series so each series is rebuilt once.
    std::map<Labels, std::vector<Sample>> grouped;
    for (auto& p : pending_) grouped[p.first].push_back(p.second);
    pending_.clear();
    Status first_error;
    for (auto& [lbls, samples] : grouped) {
      auto data = std::make_shared<MemStorage::SeriesData>();
      data->labels = lbls;
      auto it = db_->series_.find(lbls);
      if (it != db_->series_.end()) data->samples = it->second->samples;
      for (const Sample& s : samples) {
        if (!data->samples.empty() && s.t <= data->samples.back().t) {
          if (s.t == data->samples.back().t) {
            data->samples.back() = s;  // the later append of one timestamp wins
            continue;
          }
          if (first_error.ok()) {
            first_error = Status::OutOfOrder(
                fmt::format("sample at t={} for {} is older than the newest ({})", s.t,
                            lbls.ToString(), data->samples.back().t));
          }
          continue;
        }
        data->samples.push_back(s);
      }
      db_->series_[lbls] = std::move(data);
    }
    return first_error;
  }
  void Rollback() override { pending_.clear(); }

 private:
  MemStorage* db_;
  std::vector<std::pair<Labels, Sample>> pending_;
};

Result<std::unique_ptr<Querier>> MemStorage::MakeQuerier(int64_t mint, int64_t maxt) {
  std::vector<Snapshot> snap;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snap.reserve(series_.size());
    for (const auto& [lbls, data] : series_) {
      // Aliasing constructor: share ownership of the SeriesData, point at its samples.
      snap.push_back({lbls, std::shared_ptr<const std::vector<Sample>>(data, &data->samples)});
    }
  }
  return std::unique_ptr<Querier>(std::make_unique<MemQuerier>(std::move(snap), mint, maxt));
}

std::unique_ptr<Appender> MemStorage::MakeAppender() {
  return std::make_unique<MemAppender>(this);
}

void MemStorage::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  series_.clear();
}

size_t MemStorage::NumSeries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return series_.size();
}

}  // namespace abhra::storage
