#include "aggregator/ingest/tenancy.h"

#include "common/http/bearer.h"

namespace abhra::ingest {

TenantPolicy::TenantPolicy(const std::vector<TenantConfig>& tenants) {
  for (const TenantConfig& t : tenants) {
    if (!t.token.empty()) tokens_.push_back({t.token, t.name});
  }
}

Result<WriteIdentity> TenantPolicy::Authenticate(std::string_view authorization,
                                                 std::string_view tenant_header) const {
  WriteIdentity id;
  id.header_tenant = std::string(tenant_header);
  id.open = open();
  if (id.open) return id;
  if (authorization.empty()) {
    return Status::Unauthenticated("remote-write needs an Authorization: Bearer token");
  }
  std::optional<std::string_view> token = http::BearerToken(authorization);
  if (!token) return Status::Unauthenticated("Authorization header is not a Bearer token");
  // Every configured token is compared, in constant time, so timing tells nothing.
  const std::string* tenant = nullptr;
  for (const auto& [secret, name] : tokens_) {
    if (http::ConstantTimeEquals(*token, secret)) tenant = &name;
  }
  if (tenant == nullptr) return Status::Unauthenticated("unknown bearer token");
  id.token_tenant = *tenant;
  if (!id.header_tenant.empty() && id.header_tenant != id.token_tenant) {
    return Status::PermissionDenied(fmt::format(
        "token for tenant \"{}\" cannot write tenant \"{}\" (THANOS-TENANT header)",
        id.token_tenant, id.header_tenant));
  }
  return id;
}

std::string_view TenantPolicy::SeriesTenant(const WriteIdentity& id, std::string_view env_label) {
  if (!id.header_tenant.empty()) return id.header_tenant;
  if (!env_label.empty()) return env_label;
  return kDefaultTenant;
}

Status TenantPolicy::CheckSeriesTenant(const WriteIdentity& id, std::string_view env_label) {
  if (!id.header_tenant.empty() && !env_label.empty() && env_label != id.header_tenant) {
    return Status::InvalidArgument(
        fmt::format("series label env=\"{}\" contradicts THANOS-TENANT \"{}\"", env_label,
                    id.header_tenant));
  }
  if (id.open) return Status::Ok();
  std::string_view tenant = SeriesTenant(id, env_label);
  if (tenant != id.token_tenant) {
    return Status::PermissionDenied(
        fmt::format("token for tenant \"{}\" cannot write series of tenant \"{}\"",
                    id.token_tenant, tenant));
  }
  return Status::Ok();
}

}  // namespace abhra::ingest
