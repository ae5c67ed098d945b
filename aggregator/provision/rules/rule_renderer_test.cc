// Runs from the repository root (ctest's working directory), where alerts/ lives.
#include "aggregator/provision/rules/rule_renderer.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "aggregator/rules/rule_file.h"

namespace abhra::provision {
namespace {

std::string RunCommand(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *rc = ::pclose(p);
  return out;
}

std::string WithoutFirstLine(const std::string& s) { return s.substr(s.find('\n') + 1); }

TEST(RuleRendererTest, SubstitutesPlaceholders) {
  EXPECT_EQ(*Substitute("a ${x} b ${y_1}{{ $value }}", {{"x", "1"}, {"y_1", "2"}}, "t"), "a 1 b 2{{ $value }}");
  auto missing = Substitute("line1\n${nope}", {}, "t.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "t.yml:2: no value for placeholder ${nope}");
  EXPECT_FALSE(Substitute("${Bad}", {{"Bad", "x"}}, "t").ok());
  EXPECT_FALSE(Substitute("${}", {}, "t").ok());
}

TEST(RuleRendererTest, RendersEveryEnvironmentLikeRenderShAndLoads) {
  auto d = LoadRuleDefaults("alerts");
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_FALSE(d->environment_order.empty());
  std::vector<std::string> envs = d->environment_order;
  envs.push_back("canary-1");  // not listed: fallback values
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("rule_renderer_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<std::string> paths;
  for (const std::string& env : envs) {
    auto files = RenderEnvironment(*d, env, {"1.2.0", "1.3.0"});
    ASSERT_TRUE(files.ok()) << files.status().message();
    ASSERT_EQ(files->size(), 1u);
    const RenderedFile& f = (*files)[0];
    EXPECT_EQ(f.name, env + ".yaml");
    EXPECT_NE(f.content.find("Versions deployed there (from abhra_target_info): 1.2.0, 1.3.0."),
              std::string::npos);
    EXPECT_EQ(f.content.find("${"), std::string::npos);
    EXPECT_NE(f.content.find("env=\"" + env + "\""), std::string::npos);
    auto groups = rules::ParseRuleFile(f.content, f.name, 60000);
    EXPECT_TRUE(groups.ok()) << groups.status().message();
    int rc = 0;
    std::string ref = RunCommand("bash alerts/render.sh " + env + " 2>&1", &rc);
    if (rc == 0) {
      EXPECT_EQ(WithoutFirstLine(f.content), ref) << env;
    } else {
      ADD_FAILURE() << "render.sh " << env << " failed: " << ref;
    }
    paths.push_back((dir / f.name).string());
    std::ofstream(paths.back()) << f.content;
  }
  auto global = RenderGlobal(*d);
  ASSERT_TRUE(global.ok()) << global.status().message();
  ASSERT_EQ(global->size(), 1u);
  EXPECT_EQ((*global)[0].name, "abhra-aggregator.yaml");
  EXPECT_TRUE(rules::ParseRuleFile((*global)[0].content, "g", 60000).ok());
  paths.push_back((dir / "abhra-aggregator.yaml").string());
  std::ofstream(paths.back()) << (*global)[0].content;

  if (!std::filesystem::exists("/usr/bin/promtool")) {
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "/usr/bin/promtool is not installed: promtool check rules not run";
  }
  for (const std::string& p : paths) {
    int rc = 0;
    std::string out = RunCommand("/usr/bin/promtool check rules " + p + " 2>&1", &rc);
    EXPECT_EQ(rc, 0) << p << ":\n" << out;
  }
  std::filesystem::remove_all(dir);
}

TEST(RuleRendererTest, ValidatesValues) {
  auto d = LoadRuleDefaults("alerts");
  ASSERT_TRUE(d.ok());
  RuleDefaults bad = *d;
  bad.environments["prod"]["error_budget"] = "0.01";
  auto r = EnvironmentValues(bad, "prod");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("error_budget"), std::string::npos);
  bad = *d;
  bad.environments["prod"]["target_down_for"] = "5 minutes";
  EXPECT_FALSE(EnvironmentValues(bad, "prod").ok());
  EXPECT_FALSE(EnvironmentValues(*d, "bad env").ok());
  bad = *d;
  bad.fallback_environment = "nope";
  EXPECT_FALSE(EnvironmentValues(bad, "unlisted").ok());
  EXPECT_FALSE(LoadRuleDefaults("/nonexistent").ok());
}

}  // namespace
}  // namespace abhra::provision
