#include "aggregator/tsdb/db/db_metrics.h"

namespace abhra::tsdb {

DBMetrics::DBMetrics(prometheus::Registry& r)
    : compactions(prometheus::BuildCounter()
                      .Name("abhra_compactions_total")
                      .Help("Block compactions (merges and downsamplings) completed.")
                      .Register(r)
                      .Add({})),
      compactions_failed(prometheus::BuildCounter()
                             .Name("abhra_compactions_failed_total")
                             .Help("Block compactions that failed.")
                             .Register(r)
                             .Add({})),
      compaction_duration(prometheus::BuildHistogram()
                              .Name("abhra_compaction_duration_seconds")
                              .Help("Time to write one compacted block.")
                              .Register(r)
                              .Add({}, prometheus::Histogram::BucketBoundaries{
                                           0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300})),
      blocks_loaded(prometheus::BuildGauge()
                        .Name("abhra_blocks_loaded")
                        .Help("Blocks currently open.")
                        .Register(r)
                        .Add({})),
      head_cuts(prometheus::BuildCounter()
                    .Name("abhra_head_cuts_total")
                    .Help("Blocks written from the head.")
                    .Register(r)
                    .Add({})),
      blocks_deleted(prometheus::BuildCounter()
                         .Name("abhra_blocks_deleted_total")
                         .Help("Blocks deleted after compaction or by retention.")
                         .Register(r)
                         .Add({})),
      blocks_quarantined(prometheus::BuildCounter()
                             .Name("abhra_blocks_quarantined_total")
                             .Help("Damaged blocks moved to DATA_DIR/quarantine at open.")
                             .Register(r)
                             .Add({})) {}

}  // namespace abhra::tsdb
