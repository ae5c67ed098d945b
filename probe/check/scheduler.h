// Runs checks for many targets on one thread with libcurl multi.
//
// Each target runs every `interval` at a fixed phase: the wall-clock instants t with
// t mod interval == hash(target name) mod interval. Targets with the same interval are thus
// spread evenly over it (no thundering herd) and keep their phase across restarts. A failed
// attempt is retried up to `retries` times at once while time remains in the interval; only
// the last attempt is reported.
//
// Thread-safety: SetTargets() and Stop() may be called from any thread; Run() and RunOnce()
// on one thread only; the result callback runs on that thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/base/clock.h"
#include "probe/check/check_result.h"
#include "probe/check/curl_check.h"
#include "probe/config/config.h"

namespace abhra::probe {

// Makes the check for one attempt at a target; nullptr when the kind is not supported.
using CheckFactory = std::function<std::unique_ptr<CurlCheck>(const Target&)>;
// HttpCheck for http/health, TcpCheck for tcp, DnsCheck for dns; nullptr otherwise.
std::unique_ptr<CurlCheck> MakeBuiltinCheck(const Target& target);

struct TargetResult {
  std::string target_name;
  int64_t timestamp_ms = 0;  // wall clock at the start of the first attempt
  int attempts = 0;
  CheckResult result;
};

// The first instant >= now_ms at the target's phase (milliseconds since the epoch).
int64_t NextDueMs(int64_t now_ms, int64_t interval_ms, std::string_view target_name);
// hash(name) mod interval.
int64_t PhaseOffsetMs(int64_t interval_ms, std::string_view target_name);

class Scheduler {
 public:
  using ResultCallback = std::function<void(const Target& target, TargetResult result)>;

  Scheduler(const Clock& clock, CheckFactory factory, ResultCallback on_result);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Replaces the target set; takes effect at the next loop turn. A target whose name and
  // interval are unchanged keeps its schedule. Checks in flight for removed targets finish
  // but are not reported.
  void SetTargets(std::vector<Target> targets);
  // Loops until Stop().
  void Run();
  void Stop();

  // Runs every target once, all at once, and returns their results in target order.
  // Does not touch the scheduled target set. REQUIRES: Run() is not running.
  std::vector<TargetResult> RunOnce(const std::vector<Target>& targets);

  int64_t checks_completed() const { return checks_completed_.load(); }
  int64_t checks_in_flight() const { return in_flight_.load(); }

 private:
  struct TargetState;
  struct Attempt;
  struct Due;

  void StartAttempt(const std::shared_ptr<TargetState>& state, int attempt_no, int64_t first_start_ms);
  void DriveTransfers();  // curl_multi_perform + completions
  void OnDone(CURL* easy, CURLcode code);
  // Retries or delivers a finished attempt.
  void Complete(std::unique_ptr<Attempt> attempt, CheckResult result);
  // Waits up to wait_ms for libcurl's sockets and the socket checks', then finishes socket
  // checks that were answered or timed out.
  void Poll(int64_t wait_ms);
  void Deliver(const std::shared_ptr<TargetState>& state, TargetResult result);
  void ApplyPendingTargets();
  CURL* TakeEasy();
  void ReturnEasy(CURL* easy);

  const Clock& clock_;
  CheckFactory factory_;
  ResultCallback on_result_;
  CURLM* multi_ = nullptr;
  std::vector<CURL*> idle_easy_;
  std::unordered_set<CURL*> in_flight_handles_;
  std::vector<Attempt*> socket_attempts_;  // owned; freed when complete
  std::vector<std::shared_ptr<TargetState>> targets_;
  std::vector<Due> queue_;  // a min-heap on due time
  // Results of RunOnce land here instead of the callback while it runs.
  std::vector<TargetResult>* once_results_ = nullptr;

  std::mutex mu_;
  std::optional<std::vector<Target>> pending_targets_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> checks_completed_{0};
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace abhra::probe
