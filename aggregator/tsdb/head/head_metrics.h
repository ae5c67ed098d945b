// The head's self metrics (prometheus-cpp). All objects are owned by the registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace abhra::tsdb {

struct HeadMetrics {
  explicit HeadMetrics(prometheus::Registry& r);

  prometheus::Gauge& series;                   // abhra_head_series
  prometheus::Counter& series_created;         // abhra_head_series_created_total
  prometheus::Counter& series_removed;         // abhra_head_series_removed_total
  prometheus::Counter& samples_appended;       // abhra_head_samples_appended_total
  prometheus::Counter& rejected_out_of_order;  // abhra_head_samples_rejected_total{reason=...}
  prometheus::Counter& rejected_duplicate;
  prometheus::Counter& rejected_out_of_bounds;
  prometheus::Counter& rejected_invalid_labels;
  prometheus::Histogram& wal_fsync;            // abhra_wal_fsync_duration_seconds
  prometheus::Counter& wal_corruptions;        // abhra_wal_corruptions_total
  prometheus::Gauge& head_min_time;            // abhra_head_min_time_seconds
  prometheus::Gauge& head_max_time;            // abhra_head_max_time_seconds
};

}  // namespace abhra::tsdb
