#include "aggregator/tsdb/block/block.h"

#include <algorithm>
#include <filesystem>

#include "aggregator/tsdb/block/block_writer.h"
#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "common/base/logging.h"

namespace abhra::tsdb {

Result<std::shared_ptr<Block>> Block::Open(const std::string& dir) {
  std::shared_ptr<Block> b(new Block());
  b->dir_ = dir;
  ABHRA_ASSIGN_OR_RETURN(b->meta_, ReadMeta(dir));
  ABHRA_ASSIGN_OR_RETURN(b->index_, IndexReader::Open(dir + "/index"));
  ABHRA_ASSIGN_OR_RETURN(b->chunks_, ChunkFileReader::Open(dir + "/chunks"));
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) b->size_bytes_ += e.file_size(ec);
  }
  return b;
}

Block::~Block() {
  if (delete_on_close_.load()) {
    index_.reset();
    chunks_.reset();
    Status s = RemoveBlockDir(dir_);
    if (!s.ok()) LOG_WARN("tsdb", "cannot remove block", "dir={} err={}", dir_, s.ToString());
  }
}

XorChunksIterator::XorChunksIterator(std::shared_ptr<const void> keep,
                                     std::vector<ChunkRefData> chunks, int64_t mint, int64_t maxt)
    : keep_(std::move(keep)), chunks_(std::move(chunks)), mint_(mint), maxt_(maxt) {}

bool XorChunksIterator::Open(size_t i) {
  idx_ = i;
  if (i >= chunks_.size()) {
    done_ = true;
    return false;
  }
  it_.Reset(chunks_[i].data);
  open_ = true;
  return true;
}

