// An HTTP check (kinds http and health): one request, then the validations of
// HttpCheckConfig in blackbox_exporter's order — transfer, status code, TLS requirement,
// header regexes, body regexes, JSON conditions — with the first failure as the reason.
#pragma once

#include "probe/check/curl_check.h"
#include "probe/check/http_transfer.h"
#include "probe/config/config.h"

namespace abhra::probe {

class HttpCheck final : public CurlCheck {
 public:
  // REQUIRES: `target` outlives this object; target.kind is kHttp or kHealth.
  explicit HttpCheck(const Target& target) : target_(target) {}
  Status Prepare(CURL* easy) override;
  CheckResult Finish(CURL* easy, CURLcode code) override;

 private:
  const Target& target_;
  HttpTransfer transfer_;
};

// Shared by checks and scrapes: the version from a header source (empty when absent).
std::string VersionFromHeader(const VersionSource& source, const HttpTransfer& transfer);

// True when `status` is in `valid` (empty means 200-299).
bool StatusCodeValid(const std::vector<StatusCodeRange>& valid, long status);

}  // namespace abhra::probe
