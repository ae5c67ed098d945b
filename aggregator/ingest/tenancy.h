// Tenancy for remote-write: an environment is a tenant.
//
// A series' tenant is the THANOS-TENANT header when present, else its `env` label, else
// "default". When any tenant has a token configured, every write must carry
// `Authorization: Bearer <token>`, and a token lets its holder write only its own tenant's
// series: a token for `dev` cannot write `prod`. With no tokens configured, writes are open.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::ingest {

inline constexpr std::string_view kDefaultTenant = "default";
inline constexpr std::string_view kTenantHeader = "THANOS-TENANT";
inline constexpr std::string_view kTenantLabel = "env";

struct TenantConfig {
  std::string name;
  std::string token;  // empty: no token for this tenant
};

// Who is writing: the tenant a token grants (empty when writes are open), and the tenant named
// by the header (empty when absent).
struct WriteIdentity {
  std::string token_tenant;
  std::string header_tenant;
  bool open = true;  // no tokens configured anywhere
};

class TenantPolicy {
 public:
  explicit TenantPolicy(const std::vector<TenantConfig>& tenants);

  // From the Authorization and THANOS-TENANT header values ("" when absent).
  // Unauthenticated (HTTP 401) when tokens are configured and the token is missing or
  // unknown; PermissionDenied (403) when the header names a tenant the token does not grant.
  Result<WriteIdentity> Authenticate(std::string_view authorization,
                                     std::string_view tenant_header) const;

  // The tenant of one series given its env label value ("" when absent).
  static std::string_view SeriesTenant(const WriteIdentity& id, std::string_view env_label);

  // OK when `id` may write a series whose env label is `env_label`. PermissionDenied says
  // which tenant the token allows and which one the series belongs to; InvalidArgument when
  // the env label contradicts the THANOS-TENANT header.
  static Status CheckSeriesTenant(const WriteIdentity& id, std::string_view env_label);

  bool open() const { return tokens_.empty(); }

 private:
  struct TokenTenant {
    std::string token;
    std::string tenant;
  };
  std::vector<TokenTenant> tokens_;
};

}  // namespace abhra::ingest
