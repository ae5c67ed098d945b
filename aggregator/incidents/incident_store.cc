#include "aggregator/incidents/incident_store.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aggregator/api/envelope.h"
#include "common/base/logging.h"
#include "common/http/url.h"

namespace abhra::incidents {
namespace {

std::string Rfc3339(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(ms % 1000));
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&] { return Status::InvalidArgument(fmt::format("invalid RFC 3339 time \"{}\"", s)); };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return bad();
  }
  auto num = [&](size_t pos, size_t len, int* out) {
    auto r = std::from_chars(s.data() + pos, s.data() + pos + len, *out);
    return r.ec == std::errc() && r.ptr == s.data() + pos + len;
  };
  int y, mo, d, h, mi, sec;
  if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) ||
      !num(14, 2, &mi) || !num(17, 2, &sec)) {
    return bad();
  }
  if (y == 1 && mo == 1 && d == 1) return int64_t{0};  // Go's zero time
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh, om;
    if (!num(pos + 1, 2, &oh) || !num(pos + 4, 2, &om)) return bad();
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  return secs * 1000 + ms;
}

std::string IncidentJson(const Incident& in) {
  nlohmann::json j;
  j["id"] = in.id;
  j["env"] = in.env;
  j["alertname"] = in.alertname;
  j["fingerprint"] = in.fingerprint;
  nlohmann::json labels = nlohmann::json::object();
  for (const Label& l : in.labels) labels[l.name] = l.value;
  j["labels"] = labels;
  j["summary"] = in.summary;
  j["severity"] = in.severity;
  j["state"] = in.firing() ? "firing" : "resolved";
  j["startsAt"] = Rfc3339(in.starts_at_ms);
  j["resolvedAt"] = in.firing() ? nlohmann::json(nullptr) : nlohmann::json(Rfc3339(in.resolved_at_ms));
  j["updatedAt"] = Rfc3339(in.updated_ms);
  j["generatorURL"] = in.generator_url;
  return j.dump();
}

Result<std::unique_ptr<IncidentStore>> IncidentStore::Open(IncidentStoreOptions options) {
  std::map<std::string, Incident> incidents;
  auto log = IncidentLog::Open(options.path, &incidents);
  if (!log.ok()) return log.status();
  std::unique_ptr<IncidentStore> store(
      new IncidentStore(std::move(options), std::move(*log), std::move(incidents)));
  std::lock_guard<std::mutex> lock(store->mu_);
  ABHRA_RETURN_IF_ERROR(store->EnforceRetention());
  return store;
}

