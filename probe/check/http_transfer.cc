#include "probe/check/http_transfer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace abhra::probe {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(fmt::format("cannot read secret file \"{}\"", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(Trim(ss.str()));
}

double Seconds(curl_off_t us) { return static_cast<double>(us) / 1e6; }

}  // namespace

HttpTransfer::~HttpTransfer() {
  curl_slist_free_all(header_list_);
  curl_slist_free_all(connect_to_list_);
}

std::optional<std::string_view> HttpTransfer::Header(std::string_view name) const {
  for (const auto& [k, v] : headers_) {
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

size_t HttpTransfer::OnBody(char* data, size_t size, size_t n, void* self_ptr) {
  auto* self = static_cast<HttpTransfer*>(self_ptr);
  size_t len = size * n;
  if (static_cast<int64_t>(self->body_.size() + len) > self->body_limit_) {
    self->body_too_large_ = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  self->body_.append(data, len);
  return len;
}

size_t HttpTransfer::OnHeader(char* data, size_t size, size_t n, void* self_ptr) {
  auto* self = static_cast<HttpTransfer*>(self_ptr);
  size_t len = size * n;
  std::string_view line(data, len);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response (first, after a redirect, or after 100 Continue): its connection is open
    // now, so this is where the TLS session can be read.
    self->headers_.clear();
    self->tls_ = ReadTlsInfo(self->easy_);
    return len;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    self->headers_.emplace_back(std::string(Trim(line.substr(0, colon))),
                                std::string(Trim(line.substr(colon + 1))));
  }
  return len;
}

Status HttpTransfer::Prepare(CURL* easy, const HttpRequestConfig& config, int64_t timeout_ms) {
  easy_ = easy;
  body_limit_ = config.body_size_limit;
  url_ = config.url;
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  // Every check measures a new connection (DNS, connect, TLS), as blackbox_exporter does.
  curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &HttpTransfer::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HttpTransfer::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "abhra-probe/0.1");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, config.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(config.max_redirects));
  switch (config.ip_protocol) {
    case IpProtocol::kIp4: curl_easy_setopt(easy, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V4); break;
    case IpProtocol::kIp6: curl_easy_setopt(easy, CURLOPT_IPRESOLVE, CURL_IPRESOLVE_V6); break;
    case IpProtocol::kAny: break;
  }

  if (config.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (config.method != "GET" || !config.body.empty()) {
    if (!config.body.empty() || config.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(config.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, config.body.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, config.method.c_str());
  }

  for (const auto& [k, v] : config.headers) {
    header_list_ = curl_slist_append(header_list_, fmt::format("{}: {}", k, v).c_str());
  }
  if (config.basic_auth) {
    password_ = config.basic_auth->password;
    if (!config.basic_auth->password_file.empty()) {
      ABHRA_ASSIGN_OR_RETURN(password_, ReadSecretFile(config.basic_auth->password_file));
    }
    curl_easy_setopt(easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(easy, CURLOPT_USERNAME, config.basic_auth->username.c_str());
    curl_easy_setopt(easy, CURLOPT_PASSWORD, password_.c_str());
  }
  std::string token = config.bearer_token;
  if (!config.bearer_token_file.empty()) {
    ABHRA_ASSIGN_OR_RETURN(token, ReadSecretFile(config.bearer_token_file));
  }
  if (!token.empty()) {
    header_list_ = curl_slist_append(header_list_, fmt::format("Authorization: Bearer {}", token).c_str());
  }

  const TlsConfig& tls = config.tls;
  if (!tls.ca_file.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.cert_file.c_str());
    curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls.server_name.empty()) {
    // SNI and certificate verification use server_name while the connection still goes to
    // the URL's host: the URL names server_name, CONNECT_TO maps it back, and the Host header
    // keeps the original authority.
    CURLU* u = curl_url();
    if (curl_url_set(u, CURLUPART_URL, config.url.c_str(), 0) != CURLUE_OK) {
      curl_url_cleanup(u);
      return Status::InvalidArgument(fmt::format("invalid URL \"{}\"", config.url));
    }
    char* host = nullptr;
    char* port = nullptr;
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    char* explicit_port = nullptr;
    curl_url_get(u, CURLUPART_PORT, &explicit_port, 0);
    std::string authority = explicit_port ? fmt::format("{}:{}", host, explicit_port) : host;
    header_list_ = curl_slist_append(header_list_, fmt::format("Host: {}", authority).c_str());
    connect_to_ = fmt::format("{}:{}:{}:{}", tls.server_name, port, host, port);
    curl_url_set(u, CURLUPART_HOST, tls.server_name.c_str(), 0);
    char* rewritten = nullptr;
    curl_url_get(u, CURLUPART_URL, &rewritten, 0);
    url_ = rewritten;
    curl_free(rewritten);
    curl_free(host);
    curl_free(port);
    curl_free(explicit_port);
    curl_url_cleanup(u);
    connect_to_list_ = curl_slist_append(nullptr, connect_to_.c_str());
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connect_to_list_);
  }
  curl_easy_setopt(easy, CURLOPT_URL, url_.c_str());
  if (header_list_ != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list_);
  return Status::Ok();
}

std::pair<std::string_view, std::string> ClassifyCurlError(CURL* easy, CURLcode code) {
  std::string detail = curl_easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return {reason::kTimeout, detail};
    case CURLE_COULDNT_RESOLVE_HOST:
      return {reason::kDns, detail};
    case CURLE_COULDNT_CONNECT: {
      long os_errno = 0;
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
      if (os_errno != 0) detail += fmt::format(": {}", std::strerror(static_cast<int>(os_errno)));
      return {os_errno == ECONNREFUSED ? reason::kConnectRefused : reason::kConnect, detail};
    }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
      return {reason::kTls, detail};
    case CURLE_TOO_MANY_REDIRECTS:
      return {reason::kTooManyRedirects, detail};
    default:
      return {reason::kHttp, detail};
  }
}

