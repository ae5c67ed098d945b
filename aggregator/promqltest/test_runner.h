// Runs Prometheus-style PromQL .test scripts (load / clear / eval ...) against the engine
// over a MemStorage, with the comparison rules of Prometheus' promql/promqltest: relative
// epsilon 1e-6, NaN equals NaN, order checked only for ordered evals, instant evals re-run
// with @ pinned to other times and as a range query around the evaluation time.
#pragma once

#include <string>
#include <vector>

namespace abhra::promqltest {

struct CaseResult {
  std::string file;
  int line = 0;
  std::string query;
  bool passed = false;
  bool skipped = false;
  std::string message;  // why it failed or was skipped
};

struct RunOptions {
  std::vector<std::string> skip_patterns;  // a case whose "file:line" or query contains one
};

// Runs every eval of `file`; an unreadable or unparsable script yields one failed case.
std::vector<CaseResult> RunTestFile(const std::string& path, const RunOptions& opts);

}  // namespace abhra::promqltest
