// The Prometheus HTTP query API (interfaces.md §1), as Grafana and promtool use it:
// /api/v1/{query,query_range,format_query,labels,label/<name>/values,series,metadata,
// query_exemplars,rules,alerts}. Reads go through storage::Queryable and the PromQL engine.
// Handlers are thread-safe; queries beyond `max_concurrent_queries` wait for a slot until
// their timeout.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/storage/storage.h"
#include "common/base/clock.h"
#include "common/base/status.h"
#include "common/http/router.h"

namespace abhra::api {

struct PrometheusApiOptions {
  promql::QueryOptions query;          // defaults; `timeout` may only be lowered per request
  int64_t max_points_per_series = 11000;
  int max_concurrent_queries = 20;
  const Clock* clock = &Clock::Real();
};

// Sources for /api/v1/rules and /api/v1/alerts, filled in by the rule manager. Each returns
// the `data` JSON for the request's parameters, or an error (InvalidArgument → bad_data).
struct RulesSource {
  std::function<Result<std::string>(const http::Params&)> rules;
  std::function<Result<std::string>(const http::Params&)> alerts;
};

class PrometheusApi {
 public:
  // REQUIRES: *db outlives the API.
  PrometheusApi(storage::Queryable* db, PrometheusApiOptions options);
  void SetRulesSource(RulesSource source) { rules_ = std::move(source); }
  void RegisterRoutes(http::Router* router);

 private:
  void Query(const http::Request& req, http::Response* resp);
  void QueryRange(const http::Request& req, http::Response* resp);
  void FormatQuery(const http::Request& req, http::Response* resp);
  // Shared by query and query_range: limit and options parameters, a query slot, the run,
  // the error mapping and the encoding of the result.
  void RunQuery(const http::Params& p, http::Response* resp,
                const std::function<Result<promql::QueryResult>(const promql::QueryOptions&)>& run);
  void LabelNames(const http::Request& req, http::Response* resp);
  void LabelValues(const http::Request& req, http::Response* resp);
  void SeriesMatch(const http::Request& req, http::Response* resp);
  // Shared by labels and label values: parses start/end/limit/match[], runs `lookup` per
  // match[] set and answers the sorted union.
  void CollectLabelStrings(
      const http::Request& req, http::Response* resp,
      const std::function<Result<std::vector<std::string>>(storage::Querier&,
                                                           const std::vector<Matcher>&)>& lookup);
  void Metadata(const http::Request& req, http::Response* resp);
  void Exemplars(const http::Request& req, http::Response* resp);
  void Rules(const http::Request& req, http::Response* resp);
  void Alerts(const http::Request& req, http::Response* resp);

  // Waits for a query slot until `deadline_ms` of the steady clock; false on timeout.
  bool AcquireSlot(std::chrono::milliseconds wait);
  void ReleaseSlot();

  storage::Queryable* db_;
  PrometheusApiOptions options_;
  promql::Engine engine_;
  RulesSource rules_;

  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  int running_queries_ = 0;  // guarded by slots_mu_
};

// Decodes a label name from the URL path, including Prometheus' "U__" escaping of UTF-8
// names ("U__a_2e_b" → "a.b", "__" → "_"). InvalidArgument when malformed.
Result<std::string> DecodeLabelNameFromPath(std::string_view segment);

}  // namespace abhra::api
