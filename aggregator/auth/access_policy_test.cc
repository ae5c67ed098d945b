#include "aggregator/auth/access_policy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/base/log_capture.h"

namespace abhra::auth {
namespace {

constexpr const char* kRead = "read-tok-Q7xv";
constexpr const char* kAdmin = "admin-tok-9Kfz";
constexpr const char* kWebhook = "hook-tok-2Lmw";
constexpr const char* kTenant = "tenant-tok-8Hrp";

http::Request Req(std::string path, std::string authorization = "") {
  http::Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.remote_addr = "127.0.0.1:5555";
  if (!authorization.empty()) r.headers.Add("Authorization", std::move(authorization));
  return r;
}

int Status(const AccessPolicy& p, const http::Request& req, http::Response* out = nullptr) {
  http::Response resp;
  bool ok = p.Check(req, &resp);
  if (out) *out = resp;
  return ok ? 0 : resp.status;
}

TEST(AccessPolicyTest, ClassifiesPaths) {
  EXPECT_EQ(ClassifyPath("/-/healthy"), AccessClass::kOpen);
  EXPECT_EQ(ClassifyPath("/-/ready"), AccessClass::kOpen);
  EXPECT_EQ(ClassifyPath("/api/v1/write"), AccessClass::kWrite);
  EXPECT_EQ(ClassifyPath("/api/v1/alertmanager/webhook"), AccessClass::kWebhook);
  EXPECT_EQ(ClassifyPath("/api/v1/admin/flush"), AccessClass::kAdmin);
  EXPECT_EQ(ClassifyPath("/api/v1/admin/compact"), AccessClass::kAdmin);
  for (const char* read :
       {"/api/v1/query", "/api/v1/query_range", "/api/v1/labels", "/api/v1/label/job/values",
        "/api/v1/series", "/api/v1/metadata", "/api/v1/rules", "/api/v1/alerts",
        "/api/v1/incidents", "/api/v1/provisioning/rules/prod.yaml", "/api/v1/status/buildinfo",
        "/api/v1/status/page", "/", "/metrics", "/-/healthy/x", "/api/v1/write/x", "/api/v1/adminx",
        "/unknown"}) {
    EXPECT_EQ(ClassifyPath(read), AccessClass::kRead) << read;
  }
}

TEST(AccessPolicyTest, NoTokensMeansOpen) {
  AccessPolicy open(AccessTokens{});
  for (const char* path :
       {"/api/v1/query", "/api/v1/admin/flush", "/api/v1/alertmanager/webhook", "/metrics", "/"}) {
    EXPECT_EQ(Status(open, Req(path)), 0) << path;
  }
  EXPECT_EQ(open.GuardedClasses(), "none");
}

TEST(AccessPolicyTest, EachTokenOpensItsClassOnly) {
  AccessPolicy p(AccessTokens{kRead, kAdmin, kWebhook});
  EXPECT_EQ(p.GuardedClasses(), "read,admin,webhook");
  const std::string bearer = "Bearer ";
  // Health and readiness stay open; writes are left to the tenant check in ingest.
  EXPECT_EQ(Status(p, Req("/-/healthy")), 0);
  EXPECT_EQ(Status(p, Req("/-/ready")), 0);
  EXPECT_EQ(Status(p, Req("/api/v1/write")), 0);

  http::Response resp;
  EXPECT_EQ(Status(p, Req("/api/v1/query"), &resp), 401);
  EXPECT_EQ(resp.headers.GetOr("WWW-Authenticate"), R"(Bearer realm="abhra")");
  EXPECT_EQ(resp.headers.GetOr("Content-Type"), "application/json");
  EXPECT_EQ(
      resp.body,
      R"({"status":"error","errorType":"unauthorized","error":"read access needs an Authorization: Bearer token"})");
  EXPECT_EQ(Status(p, Req("/api/v1/query", "Basic cmVhZDpyZWFk")), 401);
  EXPECT_EQ(Status(p, Req("/api/v1/query", bearer + kRead)), 0);
  EXPECT_EQ(Status(p, Req("/metrics", bearer + kRead)), 0);
  EXPECT_EQ(Status(p, Req("/", bearer + kRead)), 0);
  EXPECT_EQ(Status(p, Req("/api/v1/query", bearer + kTenant), &resp), 403) << "write token reads";
  EXPECT_NE(resp.body.find("does not grant read access"), std::string::npos);
  EXPECT_EQ(Status(p, Req("/api/v1/query", bearer + kAdmin)), 403);
  EXPECT_EQ(Status(p, Req("/api/v1/query", bearer + kRead + "x")), 403);

  EXPECT_EQ(Status(p, Req("/api/v1/admin/flush")), 401);
  EXPECT_EQ(Status(p, Req("/api/v1/admin/flush", bearer + kRead)), 403) << "read token admins";
  EXPECT_EQ(Status(p, Req("/api/v1/admin/flush", bearer + kTenant)), 403);
  EXPECT_EQ(Status(p, Req("/api/v1/admin/flush", bearer + kAdmin)), 0);

  EXPECT_EQ(Status(p, Req("/api/v1/alertmanager/webhook", bearer + kRead)), 403);
  EXPECT_EQ(Status(p, Req("/api/v1/alertmanager/webhook", bearer + kWebhook)), 0);
}

TEST(AccessPolicyTest, RefusalsAreLoggedWithoutTokens) {
  AccessPolicy p(AccessTokens{kRead, kAdmin, kWebhook});
  LogCapture logs;
  const std::string bearer = "Bearer ";
  for (const char* token : {kRead, kAdmin, kWebhook, kTenant}) {
    for (const char* path :
         {"/api/v1/query", "/api/v1/admin/flush", "/api/v1/alertmanager/webhook"}) {
      Status(p, Req(path, bearer + token));
    }
  }
  Status(p, Req("/api/v1/query"));
  std::string text = logs.text();
  EXPECT_NE(text.find("request refused"), std::string::npos) << "refusals are logged";
  for (const char* token : {kRead, kAdmin, kWebhook, kTenant}) {
    EXPECT_EQ(text.find(token), std::string::npos) << token << " leaked into:\n" << text;
  }
  EXPECT_EQ(text.find("Bearer"), std::string::npos) << text;
}

class LoadAccessTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/abhra_access_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content << "\n";
    return path;
  }
  std::string dir_;
};

