// Classic histograms: quantiles and fractions over `le` buckets, as Prometheus'
// BucketQuantile/BucketFraction (with its monotonicity fix), grouped per histogram.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "aggregator/promql/engine/evaluator.h"

namespace abhra::promql {

struct Bucket {
  double upper;
  double count;
};

// NaN for q NaN or no +Inf bucket; sets *forced_monotonic when counts had to be fixed.
double BucketQuantile(double q, std::vector<Bucket> buckets, bool* forced_monotonic);
// Fraction of observations in [lower, upper]; no interpolation in infinite-width buckets.
double BucketFraction(double lower, double upper, std::vector<Bucket> buckets);

// Groups the bucket series of `in` per histogram (labels without `le`, __name__ kept until
// the delayed removal), warns about missing/malformed `le` (position of `arg`) and returns one
// sample per histogram with compute(buckets)'s value, name marked for dropping.
Vector HistogramOverBuckets(Evaluator& ev, const Vector& in, const std::string& fname,
                            const Expr& arg,
                            const std::function<double(std::vector<Bucket>, bool*)>& compute);

// OpenMetrics float text for label values: "1.0", "0.25", "NaN", "+Inf".
std::string OpenMetricsFloat(double v);

}  // namespace abhra::promql
