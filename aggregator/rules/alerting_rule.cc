#include "aggregator/rules/alerting_rule.h"

#include <set>

#include <fmt/format.h>

#include "aggregator/rules/template_expander.h"

namespace abhra::rules {
namespace {

constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

std::string QueryEscape(std::string_view s) {  // Go's url.QueryEscape
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::string_view AlertStateName(AlertState s) {
  switch (s) {
    case AlertState::kInactive: return "inactive";
    case AlertState::kPending: return "pending";
    case AlertState::kFiring: return "firing";
  }
  return "inactive";
}

std::string GeneratorUrl(std::string_view external_url, std::string_view expr) {
  return fmt::format("{}/graph?g0.expr={}&g0.tab=1", external_url, QueryEscape(expr));
}

Result<promql::Vector> AlertingRule::Eval(const promql::Vector& result, int64_t ts_ms,
                                          const RuleEvalContext& ctx) {
  std::map<uint64_t, Alert> fresh;
  for (const promql::Sample& s : result) {
    Labels tmpl_labels = s.metric.WithoutMetricName();
    TemplateData data{&tmpl_labels, ctx.external_labels, s.f, ctx.external_url};
    Labels lbs = s.metric;
    for (const Label& l : spec_.labels) {
      auto v = ExpandTemplate(l.value, data);
      if (!v.ok()) {
        active_.clear();
        return v.status().WithContext(fmt::format("label {}", l.name));
      }
      lbs.Set(l.name, *v);
    }
    lbs.Del(kMetricName);
    lbs.Set("alertname", spec_.name);
    std::vector<Label> annotations;
    for (const Label& a : spec_.annotations) {
      auto v = ExpandTemplate(a.value, data);
      if (!v.ok()) {
        active_.clear();
        return v.status().WithContext(fmt::format("annotation {}", a.name));
      }
      annotations.push_back({a.name, std::move(*v)});
    }
    uint64_t h = lbs.Hash();
    if (fresh.count(h)) {
      active_.clear();
      return Status::InvalidArgument(
          "vector contains metrics with the same labelset after applying alert labels");
    }
    Alert a;
    a.labels = std::move(lbs);
    a.annotations = Labels::FromSorted(std::move(annotations));
    a.value = s.f;
    a.active_at_ms = ts_ms;
    fresh.emplace(h, std::move(a));
  }

  for (auto& [h, a] : fresh) {
    auto it = active_.find(h);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      it->second.labels = std::move(a.labels);
      continue;
    }
    active_[h] = std::move(a);  // a new or a resolved-then-back alert starts pending
  }

  int64_t num_active = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (!fresh.count(it->first)) {
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && ts_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive) {
        if (spec_.keep_firing_for_ms > 0) {
          if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = ts_ms;
          if (ts_ms - a.keep_firing_since_ms < spec_.keep_firing_for_ms) {
            ++num_active;
            ++it;
            continue;
          }
        }
        a.state = AlertState::kInactive;
        a.resolved_at_ms = ts_ms;
        a.keep_firing_since_ms = 0;
      }
      ++it;
      continue;
    }
    if (a.state != AlertState::kInactive) ++num_active;
    if (a.state == AlertState::kPending && ts_ms - a.active_at_ms >= spec_.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts_ms;
    }
    a.keep_firing_since_ms = 0;
    ++it;
  }
  if (ctx.limit > 0 && num_active > ctx.limit) {
    active_.clear();
    return Status::ResourceExhausted(
        fmt::format("exceeded limit of {} with {} alerts", ctx.limit, num_active));
  }

  promql::Vector out;
  for (const auto& [h, a] : active_) {
    if (a.state == AlertState::kInactive) continue;
    Labels alerts = a.labels;
    alerts.Set(kMetricName, "ALERTS");
    alerts.Set("alertstate", AlertStateName(a.state));
    out.push_back({std::move(alerts), ts_ms, 1.0});
    Labels for_state = a.labels;
    for_state.Set(kMetricName, "ALERTS_FOR_STATE");
    out.push_back({std::move(for_state), ts_ms, static_cast<double>(a.active_at_ms) / 1000.0});
  }
  return out;
}

void AlertingRule::RestoreForState(const promql::Vector& for_state) {
  for (const promql::Sample& s : for_state) {
    Labels l = s.metric.WithoutMetricName();
    auto it = active_.find(l.Hash());
    if (it == active_.end() || it->second.state != AlertState::kPending) continue;
    int64_t restored = static_cast<int64_t>(s.f * 1000);
    if (restored > 0 && restored < it->second.active_at_ms) it->second.active_at_ms = restored;
  }
}

std::vector<notify::Alert> AlertingRule::AlertsToSend(int64_t ts_ms, int64_t resend_delay_ms,
                                                      int64_t interval_ms,
                                                      std::string_view generator_url) {
  std::vector<notify::Alert> out;
  for (auto& [h, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    bool needs = (a.resolved_at_ms != 0 && a.resolved_at_ms > a.last_sent_ms) ||
                 a.last_sent_ms == 0 || a.last_sent_ms + resend_delay_ms < ts_ms;
    if (!needs) continue;
    a.last_sent_ms = ts_ms;
    a.valid_until_ms = ts_ms + 4 * std::max(resend_delay_ms, interval_ms);
    notify::Alert n;
    n.labels = a.labels;
    n.annotations = a.annotations;
    n.starts_at_ms = a.fired_at_ms != 0 ? a.fired_at_ms : a.active_at_ms;
    n.ends_at_ms = a.resolved_at_ms != 0 ? a.resolved_at_ms : a.valid_until_ms;
    n.generator_url = std::string(generator_url);
    out.push_back(std::move(n));
  }
  return out;
}

AlertState AlertingRule::State() const {
  AlertState s = AlertState::kInactive;
  for (const auto& [h, a] : active_) {
    if (a.state == AlertState::kFiring) return AlertState::kFiring;
    if (a.state == AlertState::kPending) s = AlertState::kPending;
  }
  return s;
}

}  // namespace abhra::rules
