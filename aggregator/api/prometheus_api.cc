#include "aggregator/api/prometheus_api.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "aggregator/api/envelope.h"
#include "aggregator/api/json_writer.h"
#include "aggregator/api/params.h"
#include "aggregator/api/value_json.h"
#include "aggregator/promql/parser/parser.h"
#include "common/http/url.h"

namespace abhra::api {
namespace {

using http::Params;
using http::Request;
using http::Response;

// Parses `name` as a time, or returns `fallback` when absent.
Result<int64_t> TimeParam(const Params& p, std::string_view name, int64_t fallback) {
  const std::string* v = p.Get(name);
  if (v == nullptr || v->empty()) return fallback;
  auto t = ParseTime(*v);
  if (!t.ok()) {
    return Status::InvalidArgument(fmt::format("invalid parameter \"{}\": {}", name,
                                               t.status().message()));
  }
  return t;
}

Result<size_t> LimitParam(const Params& p) {
  const std::string* v = p.Get("limit");
  if (v == nullptr || v->empty()) return size_t{0};
  int64_t n = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), n);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size() || n < 0) {
    return Status::InvalidArgument(fmt::format("invalid parameter \"limit\": cannot parse \"{}\"", *v));
  }
  return static_cast<size_t>(n);
}

Result<std::vector<std::vector<Matcher>>> MatchParams(const Params& p) {
  std::vector<std::vector<Matcher>> sets;
  for (std::string_view m : p.GetAll("match[]")) {
    auto ms = promql::ParseMetricSelector(m);
    if (!ms.ok()) return ms.status();
    bool all_empty = true;
    for (const Matcher& x : *ms) all_empty = all_empty && x.MatchesEmpty();
    if (all_empty) {
      return Status::InvalidArgument(
          "match[] must contain at least one non-empty matcher");
    }
    sets.push_back(std::move(*ms));
  }
  return sets;
}

// Parses the parameters common to query and query_range into opts.
Status ApplyQueryOptions(const Params& p, promql::QueryOptions* opts) {
  if (const std::string* t = p.Get("timeout"); t != nullptr && !t->empty()) {
    auto d = ParseDuration(*t);
    if (!d.ok()) {
      return Status::InvalidArgument(
          fmt::format("invalid parameter \"timeout\": {}", d.status().message()));
    }
    opts->timeout = std::min(opts->timeout, std::chrono::milliseconds(*d));
  }
  if (const std::string* l = p.Get("lookback_delta"); l != nullptr && !l->empty()) {
    auto d = ParseDuration(*l);
    if (!d.ok()) {
      return Status::InvalidArgument(
          fmt::format("error parsing lookback delta duration: {}", d.status().message()));
    }
    opts->lookback_delta_ms = *d;
  }
  return Status::Ok();
}

// Engine errors, classified by the engine itself (promql::ClassifyQueryError).
void WriteQueryError(Response* resp, const Status& status) {
  ErrorType type = ErrorType::kExecution;
  switch (promql::ClassifyQueryError(status)) {
    case promql::QueryErrorType::kBadData: type = ErrorType::kBadData; break;
    case promql::QueryErrorType::kExecution: type = ErrorType::kExecution; break;
    case promql::QueryErrorType::kTimeout: type = ErrorType::kTimeout; break;
    case promql::QueryErrorType::kCanceled: type = ErrorType::kCanceled; break;
    case promql::QueryErrorType::kInternal: type = ErrorType::kInternal; break;
  }
  WriteError(resp, type, status.message());
}

void AppendSortedStrings(std::string* out, const std::vector<std::string>& v, size_t limit) {
  *out += '[';
  size_t n = limit > 0 ? std::min(limit, v.size()) : v.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) *out += ',';
    AppendJsonString(out, v[i]);
  }
  *out += ']';
}

}  // namespace

