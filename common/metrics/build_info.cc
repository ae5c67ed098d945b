#include "common/metrics/build_info.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "common/metrics/build_version.h"

namespace abhra::metrics {
namespace {

std::string CompilerVersion() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace

const BuildInfo& GetBuildInfo() {
  static const BuildInfo info{ABHRA_BUILD_VERSION, ABHRA_BUILD_REVISION, ABHRA_BUILD_BRANCH,
                              ABHRA_BUILD_USER,    ABHRA_BUILD_DATE,     CompilerVersion()};
  return info;
}

void RegisterBuildInfoMetric(prometheus::Registry* registry) {
  const BuildInfo& info = GetBuildInfo();
  prometheus::BuildGauge()
      .Name("abhra_build_info")
      .Help("A metric with a constant '1' value labeled by version, revision, branch and the "
            "compiler from which abhra was built.")
      .Register(*registry)
      .Add({{"version", info.version},
            {"revision", info.revision},
            {"branch", info.branch},
            {"compiler", info.compiler}})
      .Set(1);
}

}  // namespace abhra::metrics
