// Turns check and scrape results into labelled samples ready to push, and keeps the state
// Prometheus keeps per target so that series which disappear get a stale marker.
//
// Every series carries env, cluster, the external labels, instance (URL, host:port or DNS
// server), service and the target's own labels, and names the target:
//   checks (http, health, tcp, dns): job="abhra-probe" (kProbeJob) and target="<name>", as
//     blackbox_exporter results look in Prometheus (the status page, alerts and dashboards
//     select job="abhra-probe" and group by service);
//   scrapes: job="<name>", as a Prometheus scrape job (so up{job!="abhra-probe"} is the
//     scraped endpoints).
// Per result it reports:
//   checks: probe_success, probe_duration_seconds, the check's probe_*
//     samples, abhra_probe_failure_info{reason} = 1 while failing (absent, hence stale, when
//     the check passes), abhra_target_info{version} = 1 once a version is known (the last one
//     seen, kept while checks fail; no series before).
//   scrapes: up, scrape_duration_seconds, scrape_samples_scraped, every exposed sample (target
//     labels win clashes and the scraped value moves to exported_<name>, unless honor_labels),
//     abhra_probe_failure_info and abhra_target_info as above.
// A series reported for a target last time but not this time gets a StaleNaN sample at this
// result's timestamp; every series of a target removed by a reload gets one at reload time.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/labels/labels.h"
#include "probe/check/scheduler.h"
#include "probe/config/config.h"

namespace abhra::probe {

// The `job` of check results and of the probe's own metrics.
inline constexpr std::string_view kProbeJob = "abhra-probe";

struct ReportedSample {
  Labels labels;
  int64_t timestamp_ms = 0;
  double value = 0;
};

class ReportBuilder {
 public:
  explicit ReportBuilder(const ProbeConfig& config);

  // Returns the samples of one result (shared and immutable; also what Last() returns next)
  // and appends stale markers for the series that vanished since the last result to *stale.
  std::shared_ptr<const std::vector<ReportedSample>> Build(const Target& target,
                                                           const TargetResult& result,
                                                           std::vector<ReportedSample>* stale);

  // Switches to a new configuration. Targets that are gone, or whose labels changed, get
  // stale markers at now_ms for every series they last reported.
  void Reload(const ProbeConfig& config, int64_t now_ms, std::vector<ReportedSample>* out);

  // The labels every series of `target` starts from.
  Labels TargetLabels(const Target& target) const;
  // The labels of the probe's own metrics when pushed: env, cluster, the external labels and
  // job="abhra-probe" (env and cluster identify the probe; no instance).
  Labels SelfLabels() const;

  size_t tracked_series() const;

  // The samples of the target's latest result (without stale markers); null if none. Shared
  // and immutable, so the app can serve it without another copy.
  std::shared_ptr<const std::vector<ReportedSample>> Last(const std::string& target) const;

 private:
  struct TargetSeries {
    // What the cached target_labels were made from.
    TargetKind kind = TargetKind::kHttp;
    std::string service;
    std::string instance;
    std::map<std::string, std::string> labels;
    Labels target_labels;
    std::shared_ptr<const std::vector<ReportedSample>> last;  // for staleness and serving
    std::string last_version;
  };
  std::vector<Label> ProbeLabels() const;  // env, cluster and the external labels
  void BuildScrape(const Labels& base, const TargetResult& result, std::vector<ReportedSample>* out);

  std::string env_;
  std::string cluster_;
  std::map<std::string, std::string> external_labels_;
  std::unordered_map<std::string, TargetSeries> targets_;  // by target name
};

// True when two targets produce the same series labels (name, kind, service, instance, labels).
bool SameTargetIdentity(const Target& a, const Target& b);

// Prometheus' honor_labels merge of a scraped sample's labels with the target's labels.
Labels MergeScrapedLabels(const Labels& target_labels, const Labels& scraped, bool honor_labels);

}  // namespace abhra::probe
