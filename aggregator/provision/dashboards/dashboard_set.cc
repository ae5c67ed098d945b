#include "aggregator/provision/dashboards/dashboard_set.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "aggregator/provision/dashboards/template_render.h"

namespace abhra::provision {

std::string_view DashboardScopeName(DashboardScope scope) {
  switch (scope) {
    case DashboardScope::kGlobal: return "global";
    case DashboardScope::kEnvironment: return "environment";
    case DashboardScope::kEnvironmentVersion: return "environment_version";
  }
  return "?";
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(fmt::format("cannot read {}", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Scalar(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : "";
}

// Parses the manifest; `read` supplies each template's text by its `file`.
template <typename ReadFn>
Result<DashboardTemplateSet> ParseManifest(std::string_view yaml, std::string_view source,
                                           ReadFn read) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(fmt::format("{}: {}", source, e.what()));
  }
  if (!root.IsMap() || !root["templates"] || !root["templates"].IsSequence()) {
    return Status::InvalidArgument(
        fmt::format("{}: expected a mapping with a `templates` list", source));
  }
  DashboardTemplateSet set;
  set.datasource_uid = Scalar(root, "datasource_uid");
  for (const YAML::Node& t : root["templates"]) {
    if (!t.IsMap()) return Status::InvalidArgument(fmt::format("{}: a template entry is not a mapping", source));
    DashboardTemplate tmpl;
    tmpl.file = Scalar(t, "file");
    if (tmpl.file.empty()) return Status::InvalidArgument(fmt::format("{}: template without `file`", source));
    std::string scope = Scalar(t, "scope");
    if (scope == "global") {
      tmpl.scope = DashboardScope::kGlobal;
      tmpl.uid = Scalar(t, "uid");
      if (tmpl.uid.empty()) {
        return Status::InvalidArgument(fmt::format("{}: {} (scope global) needs `uid`", source, tmpl.file));
      }
    } else if (scope == "environment" || scope == "environment_version") {
      tmpl.scope = scope == "environment" ? DashboardScope::kEnvironment
                                          : DashboardScope::kEnvironmentVersion;
      tmpl.uid_prefix = Scalar(t, "uid_prefix");
      if (tmpl.uid_prefix.empty() || tmpl.uid_prefix.size() + 9 > kMaxUidLength) {
        return Status::InvalidArgument(fmt::format(
            "{}: {} (scope {}) needs a `uid_prefix` of at most {} characters", source, tmpl.file,
            scope, kMaxUidLength - 9));
      }
    } else {
      return Status::InvalidArgument(fmt::format("{}: {}: unknown scope \"{}\"", source, tmpl.file, scope));
    }
    auto text = read(tmpl.file);
    if (!text.ok()) return text.status();
    tmpl.text = std::move(*text);
    set.templates.push_back(std::move(tmpl));
  }
  return set;
}

}  // namespace

Result<DashboardTemplateSet> LoadDashboardTemplates(const std::string& dir) {
  std::string manifest_path = dir + "/dashboards.yaml";
  auto manifest = ReadFile(manifest_path);
  if (!manifest.ok()) return manifest.status();
  return ParseManifest(*manifest, manifest_path,
                       [&](const std::string& file) { return ReadFile(dir + "/" + file); });
}

Result<DashboardTemplateSet> ParseDashboardTemplates(
    std::string_view manifest_yaml, const std::vector<std::pair<std::string, std::string>>& files) {
  return ParseManifest(manifest_yaml, "dashboards.yaml",
                       [&](const std::string& file) -> Result<std::string> {
                         for (const auto& [name, text] : files) {
                           if (name == file) return text;
                         }
                         return Status::NotFound(fmt::format("template {} not given", file));
                       });
}

Result<RenderedDashboard> RenderDashboard(const DashboardTemplate& tmpl, const std::string& env,
                                          const std::string& version) {
  std::map<std::string, std::string> values;
  RenderedDashboard out;
  out.file = tmpl.file;
  std::string want_uid = tmpl.uid;
  if (tmpl.scope != DashboardScope::kGlobal) {
    if (env.empty()) return Status::InvalidArgument(fmt::format("{}: needs an environment", tmpl.file));
    std::vector<std::string> parts = {env};
    values["env"] = env;
    out.env = env;
    if (tmpl.scope == DashboardScope::kEnvironmentVersion) {
      if (version.empty()) return Status::InvalidArgument(fmt::format("{}: needs a version", tmpl.file));
      parts.push_back(version);
      values["version"] = version;
      out.version = version;
    }
    values["uid_suffix"] = UidSuffix(tmpl.uid_prefix, parts);
    want_uid = tmpl.uid_prefix + values["uid_suffix"];
  }
  std::string where = tmpl.file;
  ABHRA_ASSIGN_OR_RETURN(out.json, RenderTemplateText(tmpl.text, values, where));
  nlohmann::json model;
  try {
    model = nlohmann::json::parse(out.json);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(fmt::format("{} rendered for env=\"{}\" version=\"{}\" is not JSON: {}",
                                               tmpl.file, env, version, e.what()));
  }
  if (!model.is_object()) return Status::InvalidArgument(fmt::format("{}: not a JSON object", tmpl.file));
  auto uid = model.find("uid");
  if (uid == model.end() || !uid->is_string() || uid->get<std::string>() != want_uid) {
    return Status::InvalidArgument(
        fmt::format("{}: rendered uid is not \"{}\"", tmpl.file, want_uid));
  }
  if (want_uid.size() > kMaxUidLength) {
    return Status::InvalidArgument(fmt::format("{}: uid \"{}\" is longer than {} characters",
                                               tmpl.file, want_uid, kMaxUidLength));
  }
  out.uid = want_uid;
  auto title = model.find("title");
  if (title != model.end() && title->is_string()) out.title = title->get<std::string>();
  return out;
}

std::vector<RenderedDashboard> RenderAll(const DashboardTemplateSet& set,
                                         const std::vector<EnvironmentVersions>& envs,
                                         std::vector<std::string>* errors) {
  std::vector<RenderedDashboard> out;
  auto add = [&](const DashboardTemplate& t, const std::string& env, const std::string& version) {
    auto r = RenderDashboard(t, env, version);
    if (r.ok()) {
      out.push_back(std::move(*r));
    } else if (errors) {
      errors->push_back(r.status().message());
    }
  };
  for (const DashboardTemplate& t : set.templates) {
    switch (t.scope) {
      case DashboardScope::kGlobal: add(t, "", ""); break;
      case DashboardScope::kEnvironment:
        for (const auto& e : envs) add(t, e.env, "");
        break;
      case DashboardScope::kEnvironmentVersion:
        for (const auto& e : envs) {
          for (const auto& v : e.versions) add(t, e.env, v);
        }
        break;
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RenderedDashboard& a, const RenderedDashboard& b) { return a.uid < b.uid; });
  // Two different (env, version) pairs cannot share a uid unless SHA-256 collides in 32
  // bits; keep the first should it ever happen.
  out.erase(std::unique(out.begin(), out.end(),
                        [](const RenderedDashboard& a, const RenderedDashboard& b) {
                          return a.uid == b.uid;
                        }),
            out.end());
  return out;
}

}  // namespace abhra::provision
