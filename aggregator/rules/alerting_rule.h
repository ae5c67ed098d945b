// One alerting rule and its alerts' state machine, with Prometheus' semantics:
// a new result series makes a pending alert; it fires once it has been active for `for`;
// when its series disappears it becomes inactive (resolved) — after `keep_firing_for` if set —
// and is kept for 15 minutes so that the resolution is re-sent to Alertmanager.
// Not thread-safe: the owning group serialises Eval() and the readers (its mutex).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "aggregator/notify/alert.h"
#include "aggregator/promql/engine/value.h"
#include "aggregator/rules/rule_file.h"
#include "common/base/status.h"
#include "common/labels/labels.h"

namespace abhra::rules {

enum class AlertState { kInactive, kPending, kFiring };
std::string_view AlertStateName(AlertState s);  // "inactive", "pending", "firing"

struct Alert {
  Labels labels;       // with alertname, without __name__
  Labels annotations;  // expanded
  AlertState state = AlertState::kPending;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;        // 0 while active
  int64_t last_sent_ms = 0;          // 0 = never sent
  int64_t valid_until_ms = 0;        // endsAt of a firing alert's last notification
  int64_t keep_firing_since_ms = 0;  // 0 = not being kept firing
};

struct RuleEvalContext {
  const Labels* external_labels = nullptr;
  std::string_view external_url;
  int64_t limit = 0;  // group limit on alerts; 0 = none
};

class AlertingRule {
 public:
  // `spec.labels` already include the group's labels.
  explicit AlertingRule(RuleSpec spec) : spec_(std::move(spec)) {}

  const RuleSpec& spec() const { return spec_; }

  // Folds one evaluation's result in at `ts_ms` and returns the ALERTS and ALERTS_FOR_STATE
  // samples for it. Errors (duplicate label sets after templating, limit exceeded, template
  // failures) leave the rule's alerts cleared, as Prometheus does.
  Result<promql::Vector> Eval(const promql::Vector& result, int64_t ts_ms,
                              const RuleEvalContext& ctx);

  // Restores active_at of pending alerts from ALERTS_FOR_STATE values (labels of the alert,
  // value = active_at in seconds), as Prometheus does after a restart. Alerts already held
  // for `for` become firing at the next evaluation.
  void RestoreForState(const promql::Vector& for_state);

  // Alerts to send now (Prometheus' needsSending), marking them sent at `ts_ms`.
  std::vector<notify::Alert> AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms,
                                          int64_t interval_ms, std::string_view generator_url);

  const std::map<uint64_t, Alert>& active() const { return active_; }
  void CopyAlertsFrom(const AlertingRule& other) { active_ = other.active_; }
  // The most severe state of any alert.
  AlertState State() const;

 private:
  RuleSpec spec_;
  std::map<uint64_t, Alert> active_;  // by hash of the alert's labels
};

// Prometheus' generator URL: <external_url>/graph?g0.expr=<query-escaped expr>&g0.tab=1.
std::string GeneratorUrl(std::string_view external_url, std::string_view expr);

}  // namespace abhra::rules
