#include "aggregator/tsdb/db/merge.h"

#include <algorithm>

namespace abhra::tsdb {

MergeSampleIterator::MergeSampleIterator(std::vector<std::unique_ptr<storage::SampleIterator>> its)
    : its_(std::move(its)), valid_(its_.size(), 0) {}

bool MergeSampleIterator::Pick() {
  bool any = false;
  for (size_t i = 0; i < its_.size(); ++i) {
    if (!valid_[i]) continue;
    auto s = its_[i]->At();
    if (!any || s.t < cur_.t) {
      cur_ = s;
      any = true;
    }
  }
  return any;
}

bool MergeSampleIterator::Next() {
  for (size_t i = 0; i < its_.size(); ++i) {
    if (!started_ || (valid_[i] && its_[i]->At().t <= cur_.t)) {
      valid_[i] = its_[i]->Next();
      // Skip a duplicate of the sample just returned.
      while (started_ && valid_[i] && its_[i]->At().t <= cur_.t) valid_[i] = its_[i]->Next();
      if (!valid_[i] && !its_[i]->Err().ok() && err_.ok()) err_ = its_[i]->Err();
    }
  }
  started_ = true;
  if (!err_.ok()) return false;
  return Pick();
}

bool MergeSampleIterator::Seek(int64_t t) {
  if (started_ && Pick() && cur_.t >= t) return true;
  for (size_t i = 0; i < its_.size(); ++i) {
    if (!started_ || (valid_[i] && its_[i]->At().t < t)) {
      valid_[i] = its_[i]->Seek(t);
      if (!valid_[i] && !its_[i]->Err().ok() && err_.ok()) err_ = its_[i]->Err();
    }
  }
  started_ = true;
  if (!err_.ok()) return false;
  return Pick();
}

namespace {

class MergedSeries final : public storage::Series {
 public:
  void Reset(std::vector<const storage::Series*> parts) { parts_ = std::move(parts); }
  const Labels& labels() const override { return parts_[0]->labels(); }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    if (parts_.size() == 1) return parts_[0]->Iterator();
    std::vector<std::unique_ptr<storage::SampleIterator>> its;
    for (const auto* p : parts_) its.push_back(p->Iterator());
    return std::make_unique<MergeSampleIterator>(std::move(its));
  }

 private:
  std::vector<const storage::Series*> parts_;
};

class MergeSeriesSet final : public storage::SeriesSet {
 public:
  explicit MergeSeriesSet(std::vector<std::unique_ptr<storage::SeriesSet>> sets)
      : sets_(std::move(sets)), valid_(sets_.size(), 0), consumed_(sets_.size(), 1) {}

  bool Next() override {
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (consumed_[i]) {
        valid_[i] = sets_[i]->Next();
        consumed_[i] = 0;
        if (!valid_[i] && !sets_[i]->Err().ok() && err_.ok()) err_ = sets_[i]->Err();
      }
    }
    if (!err_.ok()) return false;
    const Labels* min = nullptr;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (valid_[i] && (min == nullptr || sets_[i]->At().labels() < *min)) min = &sets_[i]->At().labels();
    }
    if (min == nullptr) return false;
    std::vector<const storage::Series*> parts;
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (valid_[i] && sets_[i]->At().labels() == *min) {
        parts.push_back(&sets_[i]->At());
        consumed_[i] = 1;
      }
    }
    cur_.Reset(std::move(parts));
    return true;
  }
  const storage::Series& At() const override { return cur_; }
  Status Err() const override { return err_; }
  std::vector<std::string> Warnings() const override {
    std::vector<std::string> w;
    for (const auto& s : sets_) {
      auto x = s->Warnings();
      w.insert(w.end(), x.begin(), x.end());
    }
    return w;
  }

 private:
  std::vector<std::unique_ptr<storage::SeriesSet>> sets_;
  std::vector<char> valid_;
  std::vector<char> consumed_;
  MergedSeries cur_;
  Status err_;
};

class MergeQuerier final : public storage::Querier {
 public:
  explicit MergeQuerier(std::vector<std::unique_ptr<storage::Querier>> qs) : qs_(std::move(qs)) {}
  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<Matcher>& matchers) override {
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    for (auto& q : qs_) sets.push_back(q->Select(true, hints, matchers));
    return MergeSeriesSets(std::move(sets));
  }
  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<Matcher>& matchers) override {
    std::vector<std::vector<std::string>> lists;
    for (auto& q : qs_) {
      ABHRA_ASSIGN_OR_RETURN(auto v, q->LabelValues(name, matchers));
      lists.push_back(std::move(v));
    }
    return MergeStrings(std::move(lists));
  }
  Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override {
    std::vector<std::vector<std::string>> lists;
    for (auto& q : qs_) {
      ABHRA_ASSIGN_OR_RETURN(auto v, q->LabelNames(matchers));
      lists.push_back(std::move(v));
    }
    return MergeStrings(std::move(lists));
  }

 private:
  std::vector<std::unique_ptr<storage::Querier>> qs_;
};

}  // namespace

std::unique_ptr<storage::SeriesSet> MergeSeriesSets(std::vector<std::unique_ptr<storage::SeriesSet>> sets) {
  if (sets.size() == 1) return std::move(sets[0]);
  return std::make_unique<MergeSeriesSet>(std::move(sets));
}

std::unique_ptr<storage::Querier> NewMergeQuerier(std::vector<std::unique_ptr<storage::Querier>> qs) {
  if (qs.size() == 1) return std::move(qs[0]);
  return std::make_unique<MergeQuerier>(std::move(qs));
}

std::vector<std::string> MergeStrings(std::vector<std::vector<std::string>> lists) {
  std::vector<std::string> out;
  for (auto& l : lists) out.insert(out.end(), std::make_move_iterator(l.begin()), std::make_move_iterator(l.end()));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace abhra::tsdb
