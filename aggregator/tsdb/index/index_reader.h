// Reads an index v2 file (written by EncodeIndex or by Prometheus): symbols, series by ref,
// postings per label pair and for matchers, label names and values. The file is mapped;
// Open checks the TOC, symbol table and offset tables (CRC32C) and fails with Corruption
// naming the file and offset; series and postings entries are checked when read.
// Thread-safety: immutable after Open; all methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/tsdb/index/index_writer.h"
#include "aggregator/tsdb/index/mapped_file.h"
#include "common/base/status.h"
#include "common/labels/labels.h"
#include "common/labels/matcher.h"

namespace abhra::tsdb {

// Sorted series refs (offset / 16 of the series entry).
using IndexPostings = std::vector<uint32_t>;

class IndexReader {
 public:
  static Result<std::unique_ptr<IndexReader>> Open(const std::string& path);

  // Labels and chunk metas of series `ref`. Corruption for a bad ref or entry.
  Status Series(uint32_t ref, Labels* labels, std::vector<ChunkMeta>* chunks) const;
  // Refs of series with label name=value (empty if none).
  Result<IndexPostings> Postings(std::string_view name, std::string_view value) const;
  // All series refs.
  Result<IndexPostings> AllPostings() const { return Postings("", ""); }
  // Refs of series matching all matchers (Prometheus semantics: a matcher that matches ""
  // also selects series without the label). Empty matchers select everything.
  Result<IndexPostings> PostingsForMatchers(const std::vector<Matcher>& matchers) const;
  // Sorted values of `name` (all series).
  std::vector<std::string> LabelValues(std::string_view name) const;
  // Sorted label names (all series).
  std::vector<std::string> LabelNames() const;
  size_t NumSymbols() const { return symbols_.size(); }
  const std::string& path() const { return file_->path(); }

 private:
  IndexReader() = default;
  Status Parse();
  Status Corrupt(size_t off, const std::string& what) const;

  std::unique_ptr<MappedFile> file_;
  std::vector<std::string_view> symbols_;
  // name -> sorted (value, postings offset).
  std::map<std::string, std::vector<std::pair<std::string_view, uint64_t>>, std::less<>> postings_;
};

// Sorted-list helpers.
IndexPostings IntersectPostings(const IndexPostings& a, const IndexPostings& b);
IndexPostings MergePostings(const std::vector<IndexPostings>& lists);
IndexPostings SubtractPostings(const IndexPostings& a, const IndexPostings& b);

}  // namespace abhra::tsdb
