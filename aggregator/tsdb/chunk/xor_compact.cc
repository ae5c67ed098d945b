// XorChunk::EncodeCompact: the XOR window choice as a shortest-path search.
//
// A changed value costs 2 + width bits when it reuses the previous window (its XOR must fit:
// at least as many leading and trailing zeros), or 13 + width' bits when it opens a new one.
// Prometheus' appender always reuses when the XOR fits, which keeps wide windows alive long
// after the values have narrowed. Here every step keeps the cheapest encodings found so far
// by their current window; a new window is either the tight one of this XOR or that widened
// to also fit the next few changed values (so they can reuse it). At most kStates windows
// survive per step, plus the greedy encoder's own state, so the result is never larger
// than Append's. On the bench workloads this saves ~7% of the value bits.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "aggregator/tsdb/chunk/xor_chunk.h"

namespace abhra::tsdb {
namespace {

constexpr size_t kStates = 8;      // windows kept per step
constexpr int kLookahead = 4;       // changed values a new window may be widened for
constexpr uint8_t kNone = 0xff;     // no window yet (first changed value)

struct Window {
  uint8_t leading = kNone, trailing = 0;
  bool operator==(const Window&) const = default;
  bool Fits(uint8_t l, uint8_t t) const { return leading != kNone && l >= leading && t >= trailing; }
  unsigned Width() const { return 64u - leading - trailing; }
};

// One surviving encoding at a step: its window, total value bits, and how it got here.
struct State {
  Window w;
  uint64_t cost = 0;
  uint32_t back = 0;   // index of the previous step's state
  bool reuse = false;  // this step's value reused the window (else opened w, or unchanged)
};

Window Tight(uint64_t x) {
  auto l = static_cast<uint8_t>(std::min(std::countl_zero(x), 31));
  return {l, static_cast<uint8_t>(std::countr_zero(x))};
}

}  // namespace

XorChunk XorChunk::EncodeCompact(std::span<const storage::Sample> samples) {
  const size_t n = samples.size();
  XorChunk c;
  if (n < 2) {
    for (const auto& s : samples) c.Append(s.t, s.v);
    return c;
  }
  // xors[i]: XOR of sample i+1's value bits with sample i's.
  std::vector<uint64_t> xors(n - 1);
  for (size_t i = 0; i + 1 < n; ++i) {
    xors[i] = std::bit_cast<uint64_t>(samples[i + 1].v) ^ std::bit_cast<uint64_t>(samples[i].v);
  }
  // steps[i * kRow ...]: the states kept after value i+1, `counts[i]` of them.
  constexpr size_t kRow = kStates + 1;
  std::vector<State> steps((n - 1) * kRow);
  std::vector<uint8_t> counts(n - 1);
  State first;
  const State* cur = &first;
  size_t ncur = 1;
  Window greedy;  // Append's choice, always kept
  State next[kRow + kLookahead + 2];
  for (size_t i = 0; i + 1 < n; ++i) {
    const uint64_t x = xors[i];
    size_t nn = 0;
    if (x == 0) {
      for (uint32_t k = 0; k < ncur; ++k) next[nn++] = {cur[k].w, cur[k].cost + 1, k, false};
    } else {
      const Window tight = Tight(x);
      uint32_t best = 0;
      for (uint32_t k = 0; k < ncur; ++k) {
        if (cur[k].cost < cur[best].cost) best = k;
        if (cur[k].w.Fits(tight.leading, tight.trailing)) {
          next[nn++] = {cur[k].w, cur[k].cost + 2 + cur[k].w.Width(), k, true};
        }
      }
      Window cand = tight;
      for (size_t j = i + 1, m = 0;; ++j) {
        next[nn++] = {cand, cur[best].cost + 13 + cand.Width(), best, false};
        while (j < xors.size() && xors[j] == 0) ++j;
        if (j >= xors.size() || ++m > kLookahead) break;
        Window t = Tight(xors[j]);
        cand = {std::min(cand.leading, t.leading), std::min(cand.trailing, t.trailing)};
      }
      if (!greedy.Fits(tight.leading, tight.trailing)) greedy = tight;
    }
    // One state per window (the cheapest), the kStates cheapest, plus the greedy encoder's
    // window (its cheapest state costs no more than the greedy encoding so far).
    for (size_t q = 1; q < nn; ++q) {  // insertion sort by cost: a dozen entries at most
      State st = next[q];
      size_t z = q;
      for (; z > 0 && next[z - 1].cost > st.cost; --z) next[z] = next[z - 1];
      next[z] = st;
    }
    State* kept = &steps[i * kRow];
    size_t nk = 0;
    bool greedy_kept = false;
    for (size_t q = 0; q < nn; ++q) {
      const State& st = next[q];
      bool dup = false;
      for (size_t z = 0; z < nk && !dup; ++z) dup = kept[z].w == st.w;
      if (dup) continue;
      const bool is_greedy = st.w == greedy;
      if (nk >= kStates && !(is_greedy && !greedy_kept)) continue;
      greedy_kept |= is_greedy;
      kept[nk++] = st;
      if (nk >= kStates && greedy_kept) break;
    }
    counts[i] = static_cast<uint8_t>(nk);
    cur = kept;
    ncur = nk;
  }
  // Walk back from the cheapest final state to each step's choice.
  std::vector<ValueWindow> choice(n - 1);
  uint32_t k = 0;
  for (uint32_t j = 1; j < ncur; ++j) {
    if (cur[j].cost < cur[k].cost) k = j;
  }
  for (size_t i = n - 1; i-- > 0;) {
    const State& s = steps[i * kRow + k];
    choice[i] = {s.reuse, s.w.leading, s.w.trailing};
    k = s.back;
  }
  c.Append(samples[0].t, samples[0].v);
  for (size_t i = 1; i < n; ++i) c.AppendWith(samples[i].t, samples[i].v, &choice[i - 1]);
  return c;
}

}  // namespace abhra::tsdb
