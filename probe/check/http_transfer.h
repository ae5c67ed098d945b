// One HTTP request on a libcurl easy handle, as the probe makes it: options from an
// HttpRequestConfig, the response body (bounded), the last response's headers, TLS facts
// captured while the connection was open, and blackbox_exporter-style timing samples.
// One object per attempt; not thread-safe; must outlive the transfer.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/status.h"
#include "probe/check/check_result.h"
#include "probe/check/tls_info.h"
#include "probe/config/config.h"

namespace abhra::probe {

class HttpTransfer {
 public:
  HttpTransfer() = default;
  HttpTransfer(const HttpTransfer&) = delete;
  HttpTransfer& operator=(const HttpTransfer&) = delete;
  ~HttpTransfer();

  // Sets the options. Reads password/token files now (IOError when unreadable).
  // REQUIRES: `config` outlives the transfer.
  Status Prepare(CURL* easy, const HttpRequestConfig& config, int64_t timeout_ms);

  const std::string& body() const { return body_; }
  bool body_too_large() const { return body_too_large_; }
  // Headers of the last response, names as sent.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  // The first value of a header (case-insensitive), if present.
  std::optional<std::string_view> Header(std::string_view name) const;
  const TlsInfo& tls() const { return tls_; }

  // After the transfer: classifies a failed CURLcode (reason and detail) into `result`, and adds
  // probe_http_* / probe_ssl_* / probe_dns_lookup_time_seconds / probe_ip_protocol samples.
  void Complete(CURL* easy, CURLcode code, CheckResult* result);

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* self);
  static size_t OnHeader(char* data, size_t size, size_t n, void* self);

  struct curl_slist* header_list_ = nullptr;
  struct curl_slist* connect_to_list_ = nullptr;
  CURL* easy_ = nullptr;
  int64_t body_limit_ = 0;
  std::string body_;
  bool body_too_large_ = false;
  std::vector<std::pair<std::string, std::string>> headers_;
  TlsInfo tls_;
  std::string connect_to_;  // CURLOPT_CONNECT_TO entry when tls.server_name is set
  std::string url_;
  std::string password_;
};

// Maps a failed transfer to a reason::* string and a detail sentence.
std::pair<std::string_view, std::string> ClassifyCurlError(CURL* easy, CURLcode code);

// Adds probe_http_duration_seconds{phase=...} and probe_dns_lookup_time_seconds as
// blackbox_exporter defines them, from libcurl's cumulative timers.
void AddTimingSamples(CURL* easy, CheckResult* result);

}  // namespace abhra::probe
