#include "aggregator/auth/access_policy.h"

#include <iterator>
#include <optional>

#include "aggregator/auth/secret_file.h"
#include "common/base/logging.h"
#include "common/http/bearer.h"

namespace abhra::auth {
namespace {

constexpr std::string_view kAdminPrefix = "/api/v1/admin/";

void Refuse(http::Response* response, int status, std::string_view why) {
  *response = http::Response();
  std::string_view type = status == 401 ? "unauthorized" : "forbidden";
  response->SetJson(
      status, fmt::format(R"({{"status":"error","errorType":"{}","error":"{}"}})", type, why));
  if (status == 401) {
    response->headers.Set("WWW-Authenticate", R"(Bearer realm="abhra")");
  } else {
    response->headers.Set("WWW-Authenticate",
                          R"(Bearer realm="abhra", error="insufficient_scope")");
  }
}

}  // namespace

std::string_view AccessClassName(AccessClass access) {
  switch (access) {
    case AccessClass::kOpen:
      return "open";
    case AccessClass::kWrite:
      return "write";
    case AccessClass::kWebhook:
      return "webhook";
    case AccessClass::kRead:
      return "read";
    case AccessClass::kAdmin:
      return "admin";
  }
  return "read";
}

AccessClass ClassifyPath(std::string_view path) {
  if (path == "/-/healthy" || path == "/-/ready") return AccessClass::kOpen;
  if (path == "/api/v1/write") return AccessClass::kWrite;
  if (path == "/api/v1/alertmanager/webhook") return AccessClass::kWebhook;
  if (path.substr(0, kAdminPrefix.size()) == kAdminPrefix || path == "/api/v1/admin") {
    return AccessClass::kAdmin;
  }
  return AccessClass::kRead;  // anything else, unknown paths included
}

Result<AccessTokens> LoadAccessTokens(const AccessTokenFiles& files,
                                      const std::vector<TenantToken>& tenant_tokens) {
  AccessTokens tokens;
  struct Slot {
    std::string_view setting;
    const std::string* file;
    std::string* token;
  };
  const Slot slots[] = {{"auth.read_token_file", &files.read, &tokens.read},
                        {"auth.admin_token_file", &files.admin, &tokens.admin},
                        {"auth.webhook_token_file", &files.webhook, &tokens.webhook}};
  for (const Slot& s : slots) {
    if (s.file->empty()) continue;
    ABHRA_ASSIGN_OR_RETURN(*s.token, ReadSecretFile(*s.file, s.setting));
  }
  for (size_t i = 0; i < std::size(slots); ++i) {
    if (slots[i].token->empty()) continue;
    for (size_t j = i + 1; j < std::size(slots); ++j) {
      if (*slots[i].token == *slots[j].token) {
        return Status::InvalidArgument(
            fmt::format("{} ({}) and {} ({}) hold the same token; each access class needs its own",
                        slots[i].setting, *slots[i].file, slots[j].setting, *slots[j].file));
      }
    }
    for (const TenantToken& t : tenant_tokens) {
      if (!t.token.empty() && t.token == *slots[i].token) {
        return Status::InvalidArgument(fmt::format(
            "{} ({}) holds the write token of tenant \"{}\"; each access class needs its own",
            slots[i].setting, *slots[i].file, t.tenant));
      }
    }
  }
  return tokens;
}

const std::string& AccessPolicy::TokenFor(AccessClass access) const {
  static const std::string kNone;
  switch (access) {
    case AccessClass::kRead:
      return tokens_.read;
    case AccessClass::kAdmin:
      return tokens_.admin;
    case AccessClass::kWebhook:
      return tokens_.webhook;
    case AccessClass::kOpen:
    case AccessClass::kWrite:
      return kNone;  // writes: ingest/tenancy checks tenant tokens
  }
  return kNone;
}

bool AccessPolicy::Check(const http::Request& request, http::Response* response) const {
  AccessClass access = ClassifyPath(request.path);
  const std::string& secret = TokenFor(access);
  if (secret.empty()) return true;
  std::string_view name = AccessClassName(access);
  std::optional<std::string_view> token = http::BearerToken(request.headers.GetOr("Authorization"));
  if (!token) {
    LOG_DEBUG("auth", "request refused: no bearer token", "class={} method={} path={} remote={}",
              name, LogfmtValue(request.method), LogfmtValue(request.path), request.remote_addr);
    Refuse(response, 401, fmt::format("{} access needs an Authorization: Bearer token", name));
    return false;
  }
  if (!http::ConstantTimeEquals(*token, secret)) {
    LOG_DEBUG("auth", "request refused: wrong token for the class",
              "class={} method={} path={} remote={}", name, LogfmtValue(request.method),
              LogfmtValue(request.path), request.remote_addr);
    Refuse(response, 403, fmt::format("the bearer token does not grant {} access", name));
    return false;
  }
  return true;
}

std::string AccessPolicy::GuardedClasses() const {
  std::string out;
  for (AccessClass c : {AccessClass::kRead, AccessClass::kAdmin, AccessClass::kWebhook}) {
    if (!Guarded(c)) continue;
    if (!out.empty()) out += ',';
    out += AccessClassName(c);
  }
  return out.empty() ? "none" : out;
}

}  // namespace abhra::auth
