#include "aggregator/provision/dashboards/discovery.h"

#include <map>
#include <set>

namespace abhra::provision {

Result<std::vector<EnvironmentVersions>> DiscoverEnvironments(storage::Queryable& db,
                                                               int64_t now_ms,
                                                               int64_t window_ms) {
  ABHRA_ASSIGN_OR_RETURN(auto querier, db.MakeQuerier(now_ms - window_ms, now_ms));
  storage::SelectHints hints;
  hints.start = now_ms - window_ms;
  hints.end = now_ms;
  std::map<std::string, std::set<std::string>> envs;
  for (const char* metric : {"probe_success", "abhra_target_info"}) {
    ABHRA_ASSIGN_OR_RETURN(Matcher env_set, Matcher::Make(MatchType::kRegexMatch, "env", ".+"));
    std::vector<Matcher> matchers = {Matcher::Equal("__name__", metric), env_set};
    auto set = querier->Select(false, hints, matchers);
    bool info = std::string_view(metric) == "abhra_target_info";
    while (set->Next()) {
      // Storages may return series whose samples all lie outside the window; only a
      // sample inside it counts.
      auto it = set->At().Iterator();
      if (!it->Seek(now_ms - window_ms) || it->At().t > now_ms) continue;
      const Labels& l = set->At().labels();
      auto& versions = envs[std::string(l.Get("env"))];
      if (info) {
        std::string_view v = l.Get("version");
        if (!v.empty()) versions.insert(std::string(v));
      }
    }
    ABHRA_RETURN_IF_ERROR(set->Err());
  }
  std::vector<EnvironmentVersions> out;
  for (auto& [env, versions] : envs) {
    out.push_back({env, std::vector<std::string>(versions.begin(), versions.end())});
  }
  return out;
}

}  // namespace abhra::provision
