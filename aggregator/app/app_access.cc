// The aggregator's access control: the bearer tokens of auth/access_policy.h installed as the
// router's guard, and the admin API, which exists only with --web.enable-admin-api.
#include "aggregator/api/envelope.h"
#include "aggregator/app/aggregator_app.h"
#include "aggregator/auth/access_policy.h"
#include "aggregator/tsdb/db/db.h"
#include "common/base/logging.h"

namespace abhra::aggregator {

Status AggregatorApp::InitAccess() {
  // A bad certificate or key is reported before the TSDB is opened (WAL replay can be long).
  if (Status tls = http::CheckTlsOptions(options_.http); !tls.ok()) {
    return tls.WithContext("cannot start the HTTP server");
  }
  const AggregatorConfig& config = options_.config;
  std::vector<auth::TenantToken> tenant_tokens;
  bool writes_guarded = false;
  for (const TenantConfig& t : config.tenants) {
    tenant_tokens.push_back({t.name, t.token});
    writes_guarded = writes_guarded || !t.token.empty();
  }
  auto tokens = auth::LoadAccessTokens(
      {config.auth.read_token_file, config.auth.admin_token_file, config.auth.webhook_token_file},
      tenant_tokens);
  if (!tokens.ok()) return tokens.status().WithContext("invalid auth configuration");
  if (options_.enable_admin_api && !tokens->read.empty() && tokens->admin.empty()) {
    return Status::InvalidArgument(
        "--web.enable-admin-api with auth.read_token_file set needs auth.admin_token_file too; "
        "otherwise the admin API would be open while reads need a token");
  }
  access_ = std::make_unique<auth::AccessPolicy>(std::move(*tokens));
  router_.SetGuard(
      [access = access_.get()](const http::Request& request, http::Response* response) {
        return access->Check(request, response);
      });
  RegisterAdminRoutes();
  LOG_INFO("aggregator", "access control", "tokens_required={} writes={} admin_api={} tls={}",
           access_->GuardedClasses(), writes_guarded ? "tenant-tokens" : "open",
           options_.enable_admin_api ? "enabled" : "disabled",
           options_.http.tls_cert_file.empty() ? "off" : "on");
  return Status::Ok();
}

void AggregatorApp::RegisterAdminRoutes() {
  // Off unless --web.enable-admin-api: Prometheus' answer, word for word (HTTP 500,
  // errorType "unavailable"), so tools that know Prometheus recognise it.
  if (!options_.enable_admin_api) {
    router_.HandlePrefix({"GET", "POST", "PUT", "DELETE"}, "/api/v1/admin/",
                         [](const http::Request&, http::Response* resp) {
                           api::WriteError(resp, api::ErrorType::kUnavailable,
                                           "admin APIs disabled");
                         });
    return;
  }
  // Flush: every acknowledged sample durable and the head cut into blocks (the bench harness
  // and operators call it before reading the data dir). Compact: one maintenance cycle now.
  router_.Handle("POST", "/api/v1/admin/flush", [this](const http::Request&, http::Response* resp) {
    Status st = db_->Flush();
    if (!st.ok()) return api::WriteError(resp, api::ErrorType::kInternal, st.message());
    api::WriteSuccess(resp, fmt::format(R"({{"blocks":{},"headSeries":{}}})", db_->Blocks().size(),
                                        db_->head().NumSeries()));
  });
  router_.Handle("POST", "/api/v1/admin/compact",
                 [this](const http::Request&, http::Response* resp) {
                   Status st = db_->Compact();
                   if (!st.ok())
                     return api::WriteError(resp, api::ErrorType::kInternal, st.message());
                   api::WriteSuccess(resp, fmt::format(R"({{"blocks":{}}})", db_->Blocks().size()));
                 });
}

}  // namespace abhra::aggregator
