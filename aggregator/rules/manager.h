// The rule manager: owns the rule groups, evaluates each on its own thread at its interval
// (aligned like Prometheus: at a per-group offset from a hash of its file and name), and
// answers /api/v1/rules, /api/v1/alerts and the status page.
//
// Thread-safety: every public method is thread-safe. Update() may be called while running.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/rules/rule_group.h"
#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/http/headers.h"

namespace prometheus {
class Registry;
}

namespace abhra::rules {

struct ManagerOptions {
  GroupEnv env;                                // query function, appendable, notify, ...
  const Clock* clock = &Clock::Real();
  prometheus::Registry* registry = nullptr;    // self-metrics; may be null
};

// A pending or firing alert, for the status page.
struct ActiveAlert {
  std::string group;
  std::string file;
  std::string rule;  // alertname
  Labels labels;
  Labels annotations;
  AlertState state = AlertState::kPending;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;  // 0 while pending
};

class Manager {
 public:
  explicit Manager(ManagerOptions options);
  ~Manager();  // Stop()
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Replaces the rule groups. Groups with the same file and name keep their alerts (rules
  // matched by kind, name and expression); removed groups' series get stale markers.
  void Update(std::vector<GroupSpec> groups);

  // Starts one evaluation thread per group (and for groups added later). Idempotent.
  void Start();
  // Stops and joins every thread; an evaluation in progress finishes first. Idempotent.
  void Stop();

  // Evaluates every group once at `ts_ms`, on the caller's thread (tests; also usable when
  // not started).
  void EvalAllOnce(int64_t ts_ms);

  // /api/v1/rules and /api/v1/alerts `data` JSON (interfaces.md §4). InvalidArgument for bad
  // parameters (type other than alert|record).
  Result<std::string> RulesJson(const http::Params& params) const;
  Result<std::string> AlertsJson(const http::Params& params) const;

  // Firing alerts only (FiringAlerts) or pending and firing (ActiveAlerts), sorted by
  // state (firing first), then active time, newest first.
  std::vector<ActiveAlert> FiringAlerts() const;
  std::vector<ActiveAlert> ActiveAlerts() const;

  size_t NumGroups() const;

 private:
  struct Metrics;
  struct GroupRunner {
    std::shared_ptr<RuleGroup> group;
    std::thread thread;
    bool stop = false;  // guarded by Manager::mu_
  };
  void StartRunner(GroupRunner* r);  // REQUIRES: mu_ held
  void Run(std::shared_ptr<RuleGroup> group, GroupRunner* runner);
  void EvalGroup(RuleGroup& group, int64_t ts_ms);
  std::vector<std::shared_ptr<RuleGroup>> Groups() const;

  ManagerOptions options_;
  std::unique_ptr<Metrics> metrics_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;                                      // guarded by mu_
  std::map<std::string, std::unique_ptr<GroupRunner>> runners_;  // by group key; mu_
  std::vector<std::unique_ptr<GroupRunner>> retired_;          // stopping; joined in Stop/Update
};

}  // namespace abhra::rules