void AddTimingSamples(CURL* easy, CheckResult* result) {
  curl_off_t dns = 0, conn = 0, app = 0, start = 0, total = 0;
  curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME_T, &dns);
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &conn);
  curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &app);
  curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &start);
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total);
  // libcurl's timers are cumulative from the start (summed over redirects); blackbox's
  // phases are the gaps between them. A phase that did not happen is 0.
  auto gap = [](curl_off_t to, curl_off_t from) { return to > from ? Seconds(to - from) : 0.0; };
  double resolve = Seconds(dns);
  double connect = conn > 0 ? gap(conn, dns) : 0;
  double tls = app > 0 ? gap(app, conn) : 0;
  curl_off_t ready = app > 0 ? app : conn;
  double processing = start > 0 ? gap(start, ready) : 0;
  double transfer = start > 0 ? gap(total, start) : 0;
  auto phase = [&](std::string_view p, double v) {
    result->Add("probe_http_duration_seconds", v, {{"phase", std::string(p)}});
  };
  phase("resolve", resolve);
  phase("connect", connect);
  phase("tls", tls);
  phase("processing", processing);
  phase("transfer", transfer);
  result->Add("probe_dns_lookup_time_seconds", resolve);
}

void HttpTransfer::Complete(CURL* easy, CURLcode code, CheckResult* result) {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t content_length = -1;
  curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
  long redirects = 0;
  curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects);
  // blackbox_exporter counts a redirect it was told not to follow as one redirect.
  char* unfollowed = nullptr;
  curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &unfollowed);
  if (unfollowed != nullptr) ++redirects;
  // Like blackbox_exporter: no response means a content length of 0, not "unknown".
  if (status == 0) content_length = 0;
  long http_version = 0;
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &http_version);
  char* primary_ip = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &primary_ip);
  char* scheme = nullptr;
  curl_easy_getinfo(easy, CURLINFO_SCHEME, &scheme);

  if (code != CURLE_OK) {
    if (body_too_large_) {
      result->Fail(reason::kBodyTooLarge,
                   fmt::format("response body larger than body_size_limit {} bytes", body_limit_));
    } else {
      auto [why, detail] = ClassifyCurlError(easy, code);
      result->Fail(why, std::move(detail));
    }
  }
  if (primary_ip != nullptr && primary_ip[0] != '\0') {
    result->Add("probe_ip_protocol", std::strchr(primary_ip, ':') != nullptr ? 6 : 4);
  }
  AddTimingSamples(easy, result);
  result->Add("probe_http_status_code", static_cast<double>(status));
  result->Add("probe_http_content_length", static_cast<double>(content_length));
  result->Add("probe_http_uncompressed_body_length", static_cast<double>(body_.size()));
  result->Add("probe_http_redirects", static_cast<double>(redirects));
  bool https = status > 0 && scheme != nullptr && EqualsIgnoreCase(scheme, "https");
  result->Add("probe_http_ssl", https ? 1 : 0);
  double version = 0;
  switch (http_version) {
    case CURL_HTTP_VERSION_1_0: version = 1.0; break;
    case CURL_HTTP_VERSION_1_1: version = 1.1; break;
    case CURL_HTTP_VERSION_2_0: version = 2; break;
    case CURL_HTTP_VERSION_3: version = 3; break;
    default: break;
  }
  result->Add("probe_http_version", version);
  if (auto lm = Header("Last-Modified")) {
    std::string value(*lm);
    time_t t = curl_getdate(value.c_str(), nullptr);
    if (t > 0) result->Add("probe_http_last_modified_timestamp_seconds", static_cast<double>(t));
  }
  if (tls_.used) {
    if (tls_.peer_certificates > 0) {
      result->Add("probe_ssl_earliest_cert_expiry", tls_.earliest_cert_expiry);
    }
    result->Add("probe_tls_version_info", 1, {{"version", tls_.version}});
  }
}

}  // namespace abhra::probe
