#include "probe/check/tls_info.h"

#include <ctime>
#include <limits>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

namespace abhra::probe {

std::string BlackboxTlsVersion(std::string_view v) {
  if (v == "TLSv1") return "TLS 1.0";
  if (v.substr(0, 5) == "TLSv1" && v.size() == 7 && v[5] == '.') {
    return fmt::format("TLS 1.{}", v[6]);
  }
  return std::string(v);
}

TlsInfo ReadTlsInfo(CURL* easy) {
  TlsInfo info;
  struct curl_tlssessioninfo* session = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_TLS_SSL_PTR, &session) != CURLE_OK || session == nullptr ||
      session->backend != CURLSSLBACKEND_OPENSSL || session->internals == nullptr) {
    return info;
  }
  return ReadTlsInfoFromSsl(session->internals);
}

TlsInfo ReadTlsInfoFromSsl(const void* ssl_ptr) {
  TlsInfo info;
  const SSL* ssl = static_cast<const SSL*>(ssl_ptr);
  info.used = true;
  info.version = BlackboxTlsVersion(SSL_get_version(ssl));
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  double earliest = std::numeric_limits<double>::infinity();
  if (chain != nullptr) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* cert = sk_X509_value(chain, i);
      struct tm tm {};
      if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
        earliest = std::min(earliest, static_cast<double>(timegm(&tm)));
        ++info.peer_certificates;
      }
    }
  }
  if (info.peer_certificates > 0) info.earliest_cert_expiry = earliest;
  return info;
}

namespace {

void OnSslInfo(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  auto* out = static_cast<TlsInfo*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (out != nullptr) *out = ReadTlsInfoFromSsl(ssl);
}

CURLcode OnSslCtx(CURL* easy, void* ssl_ctx, void* user) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_app_data(ctx, user);
  SSL_CTX_set_info_callback(ctx, &OnSslInfo);
  return CURLE_OK;
}

}  // namespace

void CaptureTlsInfoOnHandshake(CURL* easy, TlsInfo* out) {
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &OnSslCtx);
  curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, out);
}

}  // namespace abhra::probe
