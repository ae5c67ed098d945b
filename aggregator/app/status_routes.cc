#include "aggregator/app/status_routes.h"

#include <nlohmann/json.hpp>

#include "common/metrics/build_info.h"

namespace abhra::aggregator {

std::string BuildInfoJson() {
  const metrics::BuildInfo& info = metrics::GetBuildInfo();
  nlohmann::ordered_json data = {
      {"version", info.version},       {"revision", info.revision},
      {"branch", info.branch},         {"buildUser", info.build_user},
      {"buildDate", info.build_date},  {"goVersion", info.compiler},
  };
  nlohmann::ordered_json envelope = {{"status", "success"}, {"data", std::move(data)}};
  return envelope.dump();
}

void RegisterStatusRoutes(http::Router* router, const std::atomic<bool>* ready) {
  router->Handle("GET", "/-/healthy", [](const http::Request&, http::Response* response) {
    response->SetText(200, "Healthy");
  });
  router->Handle("GET", "/-/ready", [ready](const http::Request&, http::Response* response) {
    if (ready->load()) {
      response->SetText(200, "Ready");
    } else {
      response->SetText(503, "Service Unavailable");
    }
  });
  router->Handle("GET", "/api/v1/status/buildinfo",
                 [](const http::Request&, http::Response* response) {
                   response->SetJson(200, BuildInfoJson());
                 });
}

}  // namespace abhra::aggregator
