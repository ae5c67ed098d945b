// Fuzzes the block index reader: the input is written as an index file in a private temp dir
// and opened with IndexReader::Open (TOC, symbol table, postings offset table). When it opens,
// everything a query may touch is read: label names and values, the postings of every pair
// (and all postings, and a few matcher combinations), and each listed series' labels and
// chunk metas. Errors are fine; crashes, sanitizer reports and hangs are not.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "aggregator/tsdb/index/index_reader.h"
#include "tests/fuzz/fuzz_temp_dir.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// Bounds per input so a large valid-looking table cannot make one run slow.
constexpr size_t kMaxSeries = 2000;
constexpr size_t kMaxValuesPerName = 200;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace abhra;
  using namespace abhra::tsdb;
  static const std::string path = fuzz::PrivateTempDir("abhra-fuzz-index") + "/index";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  auto reader = IndexReader::Open(path);
  if (!reader.ok()) return 0;
  const IndexReader& r = **reader;
  uint64_t h = r.NumSymbols();

  std::vector<uint32_t> refs;
  auto all = r.AllPostings();
  if (all.ok()) refs = *all;
  std::vector<std::string> names = r.LabelNames();
  for (const std::string& name : names) {
    h += fuzz::Touch(name);
    std::vector<std::string> values = r.LabelValues(name);
    for (size_t i = 0; i < values.size() && i < kMaxValuesPerName; ++i) {
      h += fuzz::Touch(values[i]);
      auto p = r.Postings(name, values[i]);
      if (!p.ok()) continue;
      for (uint32_t ref : *p) h += ref;
      if (refs.size() < kMaxSeries) refs.insert(refs.end(), p->begin(), p->end());
    }
  }
  if (!names.empty()) {
    const std::string& n = names.front();
    Matcher not_empty = *Matcher::Make(MatchType::kNotEqual, n, "");
    std::vector<std::vector<Matcher>> sets;
    sets.push_back({Matcher::Equal(n, "")});
    sets.push_back({not_empty});
    if (names.size() > 1) sets.push_back({not_empty, Matcher::Equal(names.back(), "x")});
    if (auto re = Matcher::Make(MatchType::kRegexMatch, n, ".+"); re.ok()) sets.push_back({*re});
    for (const auto& ms : sets) {
      auto p = r.PostingsForMatchers(ms);
      if (p.ok()) h += p->size();
    }
  }

  Labels labels;
  std::vector<ChunkMeta> chunks;
  for (size_t i = 0; i < refs.size() && i < kMaxSeries; ++i) {
    if (!r.Series(refs[i], &labels, &chunks).ok()) continue;
    for (const auto& l : labels) h += fuzz::Touch(l.name) + fuzz::Touch(l.value);
    for (const ChunkMeta& c : chunks)
      h += c.ref + (static_cast<uint64_t>(c.maxt) - static_cast<uint64_t>(c.mint));
  }
  volatile uint64_t sink = h;
  (void)sink;
  return 0;
}
