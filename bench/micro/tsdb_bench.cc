// TSDB hot paths: XOR chunk encoding and decoding (per sample, both read paths the query
// engine can take), and postings list intersection / union / difference as selectors with
// several matchers do.
//
//   cmake --build build --target tsdb_bench && build/bin/tsdb_bench
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "aggregator/tsdb/chunk/xor_chunk.h"
#include "aggregator/tsdb/index/index_reader.h"

namespace abhra::tsdb {
namespace {

// Scrape-like samples: 15 s interval with rare jitter; values by kind (0 counter of integers,
// 1 random-walk gauge of integers, 2 full-precision float gauge).
std::vector<storage::Sample> Samples(int kind, int n) {
  std::mt19937_64 rng(42 + kind);
  std::vector<storage::Sample> out;
  int64_t t = 1'700'000'000'000;
  double v = 1000;
  for (int i = 0; i < n; ++i) {
    out.push_back({t, v});
    t += 15000 + (rng() % 50 == 0 ? static_cast<int64_t>(rng() % 16) - 8 : 0);
    switch (kind) {
      case 0: v += static_cast<double>(rng() % 200); break;
      case 1: v = std::max(0.0, v + static_cast<double>(static_cast<int>(rng() % 21) - 10)); break;
      default: v = 1e6 * std::exp(static_cast<double>(rng() % 1000) / 5000.0); break;
    }
  }
  return out;
}

XorChunk Encode(const std::vector<storage::Sample>& s) {
  XorChunk c;
  for (const auto& x : s) c.Append(x.t, x.v);
  return c;
}

void BM_XorAppend(benchmark::State& state) {
  auto s = Samples(static_cast<int>(state.range(0)), 240);
  for (auto _ : state) {
    XorChunk c = Encode(s);
    benchmark::DoNotOptimize(c.Bytes().data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.size()));
  state.counters["bytes/sample"] =
      static_cast<double>(Encode(s).Bytes().size()) / static_cast<double>(s.size());
}
BENCHMARK(BM_XorAppend)->Arg(0)->Arg(1)->Arg(2);

void BM_XorDecodeNext(benchmark::State& state) {
  auto s = Samples(static_cast<int>(state.range(0)), 240);
  XorChunk c = Encode(s);
  for (auto _ : state) {
    XorIterator it(c.Bytes());
    double sum = 0;
    while (it.Next()) sum += it.At().v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.size()));
}
BENCHMARK(BM_XorDecodeNext)->Arg(0)->Arg(1)->Arg(2);

void BM_XorDecodeBulk(benchmark::State& state) {
  auto s = Samples(static_cast<int>(state.range(0)), 240);
  XorChunk c = Encode(s);
  std::vector<storage::Sample> out;
  for (auto _ : state) {
    out.clear();
    XorIterator it(c.Bytes());
    if (it.Next()) it.AppendUntil(INT64_MAX, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.size()));
}
BENCHMARK(BM_XorDecodeBulk)->Arg(0)->Arg(1)->Arg(2);

// Series refs of a label value: every `stride`-th of `n` series (refs grow in steps of 16
// bytes-aligned offsets in real indexes; only the order matters here).
IndexPostings Every(uint32_t n, uint32_t stride, uint32_t offset) {
  IndexPostings p;
  for (uint32_t i = offset; i < n; i += stride) p.push_back(i * 4);
  return p;
}

// __name__ (1 in 51 series) ∩ env (1 in 3) ∩ job (1 in 10), over 100k series.
void BM_PostingsIntersect(benchmark::State& state) {
  IndexPostings name = Every(100'000, 51, 7), env = Every(100'000, 3, 1), job = Every(100'000, 10, 4);
  for (auto _ : state) {
    IndexPostings r = IntersectPostings(IntersectPostings(name, job), env);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(name.size() + env.size() + job.size()));
}
BENCHMARK(BM_PostingsIntersect);

// A regex matcher selecting 20 of 1000 values: the union of their postings.
void BM_PostingsMerge(benchmark::State& state) {
  std::vector<IndexPostings> lists;
  for (uint32_t v = 0; v < 20; ++v) lists.push_back(Every(100'000, 1000, v * 37));
  for (auto _ : state) {
    IndexPostings r = MergePostings(lists);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * 20 * 100);
}
BENCHMARK(BM_PostingsMerge);

// A negative matcher: name minus {mode="idle"}.
void BM_PostingsSubtract(benchmark::State& state) {
  IndexPostings name = Every(100'000, 10, 3), idle = Every(100'000, 80, 3);
  for (auto _ : state) {
    IndexPostings r = SubtractPostings(name, idle);
    benchmark::DoNotOptimize(r.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(name.size()));
}
BENCHMARK(BM_PostingsSubtract);

}  // namespace
}  // namespace abhra::tsdb

BENCHMARK_MAIN();
