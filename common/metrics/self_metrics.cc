#include "common/metrics/self_metrics.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include <prometheus/text_serializer.h>

#include "common/metrics/build_info.h"
#include "common/metrics/process_collector.h"

namespace abhra::metrics {
namespace {

struct SelfMetrics {
  SelfMetrics() {
    RegisterBuildInfoMetric(&registry);
    collectables.push_back(process);
  }
  prometheus::Registry registry;
  std::shared_ptr<ProcessCollector> process = std::make_shared<ProcessCollector>();
  std::mutex mu;
  std::vector<std::weak_ptr<prometheus::Collectable>> collectables;  // guarded by mu
};

SelfMetrics& Instance() {
  static SelfMetrics* instance = new SelfMetrics();  // never destroyed: used until exit
  return *instance;
}

}  // namespace

prometheus::Registry& SelfRegistry() { return Instance().registry; }

void AddCollectable(const std::shared_ptr<prometheus::Collectable>& collectable) {
  SelfMetrics& self = Instance();
  std::lock_guard<std::mutex> lock(self.mu);
  self.collectables.push_back(collectable);
}

std::string RenderSelfMetrics() {
  SelfMetrics& self = Instance();
  std::vector<prometheus::MetricFamily> families = self.registry.Collect();
  {
    std::lock_guard<std::mutex> lock(self.mu);
    auto& c = self.collectables;
    c.erase(std::remove_if(c.begin(), c.end(), [](const auto& w) { return w.expired(); }),
            c.end());
    for (const auto& weak : c) {
      if (auto collectable = weak.lock()) {
        auto more = collectable->Collect();
        families.insert(families.end(), std::make_move_iterator(more.begin()),
                        std::make_move_iterator(more.end()));
      }
    }
  }
  std::sort(families.begin(), families.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return prometheus::TextSerializer().Serialize(families);
}

void RegisterMetricsRoute(http::Router* router) {
  router->Handle("GET", "/metrics", [](const http::Request&, http::Response* response) {
    response->status = 200;
    response->body = RenderSelfMetrics();
    response->SetContentType(kTextContentType);
  });
}

}  // namespace abhra::metrics
