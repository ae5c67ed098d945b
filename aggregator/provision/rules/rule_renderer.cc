#include "aggregator/provision/rules/rule_renderer.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

namespace abhra::provision {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(fmt::format("cannot read {}", path), errno);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Number(const std::string& v, double* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size() || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

bool IsDuration(const std::string& v) {
  static const std::regex re(R"(^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$)");
  return !v.empty() && std::regex_match(v, re);
}

struct Validator {
  std::function<bool(const std::string&)> ok;
  const char* want;
};

const std::map<std::string, Validator>& Validators() {
  static const auto* v = new std::map<std::string, Validator>{
      {"env", {[](const std::string& s) { return IsValidEnvironmentName(s); }, "letters, digits, '_', '.', '-'"}},
      {"slo_target", {[](const std::string& s) { double d; return Number(s, &d) && d > 0 && d < 1; }, "a number in (0, 1)"}},
      {"error_budget", {[](const std::string& s) { double d; return Number(s, &d) && d > 0 && d < 1; }, "a number in (0, 1)"}},
      {"latency_threshold_seconds", {[](const std::string& s) { double d; return Number(s, &d) && d > 0; }, "seconds > 0"}},
      {"tls_warning_days", {[](const std::string& s) { double d; return Number(s, &d) && d > 0; }, "days > 0"}},
      {"tls_critical_days", {[](const std::string& s) { double d; return Number(s, &d) && d >= 0; }, "days >= 0"}},
      {"target_down_for", {IsDuration, "a Prometheus duration such as 5m"}},
      {"version_skew_for", {IsDuration, "a Prometheus duration such as 1h"}},
      {"probe_missing_for", {IsDuration, "a Prometheus duration such as 5m"}},
      {"severity_page", {[](const std::string& s) { return std::regex_match(s, std::regex("^[a-z][a-z0-9_-]*$")); }, "a lower-case word"}},
      {"severity_ticket", {[](const std::string& s) { return std::regex_match(s, std::regex("^[a-z][a-z0-9_-]*$")); }, "a lower-case word"}},
  };
  return *v;
}

Result<Values> ScalarMap(const YAML::Node& n, const std::string& where, const std::string& path) {
  Values out;
  if (!n || n.IsNull()) return out;
  if (!n.IsMap()) return Status::InvalidArgument(fmt::format("{}: {} must be a map", path, where));
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.as<std::string>();
    if (!it->second.IsScalar()) {
      return Status::InvalidArgument(fmt::format("{}.{} in {} must be a scalar", where, k, path));
    }
    out[k] = it->second.Scalar();
  }
  return out;
}

Status Validate(const Values& vals, const std::string& where, const std::string& path) {
  for (const auto& [k, v] : vals) {
    auto it = Validators().find(k);
    if (it != Validators().end() && !it->second.ok(v)) {
      return Status::InvalidArgument(
          fmt::format("{}.{} = '{}' in {}: must be {}", where, k, v, path, it->second.want));
    }
  }
  double slo, budget;
  if (vals.count("slo_target") && vals.count("error_budget") &&
      Number(vals.at("slo_target"), &slo) && Number(vals.at("error_budget"), &budget) &&
      std::fabs((1 - slo) - budget) > 1e-9) {
    return Status::InvalidArgument(fmt::format("{}: error_budget {} != 1 - slo_target {}", where,
                                               vals.at("error_budget"), vals.at("slo_target")));
  }
  double warn, crit;
  if (vals.count("tls_warning_days") && vals.count("tls_critical_days") &&
      Number(vals.at("tls_warning_days"), &warn) && Number(vals.at("tls_critical_days"), &crit) &&
      crit >= warn) {
    return Status::InvalidArgument(fmt::format("{}: tls_critical_days must be below tls_warning_days", where));
  }
  return Status::Ok();
}

Result<std::vector<RenderedFile>> Render(const RuleDefaults& d, const std::string& scope,
                                         const Values& vals, const std::string& env,
                                         const std::string& header) {
  std::vector<RenderedFile> out;
  for (const RuleTemplate& t : d.templates) {
    if (t.scope != scope) continue;
    ABHRA_ASSIGN_OR_RETURN(std::string body, Substitute(t.text, vals, t.file));
    ABHRA_ASSIGN_OR_RETURN(std::string name, Substitute(t.output, vals, t.file + " output"));
    out.push_back({std::move(name), env, header + body});
  }
  return out;
}

}  // namespace

