// The DB's self metrics (prometheus-cpp), owned by the registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace abhra::tsdb {

struct DBMetrics {
  explicit DBMetrics(prometheus::Registry& r);
  prometheus::Counter& compactions;         // abhra_compactions_total
  prometheus::Counter& compactions_failed;  // abhra_compactions_failed_total
  prometheus::Histogram& compaction_duration;  // abhra_compaction_duration_seconds
  prometheus::Gauge& blocks_loaded;         // abhra_blocks_loaded
  prometheus::Counter& head_cuts;           // abhra_head_cuts_total
  prometheus::Counter& blocks_deleted;      // abhra_blocks_deleted_total (retention, compaction)
  prometheus::Counter& blocks_quarantined;  // abhra_blocks_quarantined_total (damaged at open)
};

}  // namespace abhra::tsdb
