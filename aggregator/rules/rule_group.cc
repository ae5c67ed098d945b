#include "aggregator/rules/rule_group.h"

#include <chrono>

#include <fmt/format.h>

#include "aggregator/promql/parser/lexer.h"
#include "common/base/clock.h"
#include "common/base/logging.h"
#include "common/labels/hash.h"

namespace abhra::rules {

RuleGroup::RuleGroup(GroupSpec spec, const GroupEnv* env) : spec_(std::move(spec)), env_(env) {
  states_.resize(spec_.rules.size());
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    RuleSpec rule = spec_.rules[i];
    if (rule.kind != RuleKind::kAlerting) continue;
    for (const Label& l : spec_.labels) {
      if (!rule.labels.Has(l.name)) rule.labels.Set(l.name, l.value);
    }
    states_[i].alerting = std::make_unique<AlertingRule>(std::move(rule));
  }
}

int64_t RuleGroup::EvalOffsetMs() const {
  if (spec_.interval_ms <= 0) return 0;
  return static_cast<int64_t>(HashString(Key()) % static_cast<uint64_t>(spec_.interval_ms));
}

Status RuleGroup::EvalRule(size_t i, int64_t ts_ms, promql::Vector* out) {
  const RuleSpec& rule = spec_.rules[i];
  int64_t query_ts = ts_ms - spec_.query_offset_ms;
  auto result = env_->query(rule.expr, query_ts);
  if (!result.ok()) return result.status();
  RuleState& st = states_[i];
  if (rule.kind == RuleKind::kRecording) {
    std::set<std::string> seen;
    for (promql::Sample& s : *result) {
      s.metric.Set(kMetricName, rule.name);
      for (const Label& l : spec_.labels) {
        if (!rule.labels.Has(l.name)) s.metric.Set(l.name, l.value);
      }
      for (const Label& l : rule.labels) s.metric.Set(l.name, l.value);
      s.t = ts_ms;
      if (!seen.insert(s.metric.ToString()).second) {
        return Status::InvalidArgument(
            "vector contains metrics with the same labelset after applying rule labels");
      }
    }
    if (spec_.limit > 0 && static_cast<int64_t>(result->size()) > spec_.limit) {
      return Status::ResourceExhausted(
          fmt::format("exceeded limit of {} with {} series", spec_.limit, result->size()));
    }
    *out = std::move(*result);
    return Status::Ok();
  }
  RuleEvalContext ctx{&env_->external_labels, env_->external_url, spec_.limit};
  std::lock_guard<std::mutex> lock(mu_);
  auto samples = st.alerting->Eval(*result, ts_ms, ctx);
  if (!samples.ok()) return samples.status();
  if (!st.restored) {
    st.restored = true;
    // After a restart, pending alerts take their activeAt from ALERTS_FOR_STATE.
    std::string q = fmt::format("last_over_time(ALERTS_FOR_STATE{{alertname=\"{}\"}}[{}])",
                                EscapeLabelValue(rule.name),
                                promql::FormatDuration(env_->outage_tolerance_ms));
    auto prior = env_->query(q, ts_ms - 1);  // before this evaluation's own samples
    if (prior.ok()) st.alerting->RestoreForState(*prior);
  }
  *out = std::move(*samples);
  return Status::Ok();
}

void RuleGroup::Write(const promql::Vector& samples, RuleState* st, int64_t ts_ms) {
  std::set<std::string> now;
  std::unordered_map<std::string, Labels> now_labels;
  std::unique_ptr<storage::Appender> app =
      env_->appendable ? env_->appendable->MakeAppender() : nullptr;
  for (const promql::Sample& s : samples) {
    std::string key = s.metric.ToString();
    if (app) (void)app->Append(0, s.metric, ts_ms, s.f);  // out-of-order/duplicates: skipped
    now.insert(key);
    now_labels.emplace(std::move(key), s.metric);
  }
  for (const auto& [key, labels] : st->prev_labels) {
    if (now.count(key) == 0 && app) (void)app->Append(0, labels, ts_ms, storage::StaleNaN());
  }
  if (app) {
    Status c = app->Commit();
    if (!c.ok()) LOG_WARN("rules", "cannot write rule results", "group={} err={}",
                          LogfmtValue(spec_.name), LogfmtValue(c.ToString()));
  }
  st->prev_series = std::move(now);
  st->prev_labels = std::move(now_labels);
}

