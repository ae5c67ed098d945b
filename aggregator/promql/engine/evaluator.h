// Internal: the evaluator behind Engine. Mirrors Prometheus' design: every node is evaluated
// over the whole step range [start, end] at once and yields a Matrix with one point per step
// (scalars are a Matrix with one label-less series); step-wise operators (binary operators,
// functions on instant vectors, aggregations) run per step over the gathered Vectors.
// Run-time errors are thrown as EvalError inside the evaluator and turned into a Status at
// the Engine boundary; they never leave this library.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/promql/engine/value.h"
#include "aggregator/promql/parser/ast.h"
#include "aggregator/storage/storage.h"
#include "common/labels/hash.h"

namespace abhra::promql {

struct EvalError {
  Status status;
};
[[noreturn]] void ThrowExecution(std::string msg);

// Series per parallel task when decoding and evaluating selected series: few enough series
// stay on the calling thread (cheap queries pay no hand-off).
inline constexpr size_t kSeriesPerTask = 256;

// An evaluated node: a Matrix (vectors and scalars) or a string.
using EvalValue = std::variant<Matrix, StringValue>;

// Thread-safe: workers of a parallel evaluation may add notes concurrently.
struct Annotations {
  std::vector<std::string> warnings;
  std::vector<std::string> infos;
  void Warn(std::string msg);
  void Info(std::string msg);

 private:
  std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

// Range-vector functions, resolved from their name once per call node.
enum class RangeFn : uint8_t {
  kUnknown,
  kAbsentOverTime,
  kAvgOverTime,
  kChanges,
  kCountOverTime,
  kDelta,
  kDeriv,
  kDoubleExponentialSmoothing,
  kFirstOverTime,
  kHoltWinters,
  kIdelta,
  kIncrease,
  kIrate,
  kLastOverTime,
  kMadOverTime,
  kMaxOverTime,
  kMinOverTime,
  kPredictLinear,
  kPresentOverTime,
  kQuantileOverTime,
  kRate,
  kResets,
  kStddevOverTime,
  kStdvarOverTime,
  kSumOverTime,
  kTsOfFirstOverTime,
  kTsOfLastOverTime,
  kTsOfMaxOverTime,
  kTsOfMinOverTime,
};
RangeFn RangeFnOf(std::string_view name);

// A window of raw points for range functions, and where it lies.
struct RangeArgs {
  std::span<const FPoint> points;  // in (range_start, range_end], no stale markers
  int64_t range_start = 0;         // exclusive, ms
  int64_t range_end = 0;           // inclusive, ms
  int64_t range_ms = 0;
  const Labels* metric = nullptr;
  // anchored/smoothed selectors: `points` then starts at range_start and ends at range_end
  // with synthetic edge points (see ExtendFloats).
  bool anchored = false;
  bool smoothed = false;
  // Known: no value in `points` is below its predecessor (counter functions skip the
  // reset scan).
  bool no_resets = false;
  RangeFn fn = RangeFn::kUnknown;  // kUnknown: resolved from the call's name
};

// Trims a widened window back to [mint, maxt] with a point exactly at each edge: the last
// sample at or before the edge (anchored) or the value interpolated there (smoothed), as
// Prometheus' extendFloats. Empty when no sample lies after mint.
std::vector<FPoint> ExtendFloats(std::span<const FPoint> f, int64_t mint, int64_t maxt,
                                 bool smoothed);

class Evaluator {
 public:
  struct Context {
    storage::Querier* querier = nullptr;
    const QueryOptions* opts = nullptr;
    std::chrono::steady_clock::time_point deadline;
    Annotations* annos = nullptr;
    int64_t query_start = 0;  // of the top-level query, for @ start()/end()
    int64_t query_end = 0;
    int64_t query_step = 0;  // 0 for instant queries
    std::string_view query;  // the query text, for positions in annotations ("" if unknown)
    // Samples currently held by the query (all evaluators and workers of one query share it).
    std::atomic<int64_t>* current_samples = nullptr;
  };

  Evaluator(const Context& ctx, int64_t start, int64_t end, int64_t interval)
      : ctx_(ctx), start_(start), end_(end), interval_(interval) {}

  EvalValue Eval(const Expr& e);
  int64_t start() const { return start_; }
  int64_t end() const { return end_; }
  int64_t interval() const { return interval_; }
  int NumSteps() const { return static_cast<int>((end_ - start_) / interval_) + 1; }

