// The dashboard templates of dashboards/ (manifest dashboards.yaml + templates/*.json) and
// their rendering per scope: global once, environment once per env, environment_version once
// per (env, deployed version).
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"

namespace abhra::provision {

enum class DashboardScope { kGlobal, kEnvironment, kEnvironmentVersion };
std::string_view DashboardScopeName(DashboardScope scope);  // "global", ...

struct DashboardTemplate {
  std::string file;        // as in the manifest, e.g. "templates/environment.json"
  DashboardScope scope = DashboardScope::kGlobal;
  std::string uid;         // global scope: the fixed uid
  std::string uid_prefix;  // other scopes: uid = uid_prefix + UidSuffix(...)
  std::string text;        // the template's JSON text
};

struct DashboardTemplateSet {
  std::string datasource_uid;  // "abhra"
  std::vector<DashboardTemplate> templates;
};

// Reads DIR/dashboards.yaml and every template it lists. Errors name the file and what is
// wrong (unknown scope, missing uid / uid_prefix, unreadable template).
Result<DashboardTemplateSet> LoadDashboardTemplates(const std::string& dir);
// The same from text already in memory (for tests): `manifest_yaml` and file -> text.
Result<DashboardTemplateSet> ParseDashboardTemplates(
    std::string_view manifest_yaml, const std::vector<std::pair<std::string, std::string>>& files);

// One environment and the versions deployed in it (sorted, unique).
struct EnvironmentVersions {
  std::string env;
  std::vector<std::string> versions;
};

struct RenderedDashboard {
  std::string uid;
  std::string title;    // from the rendered JSON's "title"
  std::string env;      // "" for global dashboards
  std::string version;  // "" unless environment_version scope
  std::string file;     // the template file it came from
  std::string json;     // the rendered dashboard model (JSON text)
};

// Renders one template. `env`/`version` are required as the scope needs them. Fails
// (InvalidArgument) on a placeholder without a value, output that is not a JSON object, a
// uid that differs from the computed one or is longer than 40 characters.
Result<RenderedDashboard> RenderDashboard(const DashboardTemplate& tmpl, const std::string& env,
                                          const std::string& version);

// Every dashboard for the given environments: globals, one per env, one per (env, version),
// sorted by uid. Templates that fail to render are reported in *errors and skipped.
std::vector<RenderedDashboard> RenderAll(const DashboardTemplateSet& set,
                                         const std::vector<EnvironmentVersions>& envs,
                                         std::vector<std::string>* errors);

}  // namespace abhra::provision