int RuleGroup::Eval(int64_t ts_ms) {
  const Clock& clock = Clock::Real();
  int64_t group_start = clock.MonotonicNanos();
  int failures = 0;
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    int64_t start = clock.MonotonicNanos();
    promql::Vector out;
    Status st = EvalRule(i, ts_ms, &out);
    {
      std::lock_guard<std::mutex> lock(mu_);
      RuleState& rs = states_[i];
      rs.last_eval_ms = ts_ms;
      rs.eval_seconds = static_cast<double>(clock.MonotonicNanos() - start) / 1e9;
      rs.health = st.ok() ? "ok" : "err";
      rs.last_error = st.ok() ? "" : st.message();
    }
    if (!st.ok()) {
      ++failures;
      LOG_WARN("rules", "rule evaluation failed", "group={} rule={} err={}",
               LogfmtValue(spec_.name), LogfmtValue(spec_.rules[i].name),
               LogfmtValue(st.message()));
    }
    // A failed rule writes nothing, so its previous series go stale (as in Prometheus).
    Write(out, &states_[i], ts_ms);
    if (states_[i].alerting && env_->notify) {
      std::vector<notify::Alert> send;
      {
        std::lock_guard<std::mutex> lock(mu_);
        send = states_[i].alerting->AlertsToSend(
            ts_ms, env_->resend_delay_ms, spec_.interval_ms,
            GeneratorUrl(env_->external_url, spec_.rules[i].expr));
      }
      if (!send.empty()) env_->notify(std::move(send));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_eval_ms_ = ts_ms;
  eval_seconds_ = static_cast<double>(clock.MonotonicNanos() - group_start) / 1e9;
  return failures;
}

void RuleGroup::CopyStateFrom(RuleGroup& old) {
  std::scoped_lock lock(mu_, old.mu_);
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    const RuleSpec& r = spec_.rules[i];
    for (size_t j = 0; j < old.spec_.rules.size(); ++j) {
      const RuleSpec& o = old.spec_.rules[j];
      if (o.kind != r.kind || o.name != r.name || o.expr != r.expr) continue;
      RuleState& dst = states_[i];
      RuleState& src = old.states_[j];
      dst.prev_series = std::move(src.prev_series);
      dst.prev_labels = std::move(src.prev_labels);
      dst.health = src.health;
      dst.last_error = src.last_error;
      dst.last_eval_ms = src.last_eval_ms;
      dst.eval_seconds = src.eval_seconds;
      dst.restored = true;
      if (dst.alerting && src.alerting) {
        // Keep the alerts; the new rule's labels and annotations apply from its next eval.
        auto fresh = std::make_unique<AlertingRule>(dst.alerting->spec());
        fresh->CopyAlertsFrom(*src.alerting);
        dst.alerting = std::move(fresh);
      }
      break;
    }
  }
  last_eval_ms_ = old.last_eval_ms_;
  eval_seconds_ = old.eval_seconds_;
}

void RuleGroup::MarkAllStale(int64_t ts_ms) {
  if (!env_->appendable) return;
  auto app = env_->appendable->MakeAppender();
  for (RuleState& st : states_) {
    for (const auto& [key, labels] : st.prev_labels) {
      (void)app->Append(0, labels, ts_ms, storage::StaleNaN());
    }
    st.prev_labels.clear();
    st.prev_series.clear();
  }
  (void)app->Commit();
}

RuleGroup::Snapshot RuleGroup::GetSnapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot snap;
  snap.last_eval_ms = last_eval_ms_;
  snap.eval_seconds = eval_seconds_;
  for (size_t i = 0; i < spec_.rules.size(); ++i) {
    const RuleState& st = states_[i];
    RuleStatus rs;
    rs.spec = st.alerting ? &st.alerting->spec() : &spec_.rules[i];
    rs.health = st.health;
    rs.last_error = st.last_error;
    rs.last_eval_ms = st.last_eval_ms;
    rs.eval_seconds = st.eval_seconds;
    if (st.alerting) {
      rs.state = st.alerting->State();
      for (const auto& [h, a] : st.alerting->active()) {
        if (a.state != AlertState::kInactive) rs.alerts.push_back(a);
      }
    }
    snap.rules.push_back(std::move(rs));
  }
  return snap;
}

}  // namespace abhra::rules