  // Raw points of a range selector or subquery at one evaluation time (for instant queries
  // of `x[5m]` and for functions over ranges).
  Matrix EvalRangeAt(const Expr& e);

  // Thread-safe.
  void CheckDeadline() const;
  // Counts `n` more samples held against the query's limit; throws when over it. Also checks
  // the deadline every 64 calls. Not for parallel workers: they use AddSamplesShared.
  void AddSamples(int64_t n);
  // The same, thread-safe, without the deadline check.
  void AddSamplesShared(int64_t n) const;
  void ReleaseSamples(int64_t n) const {
    ctx_.current_samples->fetch_sub(n, std::memory_order_relaxed);
  }
  Annotations& annos() { return *ctx_.annos; }
  // " (line:col)" of `e` in the query, as Prometheus appends to annotations.
  std::string PosSuffix(const Expr& e) const;
  const Context& ctx() const { return ctx_; }

  using StepFunc = std::function<Vector(std::vector<Vector>& args, int64_t ts)>;
  // ids[i][k]: index, in the evaluated Matrix of argument i, of the series of args[i][k].
  using StepIds = std::vector<std::vector<uint32_t>>;
  using StepFuncIds =
      std::function<Vector(std::vector<Vector>& args, const StepIds& ids, int64_t ts)>;
  // Called once with the evaluated arguments, before the first step (to cache per-series
  // signatures).
  using InitFunc = std::function<void(const std::vector<Matrix>& args)>;
  // Evaluates `args`, gathers their per-step vectors (a scalar argument becomes a one-element
  // Vector with empty labels) and calls `fn` per step; collects the outputs into a Matrix.
  Matrix RangeEval(const std::vector<const Expr*>& args, const StepFunc& fn);
  Matrix RangeEvalIds(const std::vector<const Expr*>& args, const StepFuncIds& fn,
                      const InitFunc& init);
  // The same over already evaluated arguments.
  Matrix RangeEvalMats(std::vector<Matrix> mats, const StepFuncIds& fn, const InitFunc& init);

 private:
  Matrix EvalVectorSelector(const Expr& e);
  Matrix EvalCall(const Expr& e);
  Matrix EvalRangeFunction(const Expr& call, size_t matrix_arg);
  Matrix EvalAggregate(const Expr& e);
  Matrix EvalBinary(const Expr& e);
  Matrix EvalSubqueryPoints(const Expr& e, int64_t* range_ms, int64_t* offset_ms,
                            const Expr** vs_for_at);
  Matrix EvalTimestampOfSelector(const Expr& call, const Expr& vs);
  Matrix EvalInfo(const Expr& call);

  // Selected series, each with an iterator to read on any thread.
  struct SelectedSeries {
    Labels metric;
    std::unique_ptr<storage::SampleIterator> it;
  };
  // Calls fn with consecutive batches of at most kSelectBatch selected series, in selection
  // order, so that only one batch's iterators exist at a time (a selection of 100k series
  // would otherwise hold 100k open iterators).
  static constexpr size_t kSelectBatch = 4096;
  void SelectIteratorBatches(const Expr& vs, int64_t mint, int64_t maxt, const std::string& func,
                             int64_t range_ms,
                             const std::function<void(std::vector<SelectedSeries>&)>& fn);
  // Every series `vs` selects, read in [mint, maxt] (batch by batch, series in parallel) and
  // handed to fn(metric, points, &series), which fills that output series' points (its
  // metric is set afterwards); the points count against the sample limit while fn runs.
  // Series left without points are dropped. fn runs concurrently on distinct series.
  using SeriesMapFn = std::function<void(const Labels&, std::span<const FPoint>, Series*)>;
  Matrix MapSelectedSeries(const Expr& vs, int64_t mint, int64_t maxt, const std::string& func,
                           int64_t range_ms, bool drop_stale, const SeriesMapFn& fn);
  // Reads the samples in [mint, maxt] into *out (cleared first); throws on a read error.
  // `drop_stale` leaves out staleness markers. Thread-safe for distinct iterators.
  static void ReadPoints(storage::SampleIterator& it, int64_t mint, int64_t maxt, bool drop_stale,
                         std::vector<FPoint>* out);

