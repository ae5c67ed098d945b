// Thanos-style downsampling (see aggregator/tsdb/docs/downsampling.md). A downsampled
// block holds, for every raw series and every resolution window (5m or 1h), five aggregates
// stored as ordinary XOR series with an extra label __aggr__ = count | sum | min | max |
// counter, so the block stays readable by promtool. Each aggregate sample has the
// timestamp of the last raw sample in its window. `counter` is the series' value with
// counter resets removed (a running total), so rate()/increase() over it match raw data.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aggregator/storage/storage.h"
#include "aggregator/tsdb/block/block.h"
#include "common/base/status.h"

namespace abhra::tsdb {

inline constexpr std::string_view kAggrLabel = "__aggr__";

// Writes the downsampled copy of `src` (raw, or 5m for 1h) at `resolution` under data_dir.
// Returns the new block's meta (empty ulid when src had no samples).
Result<BlockMeta> DownsampleBlock(const std::string& data_dir, const std::shared_ptr<Block>& src,
                                  int64_t resolution, int samples_per_chunk = 240);

// The aggregate to read for a query function (SelectHints::func): sum_over_time → "sum",
// min/max_over_time → "min"/"max", avg_over_time → "avg" (sum / count), rate/increase →
// "counter". Empty for anything else, including "" (plain selectors, or a caller that sets
// no hints) and count_over_time (PromQL counts points): the caller then reads raw data.
std::string AggregateForFunc(const std::string& func);

// A querier over one downsampled block that returns, per raw series (without __aggr__),
// the aggregate `aggr` (as AggregateForFunc gives) in [mint, maxt]. Sorted by labels.
std::unique_ptr<storage::Querier> NewDownsampledQuerier(std::shared_ptr<Block> block,
                                                        std::string aggr, int64_t mint,
                                                        int64_t maxt);

}  // namespace abhra::tsdb
