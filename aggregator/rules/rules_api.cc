// Manager::RulesJson and Manager::AlertsJson: Prometheus' /api/v1/rules and /api/v1/alerts
// `data` objects (interfaces.md §4).
#include <charconv>
#include <cmath>
#include <ctime>
#include <set>

#include <fmt/format.h>

#include "aggregator/api/json_writer.h"
#include "aggregator/rules/manager.h"

namespace abhra::rules {
namespace {

using api::AppendJsonString;

// Go's time.Time JSON (RFC 3339 with up to nanoseconds, trailing zeros trimmed), UTC.
// 0 is Go's zero time.
void AppendTime(std::string* out, int64_t ms) {
  if (ms == 0) {
    *out += "\"0001-01-01T00:00:00Z\"";
    return;
  }
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  *out += '"';
  *out += buf;
  if (frac != 0) {
    std::string f = fmt::format(".{:03d}", frac);
    while (f.back() == '0') f.pop_back();
    *out += f;
  }
  *out += "Z\"";
}

// Go's strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "5.5e-01", "NaN", "+Inf".
std::string FormatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  return std::string(buf, r.ptr);
}

void AppendSeconds(std::string* out, double secs) {
  if (!std::isfinite(secs)) secs = 0;
  *out += fmt::format("{}", secs);
}

void AppendLabels(std::string* out, const Labels& labels) {
  *out += '{';
  bool first = true;
  for (const Label& l : labels) {
    if (!first) *out += ',';
    first = false;
    AppendJsonString(out, l.name);
    *out += ':';
    AppendJsonString(out, l.value);
  }
  *out += '}';
}

void AppendAlert(std::string* out, const Alert& a) {
  *out += "{\"labels\":";
  AppendLabels(out, a.labels);
  *out += ",\"annotations\":";
  AppendLabels(out, a.annotations);
  *out += ",\"state\":";
  AppendJsonString(out, AlertStateName(a.state));
  *out += ",\"activeAt\":";
  AppendTime(out, a.active_at_ms);
  if (a.keep_firing_since_ms != 0) {
    *out += ",\"keepFiringSince\":";
    AppendTime(out, a.keep_firing_since_ms);
  }
  *out += ",\"value\":";
  AppendJsonString(out, FormatE(a.value));
  *out += '}';
}

Result<bool> ParseBool(const http::Params& p, std::string_view name) {
  auto v = p.Get(name);
  if (!v || v->empty()) return false;
  if (*v == "true" || *v == "1" || *v == "t" || *v == "T" || *v == "TRUE" || *v == "True") return true;
  if (*v == "false" || *v == "0" || *v == "f" || *v == "F" || *v == "FALSE" || *v == "False") return false;
  return Status::InvalidArgument(fmt::format("parameter {}: cannot parse \"{}\" as a boolean", name, *v));
}

std::set<std::string> Set(const http::Params& p, std::string_view name) {
  std::set<std::string> out;
  for (std::string_view v : p.GetAll(name)) out.insert(std::string(v));
  return out;
}

}  // namespace

Result<std::string> Manager::RulesJson(const http::Params& params) const {
  std::string type;
  if (auto t = params.Get("type")) type = std::string(*t);
  if (!type.empty() && type != "alert" && type != "record") {
    return Status::InvalidArgument(fmt::format("unsupported type \"{}\": want alert or record", type));
  }
  ABHRA_ASSIGN_OR_RETURN(bool exclude_alerts, ParseBool(params, "exclude_alerts"));
  std::set<std::string> names = Set(params, "rule_name[]");
  std::set<std::string> group_names = Set(params, "rule_group[]");
  std::set<std::string> files = Set(params, "file[]");
  bool rule_filter = !type.empty() || !names.empty();

  std::string out = "{\"groups\":[";
  bool first_group = true;
  for (const auto& g : Groups()) {
    const GroupSpec& spec = g->spec();
    if (!group_names.empty() && !group_names.count(spec.name)) continue;
    if (!files.empty() && !files.count(spec.file)) continue;
    RuleGroup::Snapshot snap = g->GetSnapshot();
    std::string rules;
    bool first_rule = true;
    for (const RuleStatus& r : snap.rules) {
      bool alerting = r.spec->kind == RuleKind::kAlerting;
      if (type == "alert" && !alerting) continue;
      if (type == "record" && alerting) continue;
      if (!names.empty() && !names.count(r.spec->name)) continue;
      if (!first_rule) rules += ',';
      first_rule = false;
      rules += '{';
      if (alerting) {
        rules += "\"state\":";
        AppendJsonString(&rules, AlertStateName(r.state));
        rules += ",";
      }
      rules += "\"name\":";
      AppendJsonString(&rules, r.spec->name);
      rules += ",\"query\":";
      AppendJsonString(&rules, r.spec->expr);
      if (alerting) {
        rules += ",\"duration\":";
        AppendSeconds(&rules, static_cast<double>(r.spec->for_ms) / 1000.0);
        rules += ",\"keepFiringFor\":";
        AppendSeconds(&rules, static_cast<double>(r.spec->keep_firing_for_ms) / 1000.0);
      }
      rules += ",\"labels\":";
      AppendLabels(&rules, r.spec->labels);
      if (alerting) {
        rules += ",\"annotations\":";
        AppendLabels(&rules, r.spec->annotations);
        if (!exclude_alerts) {
          rules += ",\"alerts\":[";
          for (size_t i = 0; i < r.alerts.size(); ++i) {
            if (i) rules += ',';
            AppendAlert(&rules, r.alerts[i]);
          }
          rules += ']';
        }
      }
      rules += ",\"health\":";
      AppendJsonString(&rules, r.health);
      if (!r.last_error.empty()) {
        rules += ",\"lastError\":";
        AppendJsonString(&rules, r.last_error);
      }
      rules += ",\"evaluationTime\":";
      AppendSeconds(&rules, r.eval_seconds);
      rules += ",\"lastEvaluation\":";
      AppendTime(&rules, r.last_eval_ms);
      rules += ",\"type\":";
      AppendJsonString(&rules, alerting ? "alerting" : "recording");
      rules += '}';
    }
    if (rule_filter && first_rule) continue;  // nothing left of this group
    if (!first_group) out += ',';
    first_group = false;
    out += "{\"name\":";
    AppendJsonString(&out, spec.name);
    out += ",\"file\":";
    AppendJsonString(&out, spec.file);
    out += ",\"rules\":[" + rules + "],\"interval\":";
    AppendSeconds(&out, static_cast<double>(spec.interval_ms) / 1000.0);
    out += fmt::format(",\"limit\":{},\"evaluationTime\":", spec.limit);
    AppendSeconds(&out, snap.eval_seconds);
    out += ",\"lastEvaluation\":";
    AppendTime(&out, snap.last_eval_ms);
    out += '}';
  }
  out += "]}";
  return out;
}

Result<std::string> Manager::AlertsJson(const http::Params&) const {
  std::string out = "{\"alerts\":[";
  bool first = true;
  for (const auto& g : Groups()) {
    RuleGroup::Snapshot snap = g->GetSnapshot();
    for (const RuleStatus& r : snap.rules) {
      for (const Alert& a : r.alerts) {
        if (!first) out += ',';
        first = false;
        AppendAlert(&out, a);
      }
    }
  }
  out += "]}";
  return out;
}

}  // namespace abhra::rules