bool IsValidEnvironmentName(std::string_view env) {
  if (env.empty()) return false;
  for (char c : env) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

Result<RuleDefaults> LoadRuleDefaults(const std::string& dir) {
  std::string path = dir + "/defaults.yaml";
  ABHRA_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  RuleDefaults d;
  d.dir = dir;
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return Status::InvalidArgument(fmt::format("{} is not a YAML mapping", path));
    for (const YAML::Node& t : root["templates"]) {
      RuleTemplate rt;
      rt.file = t["file"].as<std::string>();
      rt.scope = t["scope"].as<std::string>();
      rt.output = t["output"].as<std::string>();
      if (rt.scope != "environment" && rt.scope != "global") {
        return Status::InvalidArgument(
            fmt::format("{}: template {} has scope \"{}\": want environment or global", path, rt.file, rt.scope));
      }
      ABHRA_ASSIGN_OR_RETURN(rt.text, ReadFile(dir + "/" + rt.file));
      d.templates.push_back(std::move(rt));
    }
    if (root["fallback_environment"]) d.fallback_environment = root["fallback_environment"].as<std::string>();
    ABHRA_ASSIGN_OR_RETURN(d.global, ScalarMap(root["global"], "global", path));
    if (const YAML::Node envs = root["environments"]) {
      for (auto it = envs.begin(); it != envs.end(); ++it) {
        std::string name = it->first.as<std::string>();
        ABHRA_ASSIGN_OR_RETURN(Values v, ScalarMap(it->second, "environments." + name, path));
        d.environment_order.push_back(name);
        d.environments[name] = std::move(v);
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  return d;
}

Result<Values> EnvironmentValues(const RuleDefaults& d, const std::string& env) {
  auto it = d.environments.find(env);
  if (it == d.environments.end()) {
    it = d.environments.find(d.fallback_environment);
    if (it == d.environments.end()) {
      return Status::InvalidArgument(fmt::format(
          "environment '{}' is not in {}/defaults.yaml and there is no usable fallback_environment",
          env, d.dir));
    }
  }
  Values v = it->second;
  v["env"] = env;
  ABHRA_RETURN_IF_ERROR(Validate(v, "environments." + env, d.dir + "/defaults.yaml"));
  return v;
}

Result<std::string> Substitute(std::string_view text, const Values& values, std::string_view where) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("${", pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {  // render.sh's regex needs a '}' too: left as is
      break;
    }
    std::string name(text.substr(open + 2, close - open - 2));
    static const std::regex kName("^[a-z_][a-z0-9_]*$");
    if (!std::regex_match(name, kName)) {
      return Status::InvalidArgument(fmt::format("{}: malformed placeholder ${{{}}}", where, name));
    }
    auto it = values.find(name);
    if (it == values.end()) {
      size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + open, '\n'));
      return Status::InvalidArgument(fmt::format("{}:{}: no value for placeholder ${{{}}}", where, line, name));
    }
    out.append(text.substr(pos, open - pos));
    out.append(it->second);
    pos = close + 1;
  }
  out.append(text.substr(pos));
  return out;
}

Result<std::vector<RenderedFile>> RenderEnvironment(const RuleDefaults& d, const std::string& env,
                                                    const std::vector<std::string>& versions) {
  ABHRA_ASSIGN_OR_RETURN(Values vals, EnvironmentValues(d, env));
  std::string header = fmt::format(
      "# Rendered by abhra-aggregator for environment {}. Versions deployed there (from "
      "abhra_target_info): {}.\n",
      env, versions.empty() ? std::string("none seen") : fmt::format("{}", fmt::join(versions, ", ")));
  return Render(d, "environment", vals, env, header);
}

Result<std::vector<RenderedFile>> RenderGlobal(const RuleDefaults& d) {
  ABHRA_RETURN_IF_ERROR(Validate(d.global, "global", d.dir + "/defaults.yaml"));
  return Render(d, "global", d.global, "", "# Rendered by abhra-aggregator (global scope).\n");
}

}  // namespace abhra::provision
