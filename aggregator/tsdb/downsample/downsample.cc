#include "aggregator/tsdb/downsample/downsample.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "aggregator/tsdb/block/block_writer.h"
#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/compact/compactor.h"

namespace abhra::tsdb {

namespace {

int64_t FloorTo(int64_t t, int64_t r) { return (t >= 0 ? t / r : (t - r + 1) / r) * r; }

class VecIterator final : public storage::SampleIterator {
 public:
  explicit VecIterator(std::shared_ptr<const std::vector<storage::Sample>> s) : s_(std::move(s)) {}
  bool Next() override { return ++i_ <= s_->size(); }
  bool Seek(int64_t t) override {
    if (i_ == 0) i_ = 1;
    while (i_ <= s_->size() && (*s_)[i_ - 1].t < t) ++i_;
    return i_ <= s_->size();
  }
  storage::Sample At() const override { return (*s_)[i_ - 1]; }

 private:
  std::shared_ptr<const std::vector<storage::Sample>> s_;
  size_t i_ = 0;
};

Status Encode(std::vector<storage::Sample>& v, int spc, std::vector<BlockChunk>* out) {
  VecIterator it(std::make_shared<const std::vector<storage::Sample>>(std::move(v)));
  return EncodeXorChunks(it, spc, out);
}

}  // namespace

Result<BlockMeta> DownsampleBlock(const std::string& data_dir, const std::shared_ptr<Block>& src,
                                  int64_t resolution, int samples_per_chunk) {
  const auto& sm = src->meta();
  if (resolution <= sm.resolution) return Status::InvalidArgument("downsample: resolution not coarser");
  ABHRA_ASSIGN_OR_RETURN(auto refs, src->index().AllPostings());
  std::vector<BlockSeries> out;
  Labels ls;
  std::vector<ChunkMeta> metas;
  const bool from_raw = sm.resolution == kResRaw;
  for (uint32_t ref : refs) {
    ABHRA_RETURN_IF_ERROR(src->index().Series(ref, &ls, &metas));
    std::vector<storage::Sample> cnt, sum, mn, mx, ctr;
    if (from_raw) {
      ABHRA_ASSIGN_OR_RETURN(auto it, BlockSeriesIterator(src, metas));
      int64_t win = std::numeric_limits<int64_t>::min(), last_t = 0;
      double c = 0, s = 0, lo = 0, hi = 0, prev = 0, total = 0;
      bool have = false, first = true;
      auto flush = [&] {
        if (!have) return;
        cnt.push_back({last_t, c});
        sum.push_back({last_t, s});
        mn.push_back({last_t, lo});
        mx.push_back({last_t, hi});
        ctr.push_back({last_t, total});
        have = false;
      };
      while (it->Next()) {
        auto x = it->At();
        if (storage::IsStaleNaN(x.v)) continue;
        int64_t w = FloorTo(x.t, resolution);
        if (w != win) {
          flush();
          win = w;
          c = s = 0;
          lo = hi = x.v;
        }
        have = true;
        c += 1;
        s += x.v;
        lo = std::min(lo, x.v);
        hi = std::max(hi, x.v);
        if (first) {
          total = x.v;
          first = false;
        } else {
          total += x.v >= prev ? x.v - prev : x.v;  // counter reset: count from zero
        }
        prev = x.v;
        last_t = x.t;
      }
      ABHRA_RETURN_IF_ERROR(it->Err());
      flush();
    } else {
      continue;  // aggregates of a downsampled block: handled below
    }
    if (cnt.empty()) continue;
    const std::pair<const char*, std::vector<storage::Sample>*> parts[] = {
        {"count", &cnt}, {"sum", &sum}, {"min", &mn}, {"max", &mx}, {"counter", &ctr}};
    for (const auto& [name, v] : parts) {
      BlockSeries bs;
      bs.labels = ls;
      bs.labels.Set(kAggrLabel, name);
      ABHRA_RETURN_IF_ERROR(Encode(*v, samples_per_chunk, &bs.chunks));
      out.push_back(std::move(bs));
    }
  }
  if (!from_raw) {
    // Aggregate series of a downsampled block: count/sum add up, min/max combine, counter
    // keeps the last value of each coarser window.
    for (uint32_t ref : refs) {
      ABHRA_RETURN_IF_ERROR(src->index().Series(ref, &ls, &metas));
      std::string aggr(ls.Get(kAggrLabel));
      ABHRA_ASSIGN_OR_RETURN(auto it, BlockSeriesIterator(src, metas));
      std::vector<storage::Sample> v;
      int64_t win = std::numeric_limits<int64_t>::min();
      while (it->Next()) {
        auto x = it->At();
        int64_t w = FloorTo(x.t, resolution);
        if (w != win || v.empty()) {
          v.push_back(x);
          win = w;
          continue;
        }
        auto& cur = v.back();
        cur.t = x.t;
        if (aggr == "count" || aggr == "sum") cur.v += x.v;
        else if (aggr == "min") cur.v = std::min(cur.v, x.v);
        else if (aggr == "max") cur.v = std::max(cur.v, x.v);
        else cur.v = x.v;
      }
      ABHRA_RETURN_IF_ERROR(it->Err());
      BlockSeries bs;
      bs.labels = ls;
      ABHRA_RETURN_IF_ERROR(Encode(v, samples_per_chunk, &bs.chunks));
      out.push_back(std::move(bs));
    }
  }
  BlockWriteOptions wo;
  wo.level = sm.level;
  wo.sources = sm.sources;
  wo.thanos_labels = sm.thanos_labels;
  wo.resolution = resolution;
  wo.source = "compactor";
  return WriteBlock(data_dir, sm.min_time, sm.max_time, std::move(out), wo);
}

std::string AggregateForFunc(const std::string& func) {
  // Only functions whose answer the aggregates preserve; everything else (including "",
  // which is also what a caller that sets no hints sends) reads raw data.
  if (func == "sum_over_time") return "sum";
  if (func == "min_over_time") return "min";
  if (func == "max_over_time") return "max";
  if (func == "avg_over_time") return "avg";
  if (func == "rate" || func == "increase") return "counter";
  return "";
}

namespace {

class MaterializedSeries final : public storage::Series {
 public:
  MaterializedSeries(Labels ls, std::vector<storage::Sample> s)
      : labels_(std::move(ls)), samples_(std::make_shared<std::vector<storage::Sample>>(std::move(s))) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<VecIterator>(samples_);
  }

