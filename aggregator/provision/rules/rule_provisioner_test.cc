// Runs from the repository root (ctest's working directory), where alerts/ lives.
#include "aggregator/provision/rules/rule_provisioner.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace abhra::provision {
namespace {

class RuleProvisionerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = std::filesystem::temp_directory_path() /
           ("rule_provisioner_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(out_);
  }
  void TearDown() override { std::filesystem::remove_all(out_); }

  RuleProvisionerOptions Options() {
    RuleProvisionerOptions o;
    o.templates_dir = "alerts";
    o.output_dir = out_.string();
    o.environments = [this]() -> Result<std::map<std::string, std::vector<std::string>>> {
      return envs_;
    };
    o.load = [this](std::vector<rules::GroupSpec> groups) {
      ++loads_;
      loaded_ = std::move(groups);
    };
    return o;
  }

  http::Response Call(http::Router& router, std::string method, std::string path) {
    http::Request req;
    req.method = std::move(method);
    req.path = path;
    req.target = path;
    http::Response resp;
    router.Dispatch(&req, &resp);
    return resp;
  }

  std::filesystem::path out_;
  std::map<std::string, std::vector<std::string>> envs_;
  int loads_ = 0;
  std::vector<rules::GroupSpec> loaded_;
};

TEST_F(RuleProvisionerTest, RendersEnvironmentsFromDataAndReloadsOnlyOnChange) {
  envs_ = {{"prod", {"1.4.0"}}, {"qa", {}}, {"bad env", {}}};
  RuleProvisioner p(Options());
  ASSERT_TRUE(p.Refresh().ok());
  auto files = p.Files();
  EXPECT_TRUE(files.count("prod.yaml"));
  EXPECT_TRUE(files.count("staging.yaml"));  // from defaults.yaml, no data
  EXPECT_TRUE(files.count("qa.yaml"));       // from data, fallback values
  EXPECT_FALSE(files.count("bad env.yaml"));  // unusable name: skipped
  EXPECT_TRUE(files.count("abhra-aggregator.yaml"));
  EXPECT_NE(files["prod.yaml"].content.find("1.4.0"), std::string::npos);
  EXPECT_EQ(loads_, 1);
  bool has_qa_group = false;
  for (const auto& g : loaded_) has_qa_group |= g.file == "qa.yaml";
  EXPECT_TRUE(has_qa_group);

  ASSERT_TRUE(p.Refresh().ok());
  EXPECT_EQ(loads_, 1);  // nothing changed
  envs_["canary"] = {"2.0.0"};
  ASSERT_TRUE(p.Refresh().ok());
  EXPECT_EQ(loads_, 2);
  EXPECT_TRUE(p.Files().count("canary.yaml"));
}

TEST_F(RuleProvisionerTest, ConfigOnlyIgnoresData) {
  envs_ = {{"qa", {}}};
  RuleProvisionerOptions o = Options();
  o.environments_from_data = false;
  RuleProvisioner p(o);
  ASSERT_TRUE(p.Refresh().ok());
  EXPECT_FALSE(p.Files().count("qa.yaml"));
  EXPECT_TRUE(p.Files().count("dev.yaml"));
}

TEST_F(RuleProvisionerTest, ServesAndWritesFiles) {
  envs_ = {{"prod", {"1.0"}}};
  RuleProvisioner p(Options());
  ASSERT_TRUE(p.Refresh().ok());
  http::Router router;
  p.RegisterRoutes(&router);

  http::Response index = Call(router, "GET", "/api/v1/provisioning/rules");
  ASSERT_EQ(index.status, 200);
  auto j = nlohmann::json::parse(index.body);
  EXPECT_EQ(j["status"], "success");
  bool found = false;
  for (const auto& f : j["data"]["files"]) {
    if (f["name"] == "prod.yaml") {
      found = true;
      EXPECT_EQ(f["env"], "prod");
      EXPECT_EQ(f["url"], "/api/v1/provisioning/rules/prod.yaml");
    }
  }
  EXPECT_TRUE(found);

  http::Response prod = Call(router, "GET", "/api/v1/provisioning/rules/prod.yaml");
  ASSERT_EQ(prod.status, 200);
  EXPECT_EQ(prod.body, p.Files()["prod.yaml"].content);
  EXPECT_EQ(Call(router, "GET", "/api/v1/provisioning/rules/nope.yaml").status, 404);

  http::Response written = Call(router, "POST", "/api/v1/provisioning/rules/write");
  ASSERT_EQ(written.status, 200) << written.body;
  std::ifstream in(out_ / "prod.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), p.Files()["prod.yaml"].content);
  EXPECT_TRUE(std::filesystem::exists(out_ / "abhra-aggregator.yaml"));
}

TEST_F(RuleProvisionerTest, ErrorsNameTheProblem) {
  RuleProvisionerOptions o = Options();
  o.templates_dir = "/nonexistent";
  RuleProvisioner p(o);
  Status st = p.Refresh();
  EXPECT_NE(st.message().find("/nonexistent/defaults.yaml"), std::string::npos) << st.message();
  o = Options();
  o.output_dir = "";
  RuleProvisioner q(o);
  ASSERT_TRUE(q.Refresh().ok());
  EXPECT_EQ(q.WriteFiles().status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace abhra::provision
