#include "aggregator/web/status_collector.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace abhra::web {

std::string_view ServiceStateName(ServiceState s) {
  switch (s) {
    case ServiceState::kUp: return "up";
    case ServiceState::kDegraded: return "degraded";
    case ServiceState::kDown: return "down";
    case ServiceState::kNoData: return "no data";
  }
  return "?";
}

namespace {

using Key = std::pair<std::string, std::string>;  // env, service

Key KeyOf(const Labels& l) { return {std::string(l.Get("env")), std::string(l.Get("service"))}; }

std::string Seconds(int64_t ms) {
  if (ms % (24 * 3600 * 1000) == 0) return fmt::format("{}d", ms / (24 * 3600 * 1000));
  if (ms % (3600 * 1000) == 0) return fmt::format("{}h", ms / (3600 * 1000));
  if (ms % 60000 == 0) return fmt::format("{}m", ms / 60000);
  return fmt::format("{}s", std::max<int64_t>(1, ms / 1000));
}

}  // namespace

StatusCollector::StatusCollector(storage::Queryable* db, StatusCollectorOptions options,
                                 const Clock* clock)
    : db_(db), options_(std::move(options)), clock_(clock) {}

StatusPageData StatusCollector::Collect() const {
  const auto t0 = std::chrono::steady_clock::now();
  StatusPageData data;
  const int64_t now = clock_->NowMillis();
  data.generated_ms = now;
  std::map<Key, ServiceStatus> by_key;
  auto service = [&](const Key& k) -> ServiceStatus& {
    ServiceStatus& s = by_key[k];
    s.env = k.first;
    s.service = k.second;
    return s;
  };
  promql::QueryOptions qopts;
  qopts.timeout = std::chrono::seconds(20);
  const std::string sel = "probe_success{" + options_.probe_selector + "}";

  // Instant query -> per (env, service) value.
  auto instant = [&](const std::string& q) -> std::map<Key, double> {
    std::map<Key, double> out;
    ++data.queries;
    auto r = engine_.InstantQuery(*db_, q, now, qopts);
    if (!r.ok()) {
      data.errors.push_back(fmt::format("query {} failed: {}", q, r.status().message()));
      return out;
    }
    if (auto* v = std::get_if<promql::Vector>(&r->value)) {
      for (const promql::Sample& s : *v) out[KeyOf(s.metric)] = s.f;
    }
    return out;
  };

  auto now_min = instant(fmt::format("min by (env, service) ({})", sel));
  auto now_max = instant(fmt::format("max by (env, service) ({})", sel));
  auto now_count = instant(fmt::format("count by (env, service) ({})", sel));
  auto now_up = instant(fmt::format("sum by (env, service) ({})", sel));
  auto newest = instant(fmt::format("max by (env, service) (timestamp({}))", sel));
  auto window_min = instant(fmt::format("min by (env, service) (min_over_time({}[{}]))", sel,
                                        Seconds(options_.state_window_ms)));
  for (const auto& [k, ts] : newest) {
    ServiceStatus& s = service(k);
    s.last_sample_ms = static_cast<int64_t>(std::llround(ts * 1000));
  }
  // Every service probed within the list window. A series without a sample in the lookback
  // (a dead probe) is walked to its newest sample, so the page can say since when.
  {
    auto q = db_->MakeQuerier(now - options_.list_window_ms, now);
    if (!q.ok()) {
      data.errors.push_back("cannot read storage: " + q.status().message());
    } else {
      storage::SelectHints hints;
      hints.start = now - options_.list_window_ms;
      hints.end = now;
      auto matchers = std::vector<Matcher>{Matcher::Equal("__name__", "probe_success")};
      auto set = (*q)->Select(false, hints, matchers);
      while (set->Next()) {
        // Only series with a result inside the window (storages may return others).
        auto it = set->At().Iterator();
        if (!it->Seek(now - options_.list_window_ms) || it->At().t > now) continue;
        Key k = KeyOf(set->At().labels());
        if (k.first.empty() && k.second.empty()) continue;
        ServiceStatus& s = service(k);
        ++s.instances_known;
        if (!newest.count(k)) {
          int64_t last = it->At().t;
          while (it->Next() && it->At().t <= now) last = it->At().t;
          s.last_sample_ms = std::max(s.last_sample_ms, last);
        }
      }
      if (!set->Err().ok()) data.errors.push_back("cannot list services: " + set->Err().message());
    }
  }

  for (auto& [k, s] : by_key) {
    auto mn = now_min.find(k), mx = now_max.find(k);
    bool fresh = s.last_sample_ms > 0 && now - s.last_sample_ms <= options_.stale_after_ms;
    if (!fresh || mn == now_min.end() || mx == now_max.end()) {
      s.state = ServiceState::kNoData;
      continue;
    }
    s.instances_total = static_cast<int>(now_count.count(k) ? now_count[k] : 0);
    s.instances_up = static_cast<int>(now_up.count(k) ? now_up[k] : 0);
    s.failed_recently = window_min.count(k) && window_min[k] < 1;
    if (mx->second < 1) {
      s.state = ServiceState::kDown;
    } else if (mn->second < 1 || (window_min.count(k) && window_min[k] < 1) ||
               s.instances_total < s.instances_known) {
      s.state = ServiceState::kDegraded;
    } else {
      s.state = ServiceState::kUp;
    }
  }

  // Versions.
  {
    ++data.queries;
    auto r = engine_.InstantQuery(
        *db_, "count by (env, service, version) (last_over_time(abhra_target_info[10m]))", now,
        qopts);
    if (!r.ok()) {
      data.errors.push_back("versions query failed: " + r.status().message());
    } else if (auto* v = std::get_if<promql::Vector>(&r->value)) {
      for (const promql::Sample& s : *v) {
        Key k = KeyOf(s.metric);
        auto it = by_key.find(k);
        if (it == by_key.end()) continue;  // a target without probe results is not listed
        it->second.versions.emplace_back(s.metric.Get("version"));
      }
    }
  }

  // Uptime.
  for (int64_t window : {int64_t{24} * 3600 * 1000, int64_t{7} * 24 * 3600 * 1000,
                         int64_t{30} * 24 * 3600 * 1000}) {
    std::string w = Seconds(window);
    auto ratio = instant(fmt::format(
        "sum by (env, service) (sum_over_time({0}[{1}])) / sum by (env, service) "
        "(count_over_time({0}[{1}]))",
        sel, w));
    for (const auto& [k, v] : ratio) {
      auto it = by_key.find(k);
      if (it == by_key.end() || std::isnan(v)) continue;
      std::optional<double>& slot = window == 24LL * 3600 * 1000 ? it->second.uptime_24h
                                    : window == 7LL * 24 * 3600 * 1000 ? it->second.uptime_7d
                                                                       : it->second.uptime_30d;
      slot = v;
    }
  }

  // Latency sparkline.
  {
    ++data.queries;
    const int64_t step = options_.sparkline_step_ms;
    const int64_t end = now - now % step;
    const int64_t start = end - options_.sparkline_window_ms;
    const size_t points = static_cast<size_t>((end - start) / step) + 1;
    auto r = engine_.RangeQuery(
        *db_,
        fmt::format("avg by (env, service) (probe_duration_seconds{{{}}})", options_.probe_selector),
        start, end, step, qopts);
    if (!r.ok()) {
      data.errors.push_back("latency query failed: " + r.status().message());
    } else if (auto* m = std::get_if<promql::Matrix>(&r->value)) {
      for (const promql::Series& series : *m) {
        auto it = by_key.find(KeyOf(series.metric));
        if (it == by_key.end()) continue;
        std::vector<double>& pts = it->second.latency_seconds;
        pts.assign(points, std::nan(""));
        for (const promql::FPoint& p : series.floats) {
          size_t i = static_cast<size_t>((p.t - start) / step);
          if (i < points) pts[i] = p.f;
        }
        if (!series.floats.empty() && series.floats.back().t == end &&
            it->second.state != ServiceState::kNoData) {
          it->second.latency_now_seconds = series.floats.back().f;
        }
      }
    }
  }

  for (auto& [k, s] : by_key) {
    std::sort(s.versions.begin(), s.versions.end());
    data.services.push_back(std::move(s));
  }
  data.collect_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return data;
}

}  // namespace abhra::web
