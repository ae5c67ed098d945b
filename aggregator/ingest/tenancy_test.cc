#include "aggregator/ingest/tenancy.h"

#include <gtest/gtest.h>

namespace abhra::ingest {
namespace {

TEST(TenancyTest, OpenWhenNoTokens) {
  TenantPolicy p(std::vector<TenantConfig>{{"dev", ""}});
  auto id = p.Authenticate("", "");
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(id->open);
  EXPECT_TRUE(TenantPolicy::CheckSeriesTenant(*id, "prod").ok());
  EXPECT_EQ(TenantPolicy::SeriesTenant(*id, "prod"), "prod");
  EXPECT_EQ(TenantPolicy::SeriesTenant(*id, ""), "default");
}

TEST(TenancyTest, TokenGrantsOnlyItsTenant) {
  TenantPolicy p(std::vector<TenantConfig>{{"dev", "devtoken"}, {"prod", "prodtoken"}});
  auto none = p.Authenticate("", "");
  EXPECT_EQ(none.status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(p.Authenticate("Bearer nope", "").status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(p.Authenticate("Basic abc", "").status().code(), Status::Code::kUnauthenticated);

  auto dev = p.Authenticate("Bearer devtoken", "");
  ASSERT_TRUE(dev.ok());
  EXPECT_TRUE(TenantPolicy::CheckSeriesTenant(*dev, "dev").ok());
  Status s = TenantPolicy::CheckSeriesTenant(*dev, "prod");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(s.message(), "token for tenant \"dev\" cannot write series of tenant \"prod\"");
  // A series without env belongs to "default", which dev's token does not grant.
  EXPECT_EQ(TenantPolicy::CheckSeriesTenant(*dev, "").code(), Status::Code::kPermissionDenied);
}

TEST(TenancyTest, HeaderNamesTheTenant) {
  TenantPolicy p(std::vector<TenantConfig>{{"dev", "devtoken"}});
  EXPECT_EQ(p.Authenticate("Bearer devtoken", "prod").status().code(),
            Status::Code::kPermissionDenied);
  auto id = p.Authenticate("Bearer devtoken", "dev");
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(TenantPolicy::CheckSeriesTenant(*id, "").ok());  // tenant from the header
  EXPECT_EQ(TenantPolicy::SeriesTenant(*id, ""), "dev");
  EXPECT_EQ(TenantPolicy::CheckSeriesTenant(*id, "prod").code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace abhra::ingest
