// IncidentStore: the incident history per environment, fed by Alertmanager's webhook
// (POST /api/v1/alertmanager/webhook, payload version 4; unknown keys are ignored) and
// served at GET /api/v1/incidents?env=&state=firing|resolved&limit= and to the status page.
// Durable: every change is appended to an IncidentLog in the data dir before the webhook is
// acknowledged. Retention: at most `max_incidents` (the oldest resolved ones go first).
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aggregator/incidents/incident.h"
#include "aggregator/incidents/incident_log.h"
#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/http/router.h"

namespace abhra::incidents {

struct IncidentStoreOptions {
  std::string path;  // the log file, e.g. <data dir>/incidents.log
  size_t max_incidents = 10000;
  const Clock* clock = &Clock::Real();
};

class IncidentStore {
 public:
  static Result<std::unique_ptr<IncidentStore>> Open(IncidentStoreOptions options);

  // Applies one webhook payload. InvalidArgument for a body that is not a version 4
  // payload (the message says what is wrong); IOError when it cannot be persisted.
  Status HandleWebhook(std::string_view body);

  // Newest first (by start time). `env` "" = every environment; `state` "", "firing" or
  // "resolved". limit 0 = all.
  std::vector<Incident> Query(std::string_view env, std::string_view state, size_t limit) const;
  // For the status page: the newest `limit` incidents of `env` ("" = all).
  std::vector<Incident> Recent(size_t limit, std::string_view env = "") const {
    return Query(env, "", limit);
  }

  // POST /api/v1/alertmanager/webhook and GET /api/v1/incidents.
  void RegisterRoutes(http::Router* router);

  size_t size() const;

 private:
  IncidentStore(IncidentStoreOptions options, std::unique_ptr<IncidentLog> log,
                std::map<std::string, Incident> incidents)
      : options_(std::move(options)), log_(std::move(log)), incidents_(std::move(incidents)) {}
  Status EnforceRetention();  // REQUIRES: mu_ held

  IncidentStoreOptions options_;
  mutable std::mutex mu_;
  std::unique_ptr<IncidentLog> log_;           // guarded by mu_
  std::map<std::string, Incident> incidents_;  // by id; guarded by mu_
};

// Parses RFC 3339 ("2026-11-23T10:00:00.123456789Z", "...+02:00") to ms since the epoch.
// Go's zero time ("0001-01-01T00:00:00Z") gives 0.
Result<int64_t> ParseRfc3339(std::string_view text);

// The JSON of one incident in /api/v1/incidents.
std::string IncidentJson(const Incident& incident);

}  // namespace abhra::incidents
