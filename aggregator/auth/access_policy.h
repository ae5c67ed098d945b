// Who may call what on the aggregator's one HTTP port: each path has an access class, and a
// class with a configured bearer token needs it.
//
//   class    paths                                        token, when configured
//   open     /-/healthy, /-/ready                         never any
//   write    /api/v1/write                                a tenant token (ingest/tenancy.h)
//   webhook  /api/v1/alertmanager/webhook                 auth.webhook_token_file
//   admin    /api/v1/admin/...                            auth.admin_token_file
//   read     everything else: query API, metadata, rules, alerts, incidents, provisioning,
//            the status page and /metrics                 auth.read_token_file
//
// A class without a token is open. Without a Bearer credential a guarded class answers 401
// with `WWW-Authenticate: Bearer realm="abhra"`; with another token, 403. Tokens are compared
// in constant time, and neither tokens nor Authorization headers are ever logged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/http/message.h"

namespace abhra::auth {

enum class AccessClass { kOpen, kWrite, kWebhook, kRead, kAdmin };

std::string_view AccessClassName(AccessClass access);

// The class of a (percent-decoded) request path, as the Router sees it.
AccessClass ClassifyPath(std::string_view path);

struct AccessTokens {
  std::string read;     // "" = reads are open
  std::string admin;    // "" = the admin API needs no token
  std::string webhook;  // "" = the Alertmanager webhook needs no token
};

// The token files of the configuration (auth.*_token_file); "" = not set.
struct AccessTokenFiles {
  std::string read;
  std::string admin;
  std::string webhook;
};

// A remote-write tenant's token, to check that no class token doubles as one.
struct TenantToken {
  std::string tenant;
  std::string token;
};

// Reads the files that are set (secret_file.h). InvalidArgument too when two classes share a
// token or a class token is also a tenant's write token: each token opens one class only.
// Messages name settings, files and tenants, never tokens.
Result<AccessTokens> LoadAccessTokens(const AccessTokenFiles& files,
                                      const std::vector<TenantToken>& tenant_tokens);

class AccessPolicy {
 public:
  explicit AccessPolicy(AccessTokens tokens) : tokens_(std::move(tokens)) {}

  // The http::Router guard: true lets the request through, otherwise *response is the 401
  // or 403 (a Prometheus-style JSON error). Thread-safe.
  bool Check(const http::Request& request, http::Response* response) const;

  // The classes that need a token, e.g. "read,admin", or "none"; for the start-up log.
  std::string GuardedClasses() const;

  bool Guarded(AccessClass access) const { return !TokenFor(access).empty(); }

 private:
  const std::string& TokenFor(AccessClass access) const;  // "" = open

  AccessTokens tokens_;
};

}  // namespace abhra::auth