 private:
  Labels labels_;
  std::shared_ptr<const std::vector<storage::Sample>> samples_;
};

class ListSeriesSet final : public storage::SeriesSet {
 public:
  ListSeriesSet(std::vector<MaterializedSeries> s, Status err) : s_(std::move(s)), err_(std::move(err)) {}
  bool Next() override { return ++i_ <= s_.size(); }
  const storage::Series& At() const override { return s_[i_ - 1]; }
  Status Err() const override { return err_; }

 private:
  std::vector<MaterializedSeries> s_;
  size_t i_ = 0;
  Status err_;
};

class DownsampledQuerier final : public storage::Querier {
 public:
  DownsampledQuerier(std::shared_ptr<Block> b, std::string aggr, int64_t mint, int64_t maxt)
      : inner_(NewBlockQuerier(b, mint, maxt)), aggr_(std::move(aggr)) {}

  std::unique_ptr<storage::SeriesSet> Select(bool, const storage::SelectHints& hints,
                                             const std::vector<Matcher>& matchers) override {
    std::vector<MaterializedSeries> out;
    auto read = [&](const std::string& aggr,
                    std::vector<std::pair<Labels, std::vector<storage::Sample>>>* res) -> Status {
      auto ms = matchers;
      ms.push_back(Matcher::Equal(std::string(kAggrLabel), aggr));
      auto ss = inner_->Select(true, hints, ms);
      while (ss->Next()) {
        Labels ls = ss->At().labels();
        ls.Del(kAggrLabel);
        std::vector<storage::Sample> v;
        auto it = ss->At().Iterator();
        while (it->Next()) v.push_back(it->At());
        ABHRA_RETURN_IF_ERROR(it->Err());
        res->emplace_back(std::move(ls), std::move(v));
      }
      return ss->Err();
    };
    std::vector<std::pair<Labels, std::vector<storage::Sample>>> a, b;
    if (aggr_ == "avg") {
      Status s = read("sum", &a);
      if (s.ok()) s = read("count", &b);
      if (!s.ok() || a.size() != b.size()) {
        return std::make_unique<ListSeriesSet>(
            std::move(out), s.ok() ? Status::Corruption("downsampled block: sum/count mismatch") : s);
      }
      for (size_t i = 0; i < a.size(); ++i) {
        auto& sum = a[i].second;
        const auto& cnt = b[i].second;
        if (sum.size() != cnt.size()) continue;
        for (size_t j = 0; j < sum.size(); ++j) sum[j].v = cnt[j].v > 0 ? sum[j].v / cnt[j].v : NAN;
        out.emplace_back(std::move(a[i].first), std::move(sum));
      }
    } else {
      Status s = read(aggr_, &a);
      if (!s.ok()) return std::make_unique<ListSeriesSet>(std::move(out), s);
      for (auto& [ls, v] : a) out.emplace_back(std::move(ls), std::move(v));
    }
    return std::make_unique<ListSeriesSet>(std::move(out), Status::Ok());
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<Matcher>& matchers) override {
    if (name == kAggrLabel) return std::vector<std::string>{};
    return inner_->LabelValues(name, matchers);
  }
  Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override {
    ABHRA_ASSIGN_OR_RETURN(auto v, inner_->LabelNames(matchers));
    std::erase(v, std::string(kAggrLabel));
    return v;
  }

 private:
  std::unique_ptr<storage::Querier> inner_;
  std::string aggr_;
};

}  // namespace

std::unique_ptr<storage::Querier> NewDownsampledQuerier(std::shared_ptr<Block> block,
                                                        std::string aggr, int64_t mint,
                                                        int64_t maxt) {
  return std::make_unique<DownsampledQuerier>(std::move(block), std::move(aggr), mint, maxt);
}

}  // namespace abhra::tsdb