TEST_F(LoadAccessTokensTest, ReadsTheFilesThatAreSet) {
  auto t = LoadAccessTokens({Write("r", kRead), "", Write("w", kWebhook)}, {{"prod", kTenant}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->read, kRead);
  EXPECT_EQ(t->admin, "");
  EXPECT_EQ(t->webhook, kWebhook);
  auto none = LoadAccessTokens({}, {});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(AccessPolicy(*none).GuardedClasses(), "none");
}

TEST_F(LoadAccessTokensTest, SharedTokensAreRefusedWithoutShowingThem) {
  auto same = LoadAccessTokens({Write("r", kRead), Write("a", kRead), ""}, {});
  ASSERT_FALSE(same.ok());
  EXPECT_NE(same.status().message().find("auth.read_token_file"), std::string::npos);
  EXPECT_NE(same.status().message().find("auth.admin_token_file"), std::string::npos);
  EXPECT_EQ(same.status().message().find(kRead), std::string::npos) << same.status().message();

  auto tenant = LoadAccessTokens({Write("r", kTenant), "", ""}, {{"dev", "x"}, {"prod", kTenant}});
  ASSERT_FALSE(tenant.ok());
  EXPECT_NE(tenant.status().message().find("tenant \"prod\""), std::string::npos)
      << tenant.status().message();
  EXPECT_EQ(tenant.status().message().find(kTenant), std::string::npos);

  auto missing = LoadAccessTokens({"", dir_ + "/none", ""}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("auth.admin_token_file"), std::string::npos);
}

}  // namespace
}  // namespace abhra::auth
