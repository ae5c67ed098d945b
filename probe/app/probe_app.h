// The abhra-probe process minus main(): loads the configuration, runs the check scheduler
// on its own thread, turns results into series (probe/report), pushes them through the
// durable remote-write pipeline (probe/push), and serves /metrics, /-/healthy, /-/ready and
// /probe/metrics. Every aggregator.self_metrics_interval it also pushes its own
// abhra_probe_* metrics (job="abhra-probe"), so the aggregator's alerts and dashboards see
// the probe's queue, drops and failures without another scraper. Reload() re-reads the
// configuration file (SIGHUP in main).
//
// Changes to the `aggregator` section take effect at the next restart; everything else
// (targets, labels, intervals) on reload. A configuration that fails to load on reload is
// logged and the running one kept.
#pragma once

#include <prometheus/metric_family.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/base/status.h"
#include "common/http/router.h"
#include "common/http/server.h"
#include "probe/app/latest_results.h"
#include "probe/check/scheduler.h"
#include "probe/config/config.h"
#include "probe/push/durable_queue.h"
#include "probe/push/sender.h"
#include "probe/report/report_builder.h"

namespace abhra::probe {

struct ProbeAppOptions {
  std::string config_path;
  std::string listen = "127.0.0.1:9115";  // "" serves no HTTP (tests)
};

struct AppCounters {
  std::atomic<int64_t> results_success{0};
  std::atomic<int64_t> results_failure{0};
  std::atomic<int64_t> enqueue_errors{0};
  std::atomic<int64_t> reloads_ok{0};
  std::atomic<int64_t> reloads_failed{0};
  std::atomic<bool> last_reload_ok{true};
  std::atomic<int64_t> last_reload_ok_ms{0};
  std::atomic<int64_t> targets{0};
};

class ProbeApp {
 public:
  // Loads the configuration (InvalidArgument listing every error), opens the queue and
  // binds the listen address. Nothing runs until Start().
  static Result<std::unique_ptr<ProbeApp>> Create(const ProbeAppOptions& options);
  ~ProbeApp();  // Stop()s
  ProbeApp(const ProbeApp&) = delete;
  ProbeApp& operator=(const ProbeApp&) = delete;

  void Start();
  // Re-reads the configuration file. Thread-safe.
  Status Reload();
  // Stops checking, flushes the queue and stops pushing and serving. Idempotent.
  void Stop();

  uint16_t http_port() const;  // 0 without a server
  const AppCounters& counters() const { return counters_; }
  const Sender* sender() const { return sender_.get(); }
  const Scheduler& scheduler() const { return *scheduler_; }
  std::string RenderLatest() const { return latest_.Render(); }

 private:
  ProbeApp() = default;
  void OnResult(const Target& target, TargetResult result);
  void Push(std::span<const ReportedSample> samples, std::span<const ReportedSample> more);
  // The abhra_probe_* families of /metrics.
  std::vector<prometheus::MetricFamily> SelfMetricFamilies() const;
  // Pushes SelfMetricFamilies() now, then every interval_ms until Stop().
  void SelfMetricsLoop(int64_t interval_ms);

  ProbeAppOptions options_;
  std::mutex mu_;  // guards config_ and builder_
  ProbeConfig config_;
  std::unique_ptr<ReportBuilder> builder_;
  // name → the configured target (points into config_.targets; guarded by mu_)
  std::unordered_map<std::string, const Target*> current_targets_;
  std::unique_ptr<DurableQueue> queue_;
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<Scheduler> scheduler_;
  std::thread scheduler_thread_;
  std::thread self_metrics_thread_;
  std::mutex self_metrics_mu_;  // with self_metrics_cv_: wakes the loop at Stop()
  std::condition_variable self_metrics_cv_;
  LatestResults latest_;
  AppCounters counters_;
  std::shared_ptr<void> collector_;  // the registered metrics collector
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace abhra::probe