Result<std::string> DecodeLabelNameFromPath(std::string_view s) {
  if (s.substr(0, 3) != "U__") return std::string(s);
  std::string out;
  size_t i = 3;
  while (i < s.size()) {
    if (s[i] != '_') {
      out += s[i++];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '_') {
      out += '_';
      i += 2;
      continue;
    }
    size_t end = s.find('_', i + 1);
    if (end == std::string_view::npos) {
      return Status::InvalidArgument(fmt::format("invalid escaped label name \"{}\"", s));
    }
    uint32_t cp = 0;
    auto r = std::from_chars(s.data() + i + 1, s.data() + end, cp, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + end || cp > 0x10FFFF) {
      return Status::InvalidArgument(fmt::format("invalid escaped label name \"{}\"", s));
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    i = end + 1;
  }
  return out;
}

PrometheusApi::PrometheusApi(storage::Queryable* db, PrometheusApiOptions options)
    : db_(db), options_(options) {}

void PrometheusApi::RegisterRoutes(http::Router* router) {
  auto bind = [this](void (PrometheusApi::*fn)(const Request&, Response*)) {
    return [this, fn](const Request& req, Response* resp) { (this->*fn)(req, resp); };
  };
  router->Handle({"GET", "POST"}, "/api/v1/query", bind(&PrometheusApi::Query));
  router->Handle({"GET", "POST"}, "/api/v1/query_range", bind(&PrometheusApi::QueryRange));
  router->Handle({"GET", "POST"}, "/api/v1/format_query", bind(&PrometheusApi::FormatQuery));
  router->Handle({"GET", "POST"}, "/api/v1/labels", bind(&PrometheusApi::LabelNames));
  router->HandlePrefix("GET", "/api/v1/label/", bind(&PrometheusApi::LabelValues));
  router->Handle({"GET", "POST"}, "/api/v1/series", bind(&PrometheusApi::SeriesMatch));
  router->Handle("GET", "/api/v1/metadata", bind(&PrometheusApi::Metadata));
  router->Handle({"GET", "POST"}, "/api/v1/query_exemplars", bind(&PrometheusApi::Exemplars));
  router->Handle("GET", "/api/v1/rules", bind(&PrometheusApi::Rules));
  router->Handle("GET", "/api/v1/alerts", bind(&PrometheusApi::Alerts));
}

bool PrometheusApi::AcquireSlot(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(slots_mu_);
  if (!slots_cv_.wait_for(lock, wait,
                          [&] { return running_queries_ < options_.max_concurrent_queries; })) {
    return false;
  }
  ++running_queries_;
  return true;
}

void PrometheusApi::ReleaseSlot() {
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    --running_queries_;
  }
  slots_cv_.notify_one();
}

void PrometheusApi::Query(const Request& req, Response* resp) {
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  const Params& p = *form;
  const std::string* query = p.Get("query");
  if (query == nullptr) return WriteError(resp, ErrorType::kBadData, "invalid parameter \"query\": query must not be empty");
  auto t = TimeParam(p, "time", options_.clock->NowMillis());
  if (!t.ok()) return WriteError(resp, ErrorType::kBadData, t.status().message());
  RunQuery(p, resp, [&](const promql::QueryOptions& opts) {
    return engine_.InstantQuery(*db_, *query, *t, opts);
  });
}

