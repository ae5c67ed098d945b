#include "probe/app/probe_app.h"

#include "common/base/logging.h"
#include "common/metrics/self_metrics.h"
#include "probe/app/probe_collector.h"
#include "probe/config/config_loader.h"
#include "probe/scrape/scrape_check.h"

namespace abhra::probe {

Result<std::unique_ptr<ProbeApp>> ProbeApp::Create(const ProbeAppOptions& options) {
  std::unique_ptr<ProbeApp> app(new ProbeApp());
  app->options_ = options;
  ABHRA_ASSIGN_OR_RETURN(app->config_, LoadConfigFile(options.config_path));
  const ProbeConfig& cfg = app->config_;
  app->builder_ = std::make_unique<ReportBuilder>(cfg);
  for (const Target& t : cfg.targets) app->current_targets_[t.name] = &t;
  if (cfg.aggregator) {
    DurableQueue::Options q;
    q.dir = cfg.aggregator->queue.dir;
    q.max_bytes = cfg.aggregator->queue.max_bytes;
    ABHRA_ASSIGN_OR_RETURN(app->queue_, DurableQueue::Open(q));
    app->sender_ = std::make_unique<Sender>(*cfg.aggregator, app->queue_.get());
  } else {
    LOG_WARN("probe", "no aggregator configured: results are only served at /probe/metrics");
  }
  ProbeApp* self = app.get();
  app->scheduler_ = std::make_unique<Scheduler>(
      Clock::Real(), MakeProbeCheck,
      [self](const Target& t, TargetResult r) { self->OnResult(t, std::move(r)); });
  app->scheduler_->SetTargets(cfg.targets);
  app->counters_.targets.store(static_cast<int64_t>(cfg.targets.size()));
  app->counters_.last_reload_ok_ms.store(Clock::Real().NowMillis());

  auto collector =
      std::make_shared<ProbeCollector>([self] { return self->SelfMetricFamilies(); });
  metrics::AddCollectable(collector);
  app->collector_ = collector;

  if (!options.listen.empty()) {
    metrics::RegisterMetricsRoute(&app->router_);
    app->router_.Handle("GET", "/-/healthy", [](const http::Request&, http::Response* r) {
      r->SetText(200, "abhra-probe is healthy.\n");
    });
    app->router_.Handle("GET", "/-/ready", [self](const http::Request&, http::Response* r) {
      if (self->ready_.load()) {
        r->SetText(200, "abhra-probe is ready.\n");
      } else {
        r->SetText(503, "abhra-probe is not ready.\n");
      }
    });
    app->router_.Handle("GET", "/probe/metrics", [self](const http::Request&, http::Response* r) {
      r->SetText(200, self->latest_.Render());
      r->SetContentType(metrics::kTextContentType);
    });
    http::ServerOptions server_options;
    server_options.listen = options.listen;
    server_options.handler_threads = 2;
    ABHRA_ASSIGN_OR_RETURN(app->server_, http::Server::Start(server_options, &app->router_));
    LOG_INFO("probe", "serving HTTP", "listen={}", app->server_->address());
  }
  return app;
}

std::vector<prometheus::MetricFamily> ProbeApp::SelfMetricFamilies() const {
  std::vector<prometheus::MetricFamily> out;
  const AppCounters& c = counters_;
  out.push_back(GaugeFamily("abhra_probe_targets", "Configured targets.",
                            static_cast<double>(c.targets.load())));
  auto results = CounterFamily("abhra_probe_check_results_total",
                               "Finished checks and scrapes by outcome.", 0);
  results.metric.clear();
  AddLabelled(&results, {{"result", "success"}}, static_cast<double>(c.results_success.load()));
  AddLabelled(&results, {{"result", "failure"}}, static_cast<double>(c.results_failure.load()));
  out.push_back(std::move(results));
  out.push_back(GaugeFamily("abhra_probe_checks_in_flight", "Checks running now.",
                            static_cast<double>(scheduler_->checks_in_flight())));
  out.push_back(GaugeFamily("abhra_probe_config_last_reload_successful",
                            "1 if the last configuration reload succeeded.",
                            c.last_reload_ok.load() ? 1 : 0));
  out.push_back(GaugeFamily("abhra_probe_config_last_reload_success_timestamp_seconds",
                            "When the configuration was last loaded successfully.",
                            static_cast<double>(c.last_reload_ok_ms.load()) / 1000));
  if (sender_) {
    const PushStats& p = sender_->stats();
    // Named like Prometheus' own prometheus_remote_storage_* metrics, under one prefix.
    out.push_back(CounterFamily("abhra_probe_remote_write_samples_enqueued_total",
                                "Samples appended to the remote-write queue.",
                                static_cast<double>(p.samples_enqueued.load())));
    out.push_back(CounterFamily("abhra_probe_remote_write_samples_sent_total",
                                "Samples the aggregator accepted.",
                                static_cast<double>(p.samples_sent.load())));
    auto dropped = CounterFamily("abhra_probe_remote_write_samples_dropped_total",
                                 "Samples given up on, by reason.", 0);
    dropped.metric.clear();
    QueueStats q = queue_->stats();
    AddLabelled(&dropped, {{"reason", "rejected"}},
                static_cast<double>(p.samples_dropped_rejected.load()));
    AddLabelled(&dropped, {{"reason", "queue_full"}}, static_cast<double>(q.dropped_items));
    AddLabelled(&dropped, {{"reason", "corrupt"}},
                static_cast<double>(p.samples_dropped_corrupt.load() + q.corrupt_records));
    out.push_back(std::move(dropped));
    out.push_back(CounterFamily("abhra_probe_remote_write_requests_total",
                                "Remote-write requests sent.",
                                static_cast<double>(p.requests_sent.load())));
    out.push_back(CounterFamily(
        "abhra_probe_remote_write_requests_failed_total",
        "Remote-write requests without a 2xx answer (network error, 5xx and 429 are retried; "
        "other 4xx drop their samples).",
        static_cast<double>(p.requests_failed.load())));
    out.push_back(GaugeFamily("abhra_probe_remote_write_last_success_timestamp_seconds",
                              "When the aggregator last accepted a request.",
                              static_cast<double>(p.last_success_ms.load()) / 1000));
    out.push_back(GaugeFamily("abhra_probe_remote_write_queue_bytes",
                              "Bytes in the durable remote-write queue.",
                              static_cast<double>(q.bytes)));
  }
  return out;
}

ProbeApp::~ProbeApp() { Stop(); }

uint16_t ProbeApp::http_port() const { return server_ ? server_->port() : 0; }

void ProbeApp::Start() {
  if (sender_) sender_->Start();
  scheduler_thread_ = std::thread([this] { scheduler_->Run(); });
  if (sender_ && config_.aggregator->self_metrics_interval_ms > 0) {
    const int64_t interval_ms = config_.aggregator->self_metrics_interval_ms;
    self_metrics_thread_ = std::thread([this, interval_ms] { SelfMetricsLoop(interval_ms); });
  }
  ready_.store(true);
  LOG_INFO("probe", "started", "env={} cluster={} targets={}", config_.environment,
           config_.cluster, config_.targets.size());
}

void ProbeApp::Stop() {
  if (stopped_.exchange(true)) return;
  ready_.store(false);
  if (scheduler_) scheduler_->Stop();
  if (scheduler_thread_.joinable()) scheduler_thread_.join();
  {
    std::lock_guard<std::mutex> lock(self_metrics_mu_);
    self_metrics_cv_.notify_all();
  }
  if (self_metrics_thread_.joinable()) self_metrics_thread_.join();
  if (sender_) sender_->Stop();
  if (server_) server_->Shutdown(std::chrono::seconds(2));
  collector_.reset();
}

void ProbeApp::Push(std::span<const ReportedSample> samples, std::span<const ReportedSample> more) {
  if (!sender_ || samples.size() + more.size() == 0) return;
  Status st = sender_->Enqueue(samples, more);
  if (!st.ok()) {
    counters_.enqueue_errors.fetch_add(1);
    LOG_ERROR("probe", "cannot enqueue samples", "err={}", LogfmtValue(st.ToString()));
  }
}

void ProbeApp::SelfMetricsLoop(int64_t interval_ms) {
  std::unique_lock<std::mutex> lock(self_metrics_mu_);
  while (!stopped_.load()) {
    lock.unlock();
    Labels base;
    {
      std::lock_guard<std::mutex> config_lock(mu_);  // env and labels change on reload
      base = builder_->SelfLabels();
    }
    std::vector<ReportedSample> samples =
        FamilySamples(SelfMetricFamilies(), base, Clock::Real().NowMillis());
    Push(samples, {});
    lock.lock();
    self_metrics_cv_.wait_for(lock, std::chrono::milliseconds(interval_ms),
                              [this] { return stopped_.load(); });
  }
}

void ProbeApp::OnResult(const Target& target, TargetResult result) {
  (result.result.success ? counters_.results_success : counters_.results_failure).fetch_add(1);
  if (!result.result.success) {
    LOG_DEBUG("probe", "check failed", "target={} reason={} detail={}", target.name,
              result.result.failure_reason, LogfmtValue(result.result.failure_detail));
  }
  std::shared_ptr<const std::vector<ReportedSample>> current;
  std::vector<ReportedSample> stale;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A result that raced with a reload for a target that is gone or changed is dropped, so
    // it cannot resurrect series that just got their stale markers.
    auto it = current_targets_.find(target.name);
    if (it == current_targets_.end() || !SameTargetIdentity(*it->second, target)) return;
    current = builder_->Build(target, result, &stale);
    latest_.Set(target.name, current);
  }
  Push(*current, stale);
}

