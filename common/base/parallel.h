// Data-parallel loops over a process-wide pool of worker threads, for CPU-bound work that
// splits into independent index ranges (decoding and evaluating many series of one query).
//
// The calling thread works too, so a loop always finishes even when every pool thread is busy
// with other callers' loops: nested or concurrent use cannot deadlock, it only loses
// parallelism.
#pragma once

#include <cstddef>
#include <functional>

namespace abhra {

// Calls fn(begin, end) over consecutive sub-ranges covering [0, n), each at most `grain`
// long, on the calling thread and up to Parallelism()-1 pool threads; returns when all are
// done. fn must be safe to call concurrently on disjoint ranges. If fn throws, the remaining
// ranges are skipped and the first exception is rethrown here once the running ones finish.
void ParallelFor(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

// Threads a ParallelFor may use, the caller included: the machine's hardware threads,
// capped at 16, or the value set by SetParallelism.
size_t Parallelism();
// Sets the thread count for later loops (1 = run everything on the caller). Call before
// the first ParallelFor, e.g. from a --query.max-threads flag or a test.
void SetParallelism(size_t threads);

}  // namespace abhra
