// A TCP connect check, optionally with a TLS handshake: libcurl in CONNECT_ONLY mode, so it
// runs on the same multi handle as HTTP checks. Reports probe_ip_protocol,
// probe_dns_lookup_time_seconds and, with TLS, probe_ssl_earliest_cert_expiry and
// probe_tls_version_info.
#pragma once

#include <string>

#include "probe/check/curl_check.h"
#include "probe/check/tls_info.h"
#include "probe/config/config.h"

namespace abhra::probe {

class TcpCheck final : public CurlCheck {
 public:
  // REQUIRES: `target` outlives this object; target.kind is kTcp.
  explicit TcpCheck(const Target& target) : target_(target) {}
  Status Prepare(CURL* easy) override;
  CheckResult Finish(CURL* easy, CURLcode code) override;

 private:
  const Target& target_;
  std::string url_;
  TlsInfo tls_;
};

}  // namespace abhra::probe