void PrometheusApi::QueryRange(const Request& req, Response* resp) {
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  const Params& p = *form;
  const std::string* query = p.Get("query");
  if (query == nullptr) return WriteError(resp, ErrorType::kBadData, "invalid parameter \"query\": query must not be empty");
  for (const char* name : {"start", "end", "step"}) {
    if (p.Get(name) == nullptr) {
      return WriteError(resp, ErrorType::kBadData,
                        fmt::format("invalid parameter \"{}\": cannot parse \"\" to a valid {}",
                                    name, std::string_view(name) == "step" ? "duration" : "timestamp"));
    }
  }
  auto start = ParseTime(*p.Get("start"));
  if (!start.ok()) return WriteError(resp, ErrorType::kBadData, fmt::format("invalid parameter \"start\": {}", start.status().message()));
  auto end = ParseTime(*p.Get("end"));
  if (!end.ok()) return WriteError(resp, ErrorType::kBadData, fmt::format("invalid parameter \"end\": {}", end.status().message()));
  if (*end < *start) {
    return WriteError(resp, ErrorType::kBadData,
                      "invalid parameter \"end\": end timestamp must not be before start time");
  }
  auto step = ParseDuration(*p.Get("step"));
  if (!step.ok()) return WriteError(resp, ErrorType::kBadData, fmt::format("invalid parameter \"step\": {}", step.status().message()));
  if (*step <= 0) {
    return WriteError(resp, ErrorType::kBadData,
                      "invalid parameter \"step\": zero or negative query resolution step widths "
                      "are not accepted. Try a positive integer");
  }
  if ((*end - *start) / *step > options_.max_points_per_series) {
    return WriteError(resp, ErrorType::kBadData,
                      "exceeded maximum resolution of 11,000 points per timeseries. Try "
                      "decreasing the query resolution (?step=XX)");
  }
  RunQuery(p, resp, [&](const promql::QueryOptions& opts) {
    return engine_.RangeQuery(*db_, *query, *start, *end, *step, opts);
  });
}

void PrometheusApi::RunQuery(
    const Params& p, Response* resp,
    const std::function<Result<promql::QueryResult>(const promql::QueryOptions&)>& run) {
  auto limit = LimitParam(p);
  if (!limit.ok()) return WriteError(resp, ErrorType::kBadData, limit.status().message());
  promql::QueryOptions opts = options_.query;
  if (Status s = ApplyQueryOptions(p, &opts); !s.ok()) {
    return WriteError(resp, ErrorType::kBadData, s.message());
  }
  if (!AcquireSlot(opts.timeout)) {
    return WriteError(resp, ErrorType::kTimeout, "query timed out waiting for a free query slot");
  }
  auto result = run(opts);
  ReleaseSlot();
  if (!result.ok()) return WriteQueryError(resp, result.status());
  std::string data;
  AppendQueryData(&data, result->value, *limit);
  WriteSuccess(resp, data, result->warnings, result->infos);
}

void PrometheusApi::FormatQuery(const Request& req, Response* resp) {
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  auto expr = promql::ParseExpr(form->GetOr("query"));
  if (!expr.ok()) {
    return WriteError(resp, ErrorType::kBadData,
                      fmt::format("invalid parameter \"query\": {}", expr.status().message()));
  }
  std::string data;
  AppendJsonString(&data, (*expr)->ToString());
  WriteSuccess(resp, data);
}

void PrometheusApi::LabelNames(const Request& req, Response* resp) {
  CollectLabelStrings(req, resp, [](storage::Querier& q, const std::vector<Matcher>& ms) {
    return q.LabelNames(ms);
  });
}

void PrometheusApi::LabelValues(const Request& req, Response* resp) {
  std::string_view suffix = req.path_suffix;
  constexpr std::string_view kValues = "/values";
  if (suffix.size() <= kValues.size() || suffix.substr(suffix.size() - kValues.size()) != kValues) {
    return WriteError(resp, ErrorType::kNotFound, fmt::format("unknown path {}", req.path));
  }
  auto name = DecodeLabelNameFromPath(suffix.substr(0, suffix.size() - kValues.size()));
  if (!name.ok()) return WriteError(resp, ErrorType::kBadData, name.status().message());
  if (!IsValidLabelName(*name)) {
    return WriteError(resp, ErrorType::kBadData, fmt::format("invalid label name: \"{}\"", *name));
  }
  CollectLabelStrings(req, resp, [&](storage::Querier& q, const std::vector<Matcher>& ms) {
    return q.LabelValues(*name, ms);
  });
}

