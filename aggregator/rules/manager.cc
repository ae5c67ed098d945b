#include "aggregator/rules/manager.h"

#include <algorithm>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "common/base/logging.h"

namespace abhra::rules {

struct Manager::Metrics {
  explicit Metrics(prometheus::Registry* r)
      : evaluations(prometheus::BuildCounter()
                        .Name("abhra_rule_evaluations_total")
                        .Help("Rule evaluations, by group.")
                        .Register(*r)),
        failures(prometheus::BuildCounter()
                     .Name("abhra_rule_evaluation_failures_total")
                     .Help("Rule evaluations that failed, by group.")
                     .Register(*r)),
        missed(prometheus::BuildCounter()
                   .Name("abhra_rule_group_iterations_missed_total")
                   .Help("Group evaluations skipped because the previous one ran too long.")
                   .Register(*r)),
        last_duration(prometheus::BuildGauge()
                          .Name("abhra_rule_group_last_duration_seconds")
                          .Help("Duration of the last evaluation of the group.")
                          .Register(*r)),
        last_eval(prometheus::BuildGauge()
                      .Name("abhra_rule_group_last_evaluation_timestamp_seconds")
                      .Help("Time of the last evaluation of the group.")
                      .Register(*r)),
        interval(prometheus::BuildGauge()
                     .Name("abhra_rule_group_interval_seconds")
                     .Help("Evaluation interval of the group.")
                     .Register(*r)),
        rules(prometheus::BuildGauge()
                  .Name("abhra_rule_group_rules")
                  .Help("Number of rules in the group.")
                  .Register(*r)) {}
  prometheus::Family<prometheus::Counter>& evaluations;
  prometheus::Family<prometheus::Counter>& failures;
  prometheus::Family<prometheus::Counter>& missed;
  prometheus::Family<prometheus::Gauge>& last_duration;
  prometheus::Family<prometheus::Gauge>& last_eval;
  prometheus::Family<prometheus::Gauge>& interval;
  prometheus::Family<prometheus::Gauge>& rules;
};

Manager::Manager(ManagerOptions options) : options_(std::move(options)) {
  if (options_.registry) metrics_ = std::make_unique<Metrics>(options_.registry);
}

Manager::~Manager() { Stop(); }

void Manager::Update(std::vector<GroupSpec> specs) {
  std::map<std::string, std::unique_ptr<GroupRunner>> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old.swap(runners_);
    for (auto& [k, r] : old) r->stop = true;
  }
  cv_.notify_all();
  for (auto& [k, r] : old) {
    if (r->thread.joinable()) r->thread.join();
  }
  std::map<std::string, std::unique_ptr<GroupRunner>> fresh;
  for (GroupSpec& spec : specs) {
    auto group = std::make_shared<RuleGroup>(std::move(spec), &options_.env);
    auto it = old.find(group->Key());
    if (it != old.end()) {
      group->CopyStateFrom(*it->second->group);
      old.erase(it);
    }
    if (metrics_) {
      std::map<std::string, std::string> l{{"rule_group", group->Key()}};
      metrics_->interval.Add(l).Set(static_cast<double>(group->spec().interval_ms) / 1000.0);
      metrics_->rules.Add(l).Set(static_cast<double>(group->spec().rules.size()));
    }
    auto runner = std::make_unique<GroupRunner>();
    runner->group = std::move(group);
    std::string key = runner->group->Key();
    fresh[key] = std::move(runner);
  }
  int64_t now = options_.clock->NowMillis();
  for (auto& [k, r] : old) {
    r->group->MarkAllStale(now);
    if (metrics_) {
      std::map<std::string, std::string> l{{"rule_group", k}};
      metrics_->rules.Add(l).Set(0);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  runners_ = std::move(fresh);
  if (started_) {
    for (auto& [k, r] : runners_) StartRunner(r.get());
  }
  LOG_INFO("rules", "rule groups loaded", "groups={}", runners_.size());
}

void Manager::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  for (auto& [k, r] : runners_) StartRunner(r.get());
}

void Manager::StartRunner(GroupRunner* r) {
  r->thread = std::thread([this, g = r->group, r] { Run(g, r); });
}

void Manager::Stop() {
  std::map<std::string, std::unique_ptr<GroupRunner>> runners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return;
    started_ = false;
    for (auto& [k, r] : runners_) r->stop = true;
  }
  cv_.notify_all();
  std::vector<GroupRunner*> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, r] : runners_) all.push_back(r.get());
  }
  // Update() holds no runner across a join, and Stop() is the only other joiner.
  for (GroupRunner* r : all) {
    if (r->thread.joinable()) r->thread.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [k, r] : runners_) r->stop = false;
}

