#include "probe/push/remote_write_client.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace abhra::probe {
namespace {

struct Response {
  std::string body;
  std::string retry_after;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  if (r->body.size() < 4096) r->body.append(data, std::min<size_t>(size * n, 4096 - r->body.size()));
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line(data, size * n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    std::string_view v = line.substr(kName.size());
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    r->retry_after = std::string(v);
  }
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::atomic<bool>*>(user);
  return abort != nullptr && abort->load() ? 1 : 0;
}

}  // namespace

int64_t ParseRetryAfterMs(std::string_view value, int64_t now_s) {
  if (value.empty()) return -1;
  if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return -1;
    return std::stoll(std::string(value)) * 1000;
  }
  std::string s(value);
  time_t t = curl_getdate(s.c_str(), nullptr);
  if (t < 0) return -1;
  return std::max<int64_t>(0, (static_cast<int64_t>(t) - now_s) * 1000);
}

RemoteWriteClient::RemoteWriteClient(const AggregatorConfig& config,
                                     const std::atomic<bool>* abort)
    : config_(config), abort_(abort), easy_(curl_easy_init()) {}

RemoteWriteClient::~RemoteWriteClient() { curl_easy_cleanup(easy_); }

SendOutcome RemoteWriteClient::Send(const std::string& body) {
  SendOutcome out;
  std::string token = config_.bearer_token;
  if (!config_.token_file.empty()) {
    std::ifstream in(config_.token_file);
    std::stringstream ss;
    ss << in.rdbuf();
    token = ss.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (!in) {
      out.kind = SendOutcome::Kind::kRetry;
      out.detail = fmt::format("cannot read token_file {}", config_.token_file);
      return out;
    }
  }
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Encoding: snappy");
  headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
  headers = curl_slist_append(headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
  if (!token.empty()) {
    headers = curl_slist_append(headers, fmt::format("Authorization: Bearer {}", token).c_str());
  }
  Response resp;
  CURL* e = easy_;
  curl_easy_reset(e);
  curl_easy_setopt(e, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "abhra-probe/0.1");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.remote_timeout_ms));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &resp);
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, abort_);
  const TlsConfig& tls = config_.tls;
  if (!tls.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) {
    curl_easy_setopt(e, CURLOPT_SSLCERT, tls.cert_file.c_str());
    curl_easy_setopt(e, CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode code = curl_easy_perform(e);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    out.kind = SendOutcome::Kind::kRetry;
    out.detail = curl_easy_strerror(code);
    return out;
  }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out.status);
  out.detail = resp.body;
  out.retry_after_ms = ParseRetryAfterMs(resp.retry_after, static_cast<int64_t>(std::time(nullptr)));
  if (out.status >= 200 && out.status <= 299) {
    out.kind = SendOutcome::Kind::kOk;
  } else if (out.status >= 500 || (out.status == 429 && config_.retry_on_http_429)) {
    out.kind = SendOutcome::Kind::kRetry;
  } else {
    out.kind = SendOutcome::Kind::kDrop;
  }
  return out;
}

}  // namespace abhra::probe
