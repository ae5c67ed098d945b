// JSON encoding of PromQL values as the Prometheus HTTP API's `data` object:
//   {"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1.5,"2"]}]}
#pragma once

#include <string>

#include "aggregator/promql/engine/value.h"
#include "common/labels/labels.h"

namespace abhra::api {

// Appends {"name":"value",...} for a label set.
void AppendLabelsJson(std::string* out, const Labels& labels);
// Appends the `data` object for a query result. `limit` > 0 keeps only that many series
// (vector/matrix), as Prometheus' `limit` parameter does.
void AppendQueryData(std::string* out, const promql::Value& value, size_t limit = 0);

}  // namespace abhra::api
