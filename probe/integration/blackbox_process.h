// Runs /usr/bin/prometheus-blackbox-exporter for tests on 127.0.0.1 and a free port, and
// asks it to probe targets (GET /probe?module=...&target=...).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "common/base/status.h"

namespace abhra::probe::testing {

inline constexpr const char* kBlackboxBinary = "/usr/bin/prometheus-blackbox-exporter";

class BlackboxProcess {
 public:
  // Writes `config_yaml` into dir, starts the exporter and waits until it answers.
  static Result<std::unique_ptr<BlackboxProcess>> Start(const std::string& dir,
                                                        const std::string& config_yaml);
  ~BlackboxProcess();  // SIGTERM and wait

  // The exporter's answer for one probe, as metric line → value (e.g. "probe_success" → 1,
  // "probe_http_duration_seconds{phase=\"tls\"}" → 0.001). Label sets as printed.
  Result<std::map<std::string, double>> Probe(const std::string& module, const std::string& target);
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace abhra::probe::testing
