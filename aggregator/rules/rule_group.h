// A rule group: its rules evaluated in order at one timestamp every `interval`, results written
// through an Appendable (recording rules, ALERTS, ALERTS_FOR_STATE), stale markers for series
// that disappear, and alert notifications handed to a callback.
// Thread-safety: Eval() runs on one thread at a time (the manager's group thread); the
// accessors (ForEachRule, Snapshot...) may be called concurrently from others (mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aggregator/notify/alert.h"
#include "aggregator/promql/engine/value.h"
#include "aggregator/rules/alerting_rule.h"
#include "aggregator/rules/rule_file.h"
#include "aggregator/storage/storage.h"
#include "common/base/status.h"

namespace abhra::rules {

// Evaluates a PromQL expression at `t_ms`. Scalars come back as a one-sample vector with no
// labels (as Prometheus' EngineQueryFunc does); strings and matrices are errors.
using QueryFunc = std::function<Result<promql::Vector>(std::string_view expr, int64_t t_ms)>;
using NotifyFunc = std::function<void(std::vector<notify::Alert>)>;

struct GroupEnv {
  QueryFunc query;
  storage::Appendable* appendable = nullptr;  // may be null: results are not written
  NotifyFunc notify;                          // may be empty
  Labels external_labels;
  std::string external_url;
  int64_t resend_delay_ms = 60 * 1000;
  int64_t outage_tolerance_ms = 60 * 60 * 1000;  // how far back ALERTS_FOR_STATE is restored
};

// What one rule looked like at its last evaluation (for the API and the status page).
struct RuleStatus {
  const RuleSpec* spec = nullptr;
  std::string health = "unknown";  // ok | err | unknown
  std::string last_error;
  int64_t last_eval_ms = 0;
  double eval_seconds = 0;
  std::vector<Alert> alerts;  // alerting rules: non-inactive alerts
  AlertState state = AlertState::kInactive;
};

class RuleGroup {
 public:
  RuleGroup(GroupSpec spec, const GroupEnv* env);

  const GroupSpec& spec() const { return spec_; }
  // Stable key "file;name".
  std::string Key() const { return spec_.file + ";" + spec_.name; }

  // Evaluates every rule at `ts_ms` (the aligned evaluation time; queries run at
  // ts - query_offset). Returns the number of rules that failed.
  int Eval(int64_t ts_ms);

  // Takes alert state (and previous-series sets) from an older version of this group:
  // rules with the same kind, name and expression keep their alerts.
  void CopyStateFrom(RuleGroup& old);

  // Writes stale markers for every series this group wrote in its last evaluation (used when
  // the group is removed).
  void MarkAllStale(int64_t ts_ms);

  // Offset inside the interval at which this group evaluates, from a hash of its key.
  int64_t EvalOffsetMs() const;

  struct Snapshot {
    int64_t last_eval_ms = 0;
    double eval_seconds = 0;
    std::vector<RuleStatus> rules;
  };
  Snapshot GetSnapshot() const;

 private:
  struct RuleState {
    std::unique_ptr<AlertingRule> alerting;  // null for recording rules
    std::string health = "unknown";
    std::string last_error;
    int64_t last_eval_ms = 0;
    double eval_seconds = 0;
    std::set<std::string> prev_series;  // label strings written last time, for staleness
    std::unordered_map<std::string, Labels> prev_labels;
    bool restored = false;
  };

  Status EvalRule(size_t i, int64_t ts_ms, promql::Vector* out);
  void Write(const promql::Vector& samples, RuleState* st, int64_t ts_ms);

  const GroupSpec spec_;
  const GroupEnv* env_;
  mutable std::mutex mu_;  // guards states_ contents and the timings below
  std::vector<RuleState> states_;
  int64_t last_eval_ms_ = 0;
  double eval_seconds_ = 0;
};

}  // namespace abhra::rules
