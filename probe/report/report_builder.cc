#include "probe/report/report_builder.h"

#include <unordered_set>

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

Labels ReportBuilder::TargetLabels(const Target& target) const {
  std::vector<Label> labels;
  labels.push_back({"env", env_});
  labels.push_back({"cluster", cluster_});
  for (const auto& [k, v] : external_labels_) labels.push_back({k, v});
  labels.push_back({"job", target.name});
  labels.push_back({"instance", target.Instance()});
  labels.push_back({"service", target.service});
  for (const auto& [k, v] : target.labels) labels.push_back({k, v});
  return Labels(std::move(labels));
}

size_t ReportBuilder::tracked_series() const {
  size_t n = 0;
  for (const auto& [name, t] : targets_) n += t.series.size();
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

void ReportBuilder::Build(const Target& target, const TargetResult& result,
                          std::vector<ReportedSample>* out) {
  TargetSeries& state = targets_[target.name];
  Labels base = TargetLabels(target);
  if (!(state.target_labels == base)) state.target_labels = base;
  const int64_t ts = result.timestamp_ms;
  const CheckResult& r = result.result;
  size_t first = out->size();
  auto emit = [&](Labels labels, double v, int64_t t) {
    out->push_back({std::move(labels), t, v});
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
  // The version survives failed checks (which usually cannot see it).
  if (!r.version.empty()) state.last_version = r.version;
  std::vector<Label> info_labels;
  if (!state.last_version.empty()) info_labels.push_back({"version", state.last_version});
  emit(WithName(base, "abhra_target_info", info_labels), 1, ts);

  // Staleness: what was reported last time and not now.
  std::unordered_map<uint64_t, Labels> current;
  current.reserve(out->size() - first);
  for (size_t i = first; i < out->size(); ++i) {
    current.emplace((*out)[i].labels.Hash(), (*out)[i].labels);
  }
  for (auto& [hash, labels] : state.series) {
    if (current.count(hash) == 0) out->push_back({labels, ts, storage::StaleNaN()});
  }
  state.series = std::move(current);
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
    for (auto& [hash, labels] : it->second.series) out->push_back({labels, now_ms, storage::StaleNaN()});
    it = targets_.erase(it);
  }
}

}  // namespace abhra::probe