Status IncidentStore::HandleWebhook(std::string_view body) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(fmt::format("webhook body is not JSON: {}", e.what()));
  }
  if (!j.is_object()) return Status::InvalidArgument("webhook body must be a JSON object");
  if (j.contains("version") && j["version"] != "4") {
    return Status::InvalidArgument(
        fmt::format("unsupported webhook payload version {}: want \"4\"", j["version"].dump()));
  }
  if (!j.contains("alerts") || !j["alerts"].is_array()) {
    return Status::InvalidArgument("webhook body needs an \"alerts\" array");
  }
  int64_t now = options_.clock->NowMillis();
  std::vector<Incident> changed;
  size_t i = 0;
  for (const auto& a : j["alerts"]) {
    std::string where = fmt::format("alerts[{}]", i++);
    if (!a.is_object()) return Status::InvalidArgument(where + " must be an object");
    try {
      Incident in;
      std::vector<Label> labels;
      if (a.contains("labels")) {
        for (auto& [k, v] : a.at("labels").items()) labels.push_back({k, v.get<std::string>()});
      }
      in.labels = Labels(std::move(labels));
      in.env = std::string(in.labels.Get("env"));
      in.alertname = std::string(in.labels.Get("alertname"));
      in.severity = std::string(in.labels.Get("severity"));
      if (a.contains("annotations") && a["annotations"].contains("summary")) {
        in.summary = a["annotations"]["summary"].get<std::string>();
      }
      in.fingerprint = a.value("fingerprint", "");
      if (in.fingerprint.empty()) in.fingerprint = fmt::format("{:016x}", in.labels.Hash());
      auto starts = ParseRfc3339(a.value("startsAt", ""));
      if (!starts.ok()) return starts.status().WithContext(where + ".startsAt");
      in.starts_at_ms = *starts;
      std::string status = a.value("status", j.value("status", "firing"));
      if (status != "firing" && status != "resolved") {
        return Status::InvalidArgument(fmt::format("{}.status must be firing or resolved, got \"{}\"",
                                                   where, status));
      }
      if (status == "resolved") {
        auto ends = ParseRfc3339(a.value("endsAt", ""));
        if (!ends.ok()) return ends.status().WithContext(where + ".endsAt");
        in.resolved_at_ms = *ends != 0 ? *ends : now;
      }
      in.generator_url = a.value("generatorURL", "");
      in.updated_ms = now;
      in.id = fmt::format("{}@{}", in.fingerprint, in.starts_at_ms);
      changed.push_back(std::move(in));
    } catch (const nlohmann::json::exception& e) {
      return Status::InvalidArgument(fmt::format("{}: {}", where, e.what()));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (Incident& in : changed) {
    auto it = incidents_.find(in.id);
    // Alertmanager re-sends; only what changed is written.
    if (it != incidents_.end() && it->second.resolved_at_ms == in.resolved_at_ms &&
        it->second.summary == in.summary) {
      it->second.updated_ms = in.updated_ms;
      continue;
    }
    ABHRA_RETURN_IF_ERROR(log_->Append(in));
    LOG_INFO("incidents", in.firing() ? "incident firing" : "incident resolved",
             "env={} alertname={} id={}", LogfmtValue(in.env), LogfmtValue(in.alertname),
             LogfmtValue(in.id));
    incidents_[in.id] = std::move(in);
  }
  return EnforceRetention();
}

Status IncidentStore::EnforceRetention() {
  bool dropped = false;
  if (incidents_.size() > options_.max_incidents) {
    std::vector<const Incident*> order;
    for (const auto& [id, in] : incidents_) order.push_back(&in);
    // Resolved before firing, oldest first.
    std::sort(order.begin(), order.end(), [](const Incident* a, const Incident* b) {
      if (a->firing() != b->firing()) return !a->firing();
      return a->starts_at_ms < b->starts_at_ms;
    });
    size_t excess = incidents_.size() - options_.max_incidents;
    std::vector<std::string> ids;
    for (size_t i = 0; i < excess; ++i) ids.push_back(order[i]->id);
    for (const std::string& id : ids) incidents_.erase(id);
    dropped = true;
  }
  if (dropped || log_->records() > 2 * incidents_.size() + 1000) {
    return log_->Rewrite(incidents_);
  }
  return Status::Ok();
}

std::vector<Incident> IncidentStore::Query(std::string_view env, std::string_view state,
                                           size_t limit) const {
  std::vector<Incident> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, in] : incidents_) {
      if (!env.empty() && in.env != env) continue;
      if (state == "firing" && !in.firing()) continue;
      if (state == "resolved" && in.firing()) continue;
      out.push_back(in);
    }
  }
  std::sort(out.begin(), out.end(), [](const Incident& a, const Incident& b) {
    if (a.starts_at_ms != b.starts_at_ms) return a.starts_at_ms > b.starts_at_ms;
    return a.id < b.id;
  });
  if (limit > 0 && out.size() > limit) out.resize(limit);
  return out;
}

size_t IncidentStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return incidents_.size();
}

void IncidentStore::RegisterRoutes(http::Router* router) {
  router->Handle("POST", "/api/v1/alertmanager/webhook",
                 [this](const http::Request& req, http::Response* resp) {
                   Status st = HandleWebhook(req.body);
                   if (st.ok()) return resp->SetText(200, "");
                   // Alertmanager retries 5xx, not 4xx: bad payloads are not retried.
                   int code = st.code() == Status::Code::kInvalidArgument ? 400 : 500;
                   LOG_WARN("incidents", "webhook rejected", "status={} err={}", code,
                            LogfmtValue(st.message()));
                   resp->SetText(code, st.message() + "\n");
                 });
  router->Handle("GET", "/api/v1/incidents", [this](const http::Request& req, http::Response* resp) {
    std::string env(req.query.GetOr("env"));
    std::string state(req.query.GetOr("state"));
    if (!state.empty() && state != "firing" && state != "resolved") {
      return api::WriteError(resp, api::ErrorType::kBadData,
                             fmt::format("invalid state \"{}\": want firing or resolved", state));
    }
    size_t limit = 100;
    if (std::string_view l = req.query.GetOr("limit"); !l.empty()) {
      auto r = std::from_chars(l.data(), l.data() + l.size(), limit);
      if (r.ec != std::errc() || r.ptr != l.data() + l.size()) {
        return api::WriteError(resp, api::ErrorType::kBadData,
                               fmt::format("invalid limit \"{}\": want a non-negative integer", l));
      }
    }
    std::string data = "{\"incidents\":[";
    bool first = true;
    for (const Incident& in : Query(env, state, limit)) {
      if (!first) data += ',';
      first = false;
      data += IncidentJson(in);
    }
    data += "]}";
    api::WriteSuccess(resp, data);
  });
}

}  // namespace abhra::incidents