  // Selected series with all their samples that any step may need.
  struct LoadedSeries {
    Labels metric;
    bool drop_name = false;
    std::vector<FPoint> points;
  };
  // `func` and `range_ms` name the enclosing range function (rate, max_over_time, ...) so
  // storage may answer from downsampled data with the matching aggregate; "" and 0 for
  // plain selectors.
  std::vector<LoadedSeries> Select(const Expr& vs, int64_t mint, int64_t maxt,
                                   const std::string& func = "", int64_t range_ms = 0);
  int64_t AtTime(const Expr& e, int64_t ts) const;

  Context ctx_;
  int64_t start_, end_, interval_;
  int64_t deadline_counter_ = 0;
};

inline const Expr& Unparen(const Expr& e) {
  const Expr* p = &e;
  while (p->kind == Expr::Kind::kParen) p = p->args[0].get();
  return *p;
}

inline int64_t CountPoints(const Matrix& m) {
  int64_t n = 0;
  for (const Series& s : m) n += static_cast<int64_t>(s.floats.size());
  return n;
}

// Labels for absent()/absent_over_time(): the equality matchers of a plain selector.
Labels AbsentLabels(const Expr& arg);

// Hash of a label set without allocating (equal sets hash equal; engine-internal only).
inline uint64_t LabelsKey(const Labels& l) {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (const Label& x : l) {
    h = HashString(x.name, h);
    h = HashString(x.value, h ^ 0xff);
  }
  return h;
}

// Label-set helpers shared by the operator implementations.
uint64_t SignatureOf(const Labels& l, bool on, const std::vector<std::string>& names);

// Step functions (functions.cc, aggregation.cc, binop.cc).
Vector CallInstantFunction(Evaluator& ev, const Expr& call, std::vector<Vector>& args, int64_t ts);
// Returns false when the function yields no value for this window.
bool CallRangeFunction(Evaluator& ev, const Expr& call, const RangeArgs& r,
                       const std::vector<double>& scalar_args, int64_t ts, double* out);
// `group_hash`, when given, holds each input sample's grouping hash (saves recomputing it).
Vector Aggregate(Evaluator& ev, const Expr& e, const Vector& in, double param,
                 const std::string& string_param, const std::vector<uint64_t>* group_hash);
// The aggregation `e` over a whole range at once (see aggregate_matrix.cc), for the
// operators CanAggregateMatrix accepts; same results as Aggregate per step.
bool CanAggregateMatrix(const Expr& e);
Matrix AggregateMatrix(Evaluator& ev, const Expr& e, Matrix in);
// A vector-vector arithmetic or comparison operator with one-to-one matching (no fill) over a
// whole range at once; the output labels of each matched pair are built once, not per step.
// Same results and errors as VectorBinop per step. For range evaluations (start < end).
bool CanBinopMatrix(const Expr& e);
Matrix BinopMatrix(Evaluator& ev, const Expr& e, Matrix lhs, Matrix rhs);
// vector OP scalar (swap: scalar OP vector) over a whole range at once: each series keeps its
// labels and is filtered/mapped point by point; same results as VectorScalarBinop per step.
Matrix VectorScalarMatrix(Evaluator& ev, const Expr& e, Matrix vec, const Matrix& scalar,
                          bool swap);
// lsig/rsig: each sample's matching signature (SignatureOf with the node's matching).
Vector VectorBinop(const Expr& e, const Vector& lhs, const Vector& rhs,
                   const std::vector<uint64_t>& lsig, const std::vector<uint64_t>& rsig);
Vector VectorScalarBinop(const Expr& e, const Vector& vec, double scalar, bool swap);
Vector SetBinop(const Expr& e, const Vector& lhs, const Vector& rhs,
                const std::vector<uint64_t>& lsig, const std::vector<uint64_t>& rsig);
double ScalarBinop(TokenOp op, double lhs, double rhs);

// Kahan–Neumaier summation step, as Prometheus' kahanSumInc.
[[gnu::always_inline]] inline void KahanSumInc(double inc, double* sum, double* c);
double Quantile(double q, std::vector<double> values);
// Go's %g formatting of a float64 (annotations quote parameters this way).
std::string GoFloatG(double v);

}  // namespace abhra::promql

#include <cmath>
namespace abhra::promql {
[[gnu::always_inline]] inline void KahanSumInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::isinf(t)) {
    *c = 0;
  } else if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}
}  // namespace abhra::promql
