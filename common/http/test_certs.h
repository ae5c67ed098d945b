// Generates a throw-away PKI for TLS tests with the openssl CLI: a CA, a server certificate
// signed by it (chain file = leaf + CA), and a client certificate signed by it. EC P-256 keys.
#pragma once

#include <string>

#include "common/base/status.h"

namespace abhra::http {

struct TestCerts {
  std::string ca_cert;
  std::string ca_key;
  std::string server_cert;   // the leaf alone
  std::string server_chain;  // leaf + CA, for the server to present
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

// Writes into `dir` (created). The CA is valid for ca_days, the server certificate for
// server_days with subjectAltName `server_san` (e.g. "DNS:probe.test").
Result<TestCerts> MakeTestCerts(const std::string& dir, int ca_days, int server_days,
                                const std::string& server_san);

// notAfter of a PEM certificate file, Unix seconds (via OpenSSL, independent of the probe).
Result<double> CertNotAfter(const std::string& pem_file);

}  // namespace abhra::http
