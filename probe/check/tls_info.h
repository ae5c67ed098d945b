// Facts about the TLS session of a live libcurl connection (OpenSSL backend).
#pragma once

#include <curl/curl.h>

#include <string>

namespace abhra::probe {

struct TlsInfo {
  bool used = false;
  std::string version;             // as blackbox_exporter names it: "TLS 1.2", "TLS 1.3"
  double earliest_cert_expiry = 0;  // Unix seconds: the earliest notAfter of the peer's chain
  int peer_certificates = 0;
};

// Reads the TLS session of `easy`'s current connection. REQUIRES: the connection is still
// open (call from a header/write callback, or after a CONNECT_ONLY transfer). Returns
// used=false for plain connections or other TLS backends.
TlsInfo ReadTlsInfo(CURL* easy);

// The same from an OpenSSL session (an `SSL*`, passed as void* to keep OpenSSL out of headers).
TlsInfo ReadTlsInfoFromSsl(const void* ssl);

// Arranges for `*out` to be filled when the TLS handshake of `easy`'s next connection
// completes (through CURLOPT_SSL_CTX_FUNCTION and an OpenSSL info callback). For transfers
// whose connection is gone by the time they finish (CONNECT_ONLY under multi).
// REQUIRES: *out outlives the transfer.
void CaptureTlsInfoOnHandshake(CURL* easy, TlsInfo* out);

// "TLSv1.3" → "TLS 1.3" (blackbox_exporter's spelling); unknown strings pass through.
std::string BlackboxTlsVersion(std::string_view openssl_version);

}  // namespace abhra::probe
