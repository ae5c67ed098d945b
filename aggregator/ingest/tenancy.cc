#include "aggregator/ingest/tenancy.h"

namespace abhra::ingest {

TenantPolicy::TenantPolicy(const std::vector<TenantConfig>& tenants) {
  for (const TenantConfig& t : tenants) {
    if (!t.token.empty()) token_to_tenant_[t.token] = t.name;
  }
}

Result<WriteIdentity> TenantPolicy::Authenticate(std::string_view authorization,
                                                 std::string_view tenant_header) const {
  WriteIdentity id;
  id.header_tenant = std::string(tenant_header);
  id.open = open();
  if (id.open) return id;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return Status::Unauthenticated("remote-write needs an Authorization: Bearer token");
  }
  if (authorization.substr(0, kBearer.size()) != kBearer) {
    return Status::Unauthenticated("Authorization header is not a Bearer token");
  }
  std::string token(authorization.substr(kBearer.size()));
  auto it = token_to_tenant_.find(token);
  if (it == token_to_tenant_.end()) return Status::Unauthenticated("unknown bearer token");
  id.token_tenant = it->second;
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
