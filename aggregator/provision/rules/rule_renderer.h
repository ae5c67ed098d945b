// Renders the alert rule templates of alerts/ per environment, exactly as alerts/render.sh
// does (contract: alerts/README.md "Rendering contract"): every ${name} is replaced by its
// value from alerts/defaults.yaml, nothing else is interpreted; a placeholder without a value,
// a malformed ${...} and a value that fails validation are errors.
// Plain functions over values; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::provision {

struct RuleTemplate {
  std::string file;    // path relative to the templates dir
  std::string scope;   // "environment" or "global"
  std::string output;  // output file name; "${env}" is substituted
  std::string text;    // the template's content
};

using Values = std::map<std::string, std::string>;

struct RuleDefaults {
  std::string dir;  // the templates dir (holds defaults.yaml)
  std::vector<RuleTemplate> templates;
  std::string fallback_environment;
  Values global;
  std::vector<std::string> environment_order;  // as listed in defaults.yaml
  std::map<std::string, Values> environments;
};

// Reads <dir>/defaults.yaml and the templates it names.
Result<RuleDefaults> LoadRuleDefaults(const std::string& dir);

// True for names usable as `env` in selectors and file names: [A-Za-z0-9_.-]+.
bool IsValidEnvironmentName(std::string_view env);

// The values for `env` (its own, or the fallback environment's), validated as render.sh does.
Result<Values> EnvironmentValues(const RuleDefaults& d, const std::string& env);

// Substitutes ${name} placeholders. `where` names the template in errors.
Result<std::string> Substitute(std::string_view text, const Values& values, std::string_view where);

struct RenderedFile {
  std::string name;     // e.g. "prod.yaml", "abhra-aggregator.yaml"
  std::string env;      // "" for global files
  std::string content;
};

// Renders the environment-scope templates for `env`. `versions` (from abhra_target_info) are
// recorded in a comment at the top of the file: the templates have nothing version-specific.
Result<std::vector<RenderedFile>> RenderEnvironment(const RuleDefaults& d, const std::string& env,
                                                    const std::vector<std::string>& versions);
// Renders the global-scope templates.
Result<std::vector<RenderedFile>> RenderGlobal(const RuleDefaults& d);

}  // namespace abhra::provision
