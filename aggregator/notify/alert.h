// An alert as it is sent to Alertmanager (POST /api/v2/alerts, one element of the array).
#pragma once

#include <cstdint>
#include <string>

#include "common/labels/labels.h"

namespace abhra::notify {

struct Alert {
  Labels labels;       // non-empty; alertname by convention
  Labels annotations;
  int64_t starts_at_ms = 0;  // 0: omitted (Alertmanager uses its receive time)
  int64_t ends_at_ms = 0;    // 0: omitted (Alertmanager uses now + resolve_timeout)
  std::string generator_url;
};

}  // namespace abhra::notify