void Manager::Run(std::shared_ptr<RuleGroup> group, GroupRunner* runner) {
  const int64_t interval = std::max<int64_t>(group->spec().interval_ms, 1);
  const int64_t offset = group->EvalOffsetMs();
  auto next_aligned = [&](int64_t now) {
    int64_t base = now - ((now - offset) % interval + interval) % interval;
    return base + interval;  // the first aligned time strictly after `now`
  };
  int64_t next = next_aligned(options_.clock->NowMillis());
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (!runner->stop) {
        int64_t now = options_.clock->NowMillis();
        if (now >= next) break;
        cv_.wait_for(lock, std::chrono::milliseconds(next - now));
      }
      if (runner->stop) return;
    }
    EvalGroup(*group, next);
    int64_t now = options_.clock->NowMillis();
    int64_t following = next + interval;
    if (following <= now) {
      int64_t missed = (now - next) / interval;
      if (metrics_) metrics_->missed.Add({{"rule_group", group->Key()}}).Increment(missed);
      following = next_aligned(now);
    }
    next = following;
  }
}

void Manager::EvalGroup(RuleGroup& group, int64_t ts_ms) {
  int64_t start = options_.clock->MonotonicNanos();
  int failures = group.Eval(ts_ms);
  if (!metrics_) return;
  std::map<std::string, std::string> l{{"rule_group", group.Key()}};
  metrics_->evaluations.Add(l).Increment(static_cast<double>(group.spec().rules.size()));
  metrics_->failures.Add(l).Increment(failures);
  metrics_->last_duration.Add(l).Set(
      static_cast<double>(options_.clock->MonotonicNanos() - start) / 1e9);
  metrics_->last_eval.Add(l).Set(static_cast<double>(ts_ms) / 1000.0);
}

void Manager::EvalAllOnce(int64_t ts_ms) {
  for (const auto& g : Groups()) EvalGroup(*g, ts_ms);
}

std::vector<std::shared_ptr<RuleGroup>> Manager::Groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<RuleGroup>> out;
  for (const auto& [k, r] : runners_) out.push_back(r->group);
  return out;
}

size_t Manager::NumGroups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runners_.size();
}

std::vector<ActiveAlert> Manager::ActiveAlerts() const {
  std::vector<ActiveAlert> out;
  for (const auto& g : Groups()) {
    RuleGroup::Snapshot snap = g->GetSnapshot();
    for (const RuleStatus& r : snap.rules) {
      for (const Alert& a : r.alerts) {
        out.push_back({g->spec().name, g->spec().file, r.spec->name, a.labels, a.annotations,
                       a.state, a.value, a.active_at_ms, a.fired_at_ms});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const ActiveAlert& a, const ActiveAlert& b) {
    if (a.state != b.state) return a.state == AlertState::kFiring;
    if (a.active_at_ms != b.active_at_ms) return a.active_at_ms > b.active_at_ms;
    return a.labels < b.labels;
  });
  return out;
}

std::vector<ActiveAlert> Manager::FiringAlerts() const {
  std::vector<ActiveAlert> all = ActiveAlerts();
  std::erase_if(all, [](const ActiveAlert& a) { return a.state != AlertState::kFiring; });
  return all;
}

}  // namespace abhra::rules
