// An incident: one alert (one Alertmanager fingerprint) from the time it fired until it was
// resolved, as learnt from Alertmanager's webhook notifications.
#pragma once

#include <cstdint>
#include <string>

#include "common/labels/labels.h"

namespace abhra::incidents {

struct Incident {
  std::string id;           // "<fingerprint>@<startsAt ms>": one firing of one alert
  std::string env;          // the alert's `env` label ("" when it has none)
  std::string alertname;
  std::string fingerprint;  // Alertmanager's fingerprint of the label set
  Labels labels;
  std::string summary;      // the `summary` annotation ("" when absent)
  std::string severity;     // the `severity` label
  int64_t starts_at_ms = 0;
  int64_t resolved_at_ms = 0;  // 0 while firing; Alertmanager's endsAt once resolved
  int64_t updated_ms = 0;      // receive time of the last webhook that mentioned it
  std::string generator_url;

  bool firing() const { return resolved_at_ms == 0; }
};

}  // namespace abhra::incidents