Status ProbeApp::Reload() {
  auto loaded = LoadConfigFile(options_.config_path);
  if (!loaded.ok()) {
    counters_.reloads_failed.fetch_add(1);
    counters_.last_reload_ok.store(false);
    LOG_ERROR("probe", "configuration reload failed; keeping the running one", "err={}",
              LogfmtValue(loaded.status().message()));
    return loaded.status();
  }
  ProbeConfig next = std::move(loaded).value();
  std::vector<ReportedSample> stale;
  std::vector<std::string> names;
  for (const Target& t : next.targets) names.push_back(t.name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    builder_->Reload(next, Clock::Real().NowMillis(), &stale);
    bool aggregator_changed =
        next.aggregator.has_value() != config_.aggregator.has_value() ||
        (next.aggregator && config_.aggregator && next.aggregator->url != config_.aggregator->url);
    if (aggregator_changed) {
      LOG_WARN("probe", "aggregator settings changed; they take effect after a restart");
    }
    config_.environment = next.environment;
    config_.cluster = next.cluster;
    config_.external_labels = next.external_labels;
    config_.targets = next.targets;
    current_targets_.clear();
    for (const Target& t : config_.targets) current_targets_[t.name] = &t;
  }
  latest_.Retain(names);
  Push(stale, {});
  scheduler_->SetTargets(std::move(next.targets));
  counters_.targets.store(static_cast<int64_t>(names.size()));
  counters_.reloads_ok.fetch_add(1);
  counters_.last_reload_ok.store(true);
  counters_.last_reload_ok_ms.store(Clock::Real().NowMillis());
  LOG_INFO("probe", "configuration reloaded", "targets={} stale_series={}", names.size(),
           stale.size());
  return Status::Ok();
}

}  // namespace abhra::probe
