#include "probe/report/report_builder.h"

#include <unordered_set>
#include <memory>

#include "aggregator/storage/storage.h"

namespace abhra::probe {

Labels MergeScrapedLabels(const Labels& target_labels, const Labels& scraped, bool honor_labels) {
  Labels out = scraped;
  for (const Label& l : target_labels) {
    if (honor_labels) {
      if (!out.Has(l.name)) out.Set(l.name, l.value);
      continue;
    }
    std::string_view existing = out.Get(l.name);
    if (!existing.empty()) {
      std::string name = "exported_" + l.name;
      while (out.Has(name)) name = "exported_" + name;
      std::string value(existing);
      out.Set(name, value);
    }
    out.Set(l.name, l.value);
  }
  return out;
}

ReportBuilder::ReportBuilder(const ProbeConfig& config)
    : env_(config.environment),
      cluster_(config.cluster),
      external_labels_(config.external_labels) {}

std::vector<Label> ReportBuilder::ProbeLabels() const {
  std::vector<Label> labels;
  labels.push_back({"env", env_});
  labels.push_back({"cluster", cluster_});
  for (const auto& [k, v] : external_labels_) labels.push_back({k, v});
  return labels;
}

Labels ReportBuilder::TargetLabels(const Target& target) const {
  std::vector<Label> labels = ProbeLabels();
  if (target.kind == TargetKind::kScrape) {
    // A scraped endpoint is its own job, as in a Prometheus scrape config.
    labels.push_back({"job", target.name});
  } else {
    // Check results: the probe's job, the target named in its own label (blackbox style).
    labels.push_back({"job", std::string(kProbeJob)});
    labels.push_back({"target", target.name});
  }
  labels.push_back({"instance", target.Instance()});
  labels.push_back({"service", target.service});
  for (const auto& [k, v] : target.labels) labels.push_back({k, v});
  return Labels(std::move(labels));
}

Labels ReportBuilder::SelfLabels() const {
  std::vector<Label> labels = ProbeLabels();
  labels.push_back({"job", std::string(kProbeJob)});
  return Labels(std::move(labels));
}

size_t ReportBuilder::tracked_series() const {
  size_t n = 0;
  for (const auto& [name, t] : targets_) n += t.last ? t.last->size() : 0;
  return n;
}

namespace {

Labels WithName(const Labels& base, std::string_view name, const std::vector<Label>& extra = {}) {
  Labels l = base;
  l.Set(kMetricName, name);
  for (const Label& e : extra) l.Set(e.name, e.value);
  return l;
}

}  // namespace

bool SameTargetIdentity(const Target& a, const Target& b) {
  return a.name == b.name && a.service == b.service && a.kind == b.kind &&
         a.Instance() == b.Instance() && a.labels == b.labels;
}

std::shared_ptr<const std::vector<ReportedSample>> ReportBuilder::Build(
    const Target& target, const TargetResult& result, std::vector<ReportedSample>* stale) {
  TargetSeries& state = targets_[target.name];
  if (state.target_labels.empty() || state.kind != target.kind ||
      state.service != target.service || state.instance != target.Instance() ||
      state.labels != target.labels) {
    state.target_labels = TargetLabels(target);
    state.kind = target.kind;
    state.service = target.service;
    state.instance = target.Instance();
    state.labels = target.labels;
  }
  const Labels& base = state.target_labels;
  const int64_t ts = result.timestamp_ms;
  const CheckResult& r = result.result;
  auto current = std::make_shared<std::vector<ReportedSample>>();
  current->reserve(r.scrape ? r.scraped.size() + 5 : r.samples.size() + 4);
  auto emit = [&](Labels labels, double v, int64_t t) {
    current->push_back({std::move(labels), t, v});
  };

  if (r.scrape) {
    emit(WithName(base, "up"), r.success ? 1 : 0, ts);
    emit(WithName(base, "scrape_duration_seconds"), r.duration_seconds, ts);
    emit(WithName(base, "scrape_samples_scraped"), static_cast<double>(r.scraped.size()), ts);
    for (const ScrapedSample& s : r.scraped) {
      emit(MergeScrapedLabels(base, s.labels, r.honor_labels), s.value,
           s.timestamp_ms >= 0 ? s.timestamp_ms : ts);
    }
  } else {
    emit(WithName(base, "probe_success"), r.success ? 1 : 0, ts);
    emit(WithName(base, "probe_duration_seconds"), r.duration_seconds, ts);
    for (const CheckSample& s : r.samples) emit(WithName(base, s.name, s.labels), s.value, ts);
  }
  if (!r.success) {
    emit(WithName(base, "abhra_probe_failure_info",
                  {{"reason", r.failure_reason.empty() ? "unknown" : r.failure_reason}}),
         1, ts);
  }
  // The version survives failed checks (which usually cannot see it). No version known, no
  // series: readers count `version` values per service (status page, AbhraVersionSkew,
  // dashboards), and a version-less series would count as one more version.
  if (!r.version.empty()) state.last_version = r.version;
  if (!state.last_version.empty()) {
    emit(WithName(base, "abhra_target_info", {{"version", state.last_version}}), 1, ts);
  }

  // Staleness: what was reported last time and not now.
  if (state.last) {
    std::unordered_set<uint64_t> now;
    now.reserve(current->size());
    for (const ReportedSample& s : *current) now.insert(s.labels.Hash());
    for (const ReportedSample& s : *state.last) {
      if (now.count(s.labels.Hash()) == 0) stale->push_back({s.labels, ts, storage::StaleNaN()});
    }
  }
  state.last = current;
  return current;
}

std::shared_ptr<const std::vector<ReportedSample>> ReportBuilder::Last(const std::string& target) const {
  auto it = targets_.find(target);
  return it == targets_.end() ? nullptr : it->second.last;
}

void ReportBuilder::Reload(const ProbeConfig& config, int64_t now_ms,
                           std::vector<ReportedSample>* out) {
  env_ = config.environment;
  cluster_ = config.cluster;
  external_labels_ = config.external_labels;
  std::unordered_map<std::string, const Target*> next;
  for (const Target& t : config.targets) next.emplace(t.name, &t);
  for (auto it = targets_.begin(); it != targets_.end();) {
    auto n = next.find(it->first);
    bool keep = n != next.end() && TargetLabels(*n->second) == it->second.target_labels;
    if (keep) {
      ++it;
      continue;
    }
    if (it->second.last) {
      for (const ReportedSample& s : *it->second.last) out->push_back({s.labels, now_ms, storage::StaleNaN()});
    }
    it = targets_.erase(it);
  }
}

}  // namespace abhra::probe
