// SeriesQuota: a say over which new series the head may create, e.g. per-tenant series
// limits. The head consults it only when a series does not exist yet, so samples for known
// series never reach it (the append hot path stays one hash and one lookup).
#pragma once

#include <span>

#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::tsdb {

class SeriesQuota {
 public:
  virtual ~SeriesQuota() = default;

  // Called before the head creates the series `labels` (sorted by name, already valid),
  // under the lock of the series' hash stripe, so at most once per created series and never
  // for one that exists. `enforce` is false during WAL replay: the series existed before and
  // must be counted, never refused. A non-OK status (ResourceExhausted, naming the limit)
  // refuses the series; the appender gets it for that series' samples. Thread-safe; cheap.
  virtual Status Acquire(std::span<const LabelView> labels, bool enforce) = 0;

  // The head removed a series Acquire() admitted (truncation freed it). Thread-safe.
  virtual void Release(std::span<const LabelView> labels) = 0;
};

}  // namespace abhra::tsdb