void PrometheusApi::CollectLabelStrings(
    const Request& req, Response* resp,
    const std::function<Result<std::vector<std::string>>(storage::Querier&,
                                                         const std::vector<Matcher>&)>& lookup) {
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  auto start = TimeParam(*form, "start", kMinTimeMs);
  auto end = TimeParam(*form, "end", kMaxTimeMs);
  auto limit = LimitParam(*form);
  auto sets = MatchParams(*form);
  for (const Status* s : {&start.status(), &end.status(), &limit.status(), &sets.status()}) {
    if (!s->ok()) return WriteError(resp, ErrorType::kBadData, s->message());
  }
  auto q = db_->MakeQuerier(*start, *end);
  if (!q.ok()) return WriteError(resp, ErrorTypeForStatus(q.status()), q.status().message());
  // Each match[] set is looked up on its own and the answers united, as Prometheus does.
  std::set<std::string> found;
  if (sets->empty()) sets->emplace_back();
  for (const auto& ms : *sets) {
    auto r = lookup(**q, ms);
    if (!r.ok()) return WriteError(resp, ErrorTypeForStatus(r.status()), r.status().message());
    found.insert(r->begin(), r->end());
  }
  std::vector<std::string> sorted(found.begin(), found.end());
  std::vector<std::string> warnings;
  if (*limit > 0 && sorted.size() > *limit) warnings.push_back("results truncated due to limit");
  std::string data;
  AppendSortedStrings(&data, sorted, *limit);
  WriteSuccess(resp, data, warnings);
}

void PrometheusApi::SeriesMatch(const Request& req, Response* resp) {
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  auto start = TimeParam(*form, "start", kMinTimeMs);
  auto end = TimeParam(*form, "end", kMaxTimeMs);
  auto limit = LimitParam(*form);
  auto sets = MatchParams(*form);
  for (const Status* s : {&start.status(), &end.status(), &limit.status(), &sets.status()}) {
    if (!s->ok()) return WriteError(resp, ErrorType::kBadData, s->message());
  }
  if (sets->empty()) return WriteError(resp, ErrorType::kBadData, "no match[] parameter provided");
  auto q = db_->MakeQuerier(*start, *end);
  if (!q.ok()) return WriteError(resp, ErrorTypeForStatus(q.status()), q.status().message());
  storage::SelectHints hints;
  hints.start = *start;
  hints.end = *end;
  hints.series_only = true;
  std::vector<Labels> found;
  for (const auto& ms : *sets) {
    auto set = (*q)->Select(true, hints, ms);
    while (set->Next()) found.push_back(set->At().labels());
    if (Status s = set->Err(); !s.ok()) {
      return WriteError(resp, ErrorTypeForStatus(s), s.message());
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<std::string> warnings;
  size_t n = found.size();
  if (*limit > 0 && n > *limit) {
    n = *limit;
    warnings.push_back("results truncated due to limit");
  }
  std::string data = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) data += ',';
    AppendLabelsJson(&data, found[i]);
  }
  data += ']';
  WriteSuccess(resp, data, warnings);
}

void PrometheusApi::Metadata(const Request& req, Response* resp) {
  // Metadata from remote-write is not stored yet: an empty map is a valid answer.
  WriteSuccess(resp, "{}");
}

void PrometheusApi::Exemplars(const Request& req, Response* resp) {
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  if (const std::string* q = form->Get("query"); q != nullptr) {
    auto expr = promql::ParseExpr(*q);
    if (!expr.ok()) return WriteError(resp, ErrorType::kBadData, expr.status().message());
  }
  WriteSuccess(resp, "[]");  // exemplars are not stored
}

void PrometheusApi::Rules(const Request& req, Response* resp) {
  if (!rules_.rules) return WriteSuccess(resp, R"({"groups":[]})");
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  auto data = rules_.rules(*form);
  if (!data.ok()) return WriteError(resp, ErrorTypeForStatus(data.status()), data.status().message());
  WriteSuccess(resp, *data);
}

void PrometheusApi::Alerts(const Request& req, Response* resp) {
  if (!rules_.alerts) return WriteSuccess(resp, R"({"alerts":[]})");
  auto form = http::ParseForm(req);
  if (!form.ok()) return WriteError(resp, ErrorType::kBadData, form.status().message());
  auto data = rules_.alerts(*form);
  if (!data.ok()) return WriteError(resp, ErrorTypeForStatus(data.status()), data.status().message());
  WriteSuccess(resp, *data);
}

}  // namespace abhra::api
