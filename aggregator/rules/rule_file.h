// Prometheus rule files (YAML): groups of recording and alerting rules, as
// https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/ defines them.
// Parsing checks what Prometheus checks at load time (names, durations, PromQL, label names,
// unique group names) and reports every problem with file:line:column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::rules {

enum class RuleKind { kRecording, kAlerting };

struct RuleSpec {
  RuleKind kind = RuleKind::kRecording;
  std::string name;  // `record:` (a metric name) or `alert:` (a label value)
  std::string expr;  // PromQL, checked by the parser
  int64_t for_ms = 0;              // alerting only
  int64_t keep_firing_for_ms = 0;  // alerting only
  Labels labels;                   // values of alerting rules may hold templates
  Labels annotations;              // alerting only; values may hold templates
};

struct GroupSpec {
  std::string name;  // unique within its file
  std::string file;  // where it came from (the /api/v1/rules `file` field)
  int64_t interval_ms = 0;      // 0 in the file -> the default interval
  int64_t limit = 0;            // max series per rule evaluation; 0 = no limit
  int64_t query_offset_ms = 0;  // evaluate at (time - offset)
  Labels labels;                // added to every rule's labels (rule labels win)
  std::vector<RuleSpec> rules;
};

// Parses one rule file. `file` names it in errors and in GroupSpec::file. Groups without an
// interval get `default_interval_ms` (> 0). Errors are InvalidArgument, one line per problem:
// `prod.yaml:12:9: group "abhra-prod-sli", rule 3: "for" must be a duration, got "5 min"`.
Result<std::vector<GroupSpec>> ParseRuleFile(std::string_view yaml, std::string_view file,
                                             int64_t default_interval_ms);

}  // namespace abhra::rules