bool XorChunksIterator::Next() {
  if (done_) return false;
  if (!open_ && !Open(0)) return false;
  while (true) {
    if (it_.Next()) {
      int64_t t = it_.At().t;
      if (t < mint_) continue;
      if (t > maxt_) {
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
    if (!Open(idx_ + 1)) return false;
  }
}

bool XorChunksIterator::Seek(int64_t t) {
  if (done_) return false;
  if (!open_) {
    if (!Next()) return false;
  }
  if (it_.At().t >= t) return true;
  // Skip whole chunks ending before t.
  while (idx_ + 1 < chunks_.size() && chunks_[idx_].maxt < t) {
    if (!Open(idx_ + 1)) return false;
    if (!Next()) return false;
    if (it_.At().t >= t) return true;
  }
  while (Next()) {
    if (it_.At().t >= t) return true;
  }
  return false;
}

bool XorChunksIterator::AppendUntil(int64_t maxt, std::vector<storage::Sample>* out) {
  const int64_t lim = std::min(maxt, maxt_);
  while (true) {
    // Positioned on a sample in [mint_, maxt_]: the rest of this chunk in one tight loop.
    if (it_.AppendUntil(lim, out)) {
      if (it_.At().t > maxt_) done_ = true;
      return !done_;
    }
    if (!Next()) return false;  // error, or no more chunks
    if (it_.At().t > maxt) return true;
  }
}

namespace {

class BlockSeriesImpl final : public storage::Series {
 public:
  BlockSeriesImpl(std::shared_ptr<Block> b, Labels ls, std::vector<ChunkRefData> chunks,
                  int64_t mint, int64_t maxt)
      : block_(std::move(b)), labels_(std::move(ls)), chunks_(std::move(chunks)), mint_(mint), maxt_(maxt) {}
  const Labels& labels() const override { return labels_; }
  std::unique_ptr<storage::SampleIterator> Iterator() const override {
    return std::make_unique<XorChunksIterator>(block_, chunks_, mint_, maxt_);
  }

 private:
  std::shared_ptr<Block> block_;
  Labels labels_;
  std::vector<ChunkRefData> chunks_;
  int64_t mint_, maxt_;
};

class VectorSeriesSet final : public storage::SeriesSet {
 public:
  VectorSeriesSet(std::vector<std::unique_ptr<storage::Series>> s, Status err)
      : series_(std::move(s)), err_(std::move(err)) {}
  bool Next() override { return ++pos_ <= series_.size(); }
  const storage::Series& At() const override { return *series_[pos_ - 1]; }
  Status Err() const override { return err_; }

 private:
  std::vector<std::unique_ptr<storage::Series>> series_;
  size_t pos_ = 0;
  Status err_;
};

// Series decoded from the index one at a time as the caller advances (index order is label
// order), so a selection of many series never holds all their labels at once.
class LazySeriesSet final : public storage::SeriesSet {
 public:
  LazySeriesSet(std::shared_ptr<Block> b, IndexPostings postings, int64_t mint, int64_t maxt)
      : block_(std::move(b)), postings_(std::move(postings)), mint_(mint), maxt_(maxt) {}

  bool Next() override {
    while (err_.ok() && pos_ < postings_.size()) {
      uint32_t ref = postings_[pos_++];
      Labels ls;
      Status s = block_->index().Series(ref, &ls, &metas_);
      if (!s.ok()) {
        err_ = s;
        return false;
      }
      std::vector<ChunkRefData> chunks;
      for (const auto& m : metas_) {
        if (m.maxt < mint_ || m.mint > maxt_) continue;
        auto c = block_->chunks().Chunk(m.ref);
        if (!c.ok()) {
          err_ = c.status();
          return false;
        }
        if (c->encoding != 1) {
          err_ = Status::Corruption("block " + block_->dir() + ": chunk encoding " +
                                    std::to_string(c->encoding) + " is not XOR");
          return false;
        }
        chunks.push_back({m.mint, m.maxt, c->encoding, c->data});
      }
      if (chunks.empty()) continue;
      cur_ = std::make_unique<BlockSeriesImpl>(block_, std::move(ls), std::move(chunks), mint_, maxt_);
      return true;
    }
    return false;
  }
  const storage::Series& At() const override { return *cur_; }
  Status Err() const override { return err_; }

 private:
  std::shared_ptr<Block> block_;
  IndexPostings postings_;
  size_t pos_ = 0;
  int64_t mint_, maxt_;
  std::vector<ChunkMeta> metas_;
  std::unique_ptr<BlockSeriesImpl> cur_;
  Status err_;
};

class BlockQuerier final : public storage::Querier {
 public:
  BlockQuerier(std::shared_ptr<Block> b, int64_t mint, int64_t maxt)
      : block_(std::move(b)), mint_(mint), maxt_(maxt) {}

  std::unique_ptr<storage::SeriesSet> Select(bool sorted, const storage::SelectHints& hints,
                                             const std::vector<Matcher>& matchers) override {
    auto p = block_->index().PostingsForMatchers(matchers);
    if (!p.ok()) return std::make_unique<VectorSeriesSet>(std::vector<std::unique_ptr<storage::Series>>{}, p.status());
    int64_t mint = std::max(mint_, hints.start), maxt = std::min(maxt_, hints.end);
    return std::make_unique<LazySeriesSet>(block_, std::move(*p), mint, maxt);
  }

  Result<std::vector<std::string>> LabelValues(const std::string& name,
                                               const std::vector<Matcher>& matchers) override {
    if (matchers.empty()) return block_->index().LabelValues(name);
    ABHRA_ASSIGN_OR_RETURN(auto p, block_->index().PostingsForMatchers(matchers));
    std::vector<std::string> out;
    Labels ls;
    for (uint32_t ref : p) {
      ABHRA_RETURN_IF_ERROR(block_->index().Series(ref, &ls, nullptr));
      auto v = ls.Get(name);
      if (!v.empty()) out.emplace_back(v);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) override {
    if (matchers.empty()) return block_->index().LabelNames();
    ABHRA_ASSIGN_OR_RETURN(auto p, block_->index().PostingsForMatchers(matchers));
    std::vector<std::string> out;
    Labels ls;
    for (uint32_t ref : p) {
      ABHRA_RETURN_IF_ERROR(block_->index().Series(ref, &ls, nullptr));
      for (const auto& l : ls) out.push_back(l.name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  std::shared_ptr<Block> block_;
  int64_t mint_, maxt_;
};

}  // namespace

std::unique_ptr<storage::Querier> NewBlockQuerier(std::shared_ptr<Block> block, int64_t mint,
                                                  int64_t maxt) {
  return std::make_unique<BlockQuerier>(std::move(block), mint, maxt);
}

}  // namespace abhra::tsdb
