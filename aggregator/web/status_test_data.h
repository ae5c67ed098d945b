// Shared test data for the status page tests: probe series written into any storage.
#pragma once

#include <string>
#include <vector>

#include "aggregator/storage/storage.h"

namespace abhra::web::testing {

inline constexpr int64_t kMinute = 60 * 1000;
inline constexpr int64_t kHour = 60 * kMinute;

struct ProbeSeries {
  std::string env, service, instance;
  std::string cluster = "eu1";
};

inline Labels ProbeLabels(const ProbeSeries& p, const std::string& metric) {
  return Labels({{"__name__", metric}, {"cluster", p.cluster}, {"env", p.env},
                 {"instance", p.instance}, {"job", "abhra-probe"}, {"service", p.service}});
}

// Appends probe_success (value from `success(t)`) and probe_duration_seconds every `step`
// in [from, to]. Returns false on a storage error.
template <typename SuccessFn>
bool WriteProbe(storage::Appendable* db, const ProbeSeries& p, int64_t from, int64_t to,
                int64_t step, SuccessFn success, double duration_seconds = 0.2) {
  auto app = db->MakeAppender();
  Labels ok = ProbeLabels(p, "probe_success");
  Labels dur = ProbeLabels(p, "probe_duration_seconds");
  for (int64_t t = from; t <= to; t += step) {
    if (!app->Append(0, ok, t, success(t)).ok()) return false;
    if (!app->Append(0, dur, t, duration_seconds).ok()) return false;
  }
  return app->Commit().ok();
}

inline bool WriteTargetInfo(storage::Appendable* db, const std::string& env,
                            const std::string& service, const std::string& version,
                            int64_t from, int64_t to, int64_t step) {
  auto app = db->MakeAppender();
  Labels l({{"__name__", "abhra_target_info"}, {"cluster", "eu1"}, {"env", env},
            {"service", service}, {"version", version}});
  for (int64_t t = from; t <= to; t += step) {
    if (!app->Append(0, l, t, 1).ok()) return false;
  }
  return app->Commit().ok();
}

}  // namespace abhra::web::testing
