// What was built, from where: reported by /api/v1/status/buildinfo and abhra_build_info.
#pragma once

#include <string>

namespace prometheus {
class Registry;
}

namespace abhra::metrics {

struct BuildInfo {
  std::string version;     // the CMake project version, e.g. "0.1.0"
  std::string revision;    // git commit at configure time, "unknown" outside a checkout
  std::string branch;      // git branch at configure time
  std::string build_user;  // user@host that configured the build
  std::string build_date;  // configure time, "20261123-09:40:00" (Prometheus' layout)
  std::string compiler;    // e.g. "gcc 12.2.0"; reported where Prometheus says goVersion
};

// Fixed at build (configure) time. Thread-safe.
const BuildInfo& GetBuildInfo();

// Registers the gauge abhra_build_info{version,revision,branch,compiler} = 1.
void RegisterBuildInfoMetric(prometheus::Registry* registry);

}  // namespace abhra::metrics
