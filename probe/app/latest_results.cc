#include "probe/app/latest_results.h"

#include <algorithm>
#include <cmath>
#include <set>


namespace abhra::probe {

void LatestResults::Set(const std::string& target,
                        std::shared_ptr<const std::vector<ReportedSample>> samples) {
  if (samples == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  by_target_[target] = std::move(samples);
}

void LatestResults::Retain(const std::vector<std::string>& targets) {
  std::set<std::string> keep(targets.begin(), targets.end());
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_target_.begin(); it != by_target_.end();) {
    it = keep.count(it->first) ? std::next(it) : by_target_.erase(it);
  }
}

std::string LatestResults::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [target, samples] : by_target_) {
    for (const ReportedSample& s : *samples) {
      std::string value;
      if (std::isnan(s.value)) {
        value = "NaN";
      } else if (std::isinf(s.value)) {
        value = s.value > 0 ? "+Inf" : "-Inf";
      } else {
        value = fmt::format("{}", s.value);
      }
      out += fmt::format("{} {} {}\n", s.labels.ToString(), value, s.timestamp_ms);
    }
  }
  return out;
}

}  // namespace abhra::probe
