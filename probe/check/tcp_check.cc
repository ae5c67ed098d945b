#include "probe/check/tcp_check.h"

#include <cstring>

#include "probe/check/http_transfer.h"
#include "probe/check/tls_info.h"

namespace abhra::probe {

Status TcpCheck::Prepare(CURL* easy) {
  const TcpCheckConfig& cfg = target_.tcp;
  // The scheme only selects whether libcurl does a TLS handshake; no request is sent.
  url_ = fmt::format("{}://{}/", cfg.tls ? "https" : "http", cfg.address);
  curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(target_.timeout_ms));
  curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
  if (cfg.ip_protocol == IpProtocol::kIp4) curl_easy_setopt(easy, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V4);
  if (cfg.ip_protocol == IpProtocol::kIp6) curl_easy_setopt(easy, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V6);
  const TlsConfig& tls = cfg.tls_config;
  if (cfg.tls) {
    CaptureTlsInfoOnHandshake(easy, &tls_);
    if (!tls.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.cert_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.cert_file.c_str());
      curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.key_file.c_str());
    }
    if (tls.insecure_skip_verify) {
      curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  return Status::Ok();
}

CheckResult TcpCheck::Finish(CURL* easy, CURLcode code) {
  CheckResult result;
  result.success = code == CURLE_OK;
  if (code != CURLE_OK) {
    auto [why, detail] = ClassifyCurlError(easy, code);
    result.Fail(why, std::move(detail));
  }
  char* primary_ip = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &primary_ip);
  if (primary_ip != nullptr && primary_ip[0] != '\0') {
    result.Add("probe_ip_protocol", std::strchr(primary_ip, ':') != nullptr ? 6 : 4);
  }
  curl_off_t dns = 0;
  curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &dns);
  result.Add("probe_dns_lookup_time_seconds", static_cast<double>(dns) / 1e6);
  if (code == CURLE_OK && target_.tcp.tls) {
    const TlsInfo& tls = tls_;
    if (tls.used) {
      if (tls.peer_certificates > 0) {
        result.Add("probe_ssl_earliest_cert_expiry", tls.earliest_cert_expiry);
      }
      result.Add("probe_tls_version_info", 1, {{"version", tls.version}});
    }
  }
  return result;
}

}  // namespace abhra::probe
