// The storage seam: everything that reads samples (PromQL, rules, the API, the status page)
// goes through Queryable/Querier; everything that writes goes through Appender. The head,
// blocks, downsampled blocks and test storages implement these; promql never links tsdb.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/labels/labels.h"
#include "common/labels/matcher.h"

namespace abhra::storage {

// Opaque per-storage series reference, to skip label lookups on later appends.
using SeriesRef = uint64_t;

// Timestamps are milliseconds since the Unix epoch everywhere in storage.
struct Sample {
  int64_t t = 0;
  double v = 0;
};

// Prometheus' staleness marker: a NaN with this exact bit pattern.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
inline double StaleNaN() {
  double d;
  std::memcpy(&d, &kStaleNaNBits, sizeof d);
  return d;
}
inline bool IsStaleNaN(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaNBits;
}

// Iterates the samples of one series in increasing time order. Not thread-safe.
class SampleIterator {
 public:
  virtual ~SampleIterator() = default;
  // Advances to the next sample; false at the end or on error (see Err()).
  virtual bool Next() = 0;
  // Advances to the first sample with timestamp >= t (no move if already there); false if none.
  virtual bool Seek(int64_t t) = 0;
  // REQUIRES: the last Next()/Seek() returned true.
  virtual Sample At() const = 0;
  virtual Status Err() const { return Status::Ok(); }
  // Bulk read: appends the current sample and those after it while their timestamp is
  // <= maxt. Returns true when left on a sample after maxt, false when exhausted (or on
  // error: see Err()). REQUIRES: the last Next()/Seek() returned true.
  virtual bool AppendUntil(int64_t maxt, std::vector<Sample>* out) {
    do {
      Sample s = At();
      if (s.t > maxt) return true;
      out->push_back(s);
    } while (Next());
    return false;
  }
};

class Series {
 public:
  virtual ~Series() = default;
  virtual const Labels& labels() const = 0;
  // A fresh iterator positioned before the first sample.
  virtual std::unique_ptr<SampleIterator> Iterator() const = 0;
};

// Iterates series, sorted by labels when Select was asked for sorted output.
class SeriesSet {
 public:
  virtual ~SeriesSet() = default;
  virtual bool Next() = 0;
  // REQUIRES: the last Next() returned true. Valid until the following Next().
  virtual const Series& At() const = 0;
  virtual Status Err() const { return Status::Ok(); }
  // Non-fatal notes (e.g. "one block unreadable, results partial").
  virtual std::vector<std::string> Warnings() const { return {}; }
};

// What a query intends, so storage can pick a resolution or prune. All times in ms.
struct SelectHints {
  int64_t start = std::numeric_limits<int64_t>::min();  // inclusive
  int64_t end = std::numeric_limits<int64_t>::max();    // inclusive
  int64_t step = 0;    // query step; 0 for instant queries
  int64_t range = 0;   // range of the enclosing range selector; 0 for instant selectors
  std::string func;    // enclosing function ("rate", "max_over_time", ...), or "" if none
  bool series_only = false;  // only labels are needed (e.g. /api/v1/series)
};

// Reads a fixed time window [mint, maxt] (ms, inclusive). Thread-compatible: one query uses
// it from one thread at a time; the storage stays consistent under concurrent appends.
class Querier {
 public:
  virtual ~Querier() = default;
  // Series matching all matchers. `matchers` is non-empty; at least one does not match "".
  virtual std::unique_ptr<SeriesSet> Select(bool sorted, const SelectHints& hints,
                                            const std::vector<Matcher>& matchers) = 0;
  // Sorted, unique values of `name` among series matching `matchers` (all series if empty).
  virtual Result<std::vector<std::string>> LabelValues(const std::string& name,
                                                       const std::vector<Matcher>& matchers) = 0;
  // Sorted, unique label names among series matching `matchers` (all series if empty).
  virtual Result<std::vector<std::string>> LabelNames(const std::vector<Matcher>& matchers) = 0;
};

class Queryable {
 public:
  virtual ~Queryable() = default;
  virtual Result<std::unique_ptr<Querier>> MakeQuerier(int64_t mint, int64_t maxt) = 0;
};

// Batches appends; nothing is visible to readers or durable before Commit(). Not thread-safe;
// use one Appender per writer.
class Appender {
 public:
  virtual ~Appender() = default;
  // `ref` is 0 or a ref this storage returned earlier for the same labels. Returns the
  // series' ref. Errors: OutOfOrder, Duplicate, OutOfBounds (per sample; the batch goes on),
  // InvalidArgument for bad labels, Unavailable/ResourceExhausted when storage cannot take it.
  virtual Result<SeriesRef> Append(SeriesRef ref, const Labels& labels, int64_t t, double v) = 0;
  // Makes the batch visible and, per the storage's durability policy, durable.
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

class Appendable {
 public:
  virtual ~Appendable() = default;
  virtual std::unique_ptr<Appender> MakeAppender() = 0;
};

class Storage : public Queryable, public Appendable {};

}  // namespace abhra::storage
