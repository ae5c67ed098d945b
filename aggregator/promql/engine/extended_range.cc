// anchored/smoothed range selectors: edge points for a widened window (extendFloats).
#include <span>
#include <vector>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {

namespace {
double Interpolate(const FPoint& p1, const FPoint& p2, int64_t t, bool is_counter,
                   bool left_edge) {
  double y1 = p1.f, y2 = p2.f;
  if (is_counter && y2 < y1) {
    if (left_edge) {
      y1 = 0;
    } else {
      y2 += y1;
    }
  }
  return y1 + (y2 - y1) * static_cast<double>(t - p1.t) / static_cast<double>(p2.t - p1.t);
}

// Go's sort.Search(n, pred): the first index in [0, n) where pred holds, else n.
template <typename Pred>
size_t SearchFirst(size_t n, Pred pred) {
  size_t i = 0, j = n;
  while (i < j) {
    size_t h = (i + j) / 2;
    if (!pred(h)) {
      i = h + 1;
    } else {
      j = h;
    }
  }
  return i;
}
}  // namespace

std::vector<FPoint> ExtendFloats(std::span<const FPoint> f, int64_t mint, int64_t maxt,
                                 bool smoothed) {
  if (f.empty()) return {};
  size_t last = f.size() - 1;
  size_t first = SearchFirst(last, [&](size_t i) { return f[i].t > mint; });
  first = first > 0 ? first - 1 : 0;
  if (smoothed) last = SearchFirst(last, [&](size_t i) { return f[i].t >= maxt; });
  if (f[last].t <= mint) return {};
  double left = (smoothed && f[first].t < mint && first + 1 < f.size())
                    ? Interpolate(f[first], f[first + 1], mint, false, true)
                    : f[first].f;
  double right = (smoothed && last > 0 && f[last].t > maxt)
                     ? Interpolate(f[last - 1], f[last], maxt, false, false)
                     : f[last].f;
  if (f[first].t <= mint) ++first;
  int64_t last_i = static_cast<int64_t>(last);
  if (f[last].t >= maxt) --last_i;
  std::vector<FPoint> out;
  out.push_back({mint, left});
  for (int64_t i = static_cast<int64_t>(first); i <= last_i; ++i) out.push_back(f[i]);
  out.push_back({maxt, right});
  return out;
}

}  // namespace abhra::promql
