#include "aggregator/provision/dashboards/dashboard_set.h"

#include <cstdio>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace abhra::provision {
namespace {

// Tests run in the repository root (ctest WORKING_DIRECTORY).
constexpr const char* kDir = "dashboards";

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs the reference renderer; nullopt when python3 with PyYAML is not available.
std::optional<std::string> RenderWithPython(const std::string& file, const std::string& env,
                                            const std::string& version) {
  std::string cmd = "python3 dashboards/tests/render.py dashboards " + ShellQuote(file);
  if (!env.empty()) cmd += " " + ShellQuote("env=" + env);
  if (!version.empty()) cmd += " " + ShellQuote("version=" + version);
  cmd += " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) return std::nullopt;
  return out;
}

bool PythonRendererAvailable() {
  return std::system("python3 -c 'import yaml' >/dev/null 2>&1") == 0;
}

TEST(DashboardSetTest, LoadsTheRepositoryTemplates) {
  auto set = LoadDashboardTemplates(kDir);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->datasource_uid, "abhra");
  ASSERT_EQ(set->templates.size(), 5u);
  int global = 0, env = 0, ver = 0;
  for (const auto& t : set->templates) {
    EXPECT_FALSE(t.text.empty()) << t.file;
    global += t.scope == DashboardScope::kGlobal;
    env += t.scope == DashboardScope::kEnvironment;
    ver += t.scope == DashboardScope::kEnvironmentVersion;
  }
  EXPECT_EQ(global, 3);
  EXPECT_EQ(env, 1);
  EXPECT_EQ(ver, 1);
}

TEST(DashboardSetTest, RendersEveryScopeWithStableUids) {
  auto set = LoadDashboardTemplates(kDir);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  std::vector<std::string> errors;
  auto all = RenderAll(*set, {{"prod", {"1.4.2", "1.5.0"}}, {"staging", {}}}, &errors);
  EXPECT_TRUE(errors.empty()) << errors[0];
  // 3 global + 2 environment + 2 version dashboards.
  ASSERT_EQ(all.size(), 7u);
  std::set<std::string> uids;
  for (const auto& d : all) {
    uids.insert(d.uid);
    EXPECT_LE(d.uid.size(), 40u);
    auto j = nlohmann::json::parse(d.json);
    EXPECT_EQ(j["uid"], d.uid);
    EXPECT_FALSE(j.contains("id"));
    EXPECT_TRUE(j.contains("schemaVersion"));
    EXPECT_FALSE(d.title.empty());
  }
  EXPECT_TRUE(uids.count("abhra-fleet"));
  EXPECT_TRUE(uids.count("abhra-env-prod-6754af96"));
  EXPECT_TRUE(uids.count("abhra-ver-prod-1-4-2-84b45b18"));
  // Rendering again gives the same bytes.
  auto again = RenderAll(*set, {{"prod", {"1.4.2", "1.5.0"}}, {"staging", {}}}, nullptr);
  ASSERT_EQ(again.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(again[i].json, all[i].json);
}

TEST(DashboardSetTest, IdenticalToTheReferenceRenderer) {
  if (!PythonRendererAvailable()) GTEST_SKIP() << "python3 with PyYAML not available";
  auto set = LoadDashboardTemplates(kDir);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"prod", "1.4.2"},
      {"staging", "1.5.0-rc.1"},
      {"dev", "2026.11.23-build.9f3e2a1c9d8b7a6f5e4d3c2b1a0"},
      {"eu-west-1-production-canary-environment", "v10.20.30+meta.with.plus"},
      {"qa \"blue\" \xc3\xbc\xe2\x82\xac", "v1\\2 <b>&'x'"},
  };
  int compared = 0;
  for (const auto& t : set->templates) {
    for (const auto& [env, version] : pairs) {
      std::string e = t.scope == DashboardScope::kGlobal ? "" : env;
      std::string v = t.scope == DashboardScope::kEnvironmentVersion ? version : "";
      auto ours = RenderDashboard(t, e, v);
      ASSERT_TRUE(ours.ok()) << t.file << ": " << ours.status().ToString();
      auto theirs = RenderWithPython(t.file.substr(t.file.rfind('/') + 1), e, v);
      ASSERT_TRUE(theirs.has_value()) << "render.py failed for " << t.file << " " << e << " " << v;
      EXPECT_EQ(ours->json, *theirs) << t.file << " env=" << e << " version=" << v;
      ++compared;
      if (t.scope == DashboardScope::kGlobal) break;
    }
  }
  EXPECT_EQ(compared, 3 + 2 * 5);
}

TEST(DashboardSetTest, ManifestErrorsNameTheProblem) {
  auto bad_scope = ParseDashboardTemplates(
      "templates:\n  - {file: a.json, scope: cluster, uid: x}\n", {{"a.json", "{}"}});
  ASSERT_FALSE(bad_scope.ok());
  EXPECT_NE(bad_scope.status().message().find("unknown scope \"cluster\""), std::string::npos);
  auto no_prefix = ParseDashboardTemplates(
      "templates:\n  - {file: a.json, scope: environment}\n", {{"a.json", "{}"}});
  ASSERT_FALSE(no_prefix.ok());
  EXPECT_NE(no_prefix.status().message().find("uid_prefix"), std::string::npos);
  auto missing = ParseDashboardTemplates(
      "templates:\n  - {file: b.json, scope: global, uid: x}\n", {{"a.json", "{}"}});
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(ParseDashboardTemplates("[1, 2", {}).ok());
}

TEST(DashboardSetTest, RenderRejectsWrongUidAndNonJson) {
  DashboardTemplate t;
  t.file = "t.json";
  t.scope = DashboardScope::kEnvironment;
  t.uid_prefix = "p-";
  t.text = R"({"uid":"p-${uid_suffix}","title":"Env ${env}"})";
  auto ok = RenderDashboard(t, "prod", "");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->title, "Env prod");
  EXPECT_FALSE(RenderDashboard(t, "", "").ok());
  t.text = R"({"uid":"other","title":"x"})";
  EXPECT_FALSE(RenderDashboard(t, "prod", "").ok());
  t.text = R"({"uid":"p-${uid_suffix}",)";
  EXPECT_FALSE(RenderDashboard(t, "prod", "").ok());
}

}  // namespace
}  // namespace abhra::provision
