#include "common/http/test_certs.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <openssl/pem.h>
#include <openssl/x509.h>

namespace abhra::http {
namespace {

Status Run(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  if (rc != 0) return Status::Internal(fmt::format("command failed ({}): {}", rc, cmd));
  return Status::Ok();
}

}  // namespace

Result<TestCerts> MakeTestCerts(const std::string& dir, int ca_days, int server_days,
                                const std::string& server_san) {
  std::filesystem::create_directories(dir);
  TestCerts c;
  c.ca_cert = dir + "/ca.crt";
  c.ca_key = dir + "/ca.key";
  c.server_cert = dir + "/server.crt";
  c.server_chain = dir + "/server-chain.crt";
  c.server_key = dir + "/server.key";
  c.client_cert = dir + "/client.crt";
  c.client_key = dir + "/client.key";
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  ABHRA_RETURN_IF_ERROR(Run(fmt::format(
      "openssl req -x509 {} -keyout {} -out {} -days {} -subj '/CN=Abhra Test CA' "
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
      ec, c.ca_key, c.ca_cert, ca_days)));
  std::string ext = dir + "/server.ext";
  std::ofstream(ext) << "subjectAltName=" << server_san << "\nextendedKeyUsage=serverAuth\n";
  ABHRA_RETURN_IF_ERROR(Run(fmt::format(
      "openssl req {} -keyout {} -out {}/server.csr -subj '/CN=abhra-test-server'", ec,
      c.server_key, dir)));
  ABHRA_RETURN_IF_ERROR(Run(fmt::format(
      "openssl x509 -req -in {0}/server.csr -CA {1} -CAkey {2} -CAcreateserial -out {3} "
      "-days {4} -extfile {5}",
      dir, c.ca_cert, c.ca_key, c.server_cert, server_days, ext)));
  std::string client_ext = dir + "/client.ext";
  std::ofstream(client_ext) << "extendedKeyUsage=clientAuth\n";
  ABHRA_RETURN_IF_ERROR(Run(fmt::format(
      "openssl req {} -keyout {} -out {}/client.csr -subj '/CN=abhra-test-client'", ec,
      c.client_key, dir)));
  ABHRA_RETURN_IF_ERROR(Run(fmt::format(
      "openssl x509 -req -in {0}/client.csr -CA {1} -CAkey {2} -CAcreateserial -out {3} "
      "-days 30 -extfile {4}",
      dir, c.ca_cert, c.ca_key, c.client_cert, client_ext)));
  {
    std::ofstream chain(c.server_chain, std::ios::binary);
    chain << std::ifstream(c.server_cert, std::ios::binary).rdbuf()
          << std::ifstream(c.ca_cert, std::ios::binary).rdbuf();
    if (!chain) return Status::IOError(fmt::format("cannot write {}", c.server_chain));
  }
  return c;
}

Result<double> CertNotAfter(const std::string& pem_file) {
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) return Status::IOError(fmt::format("cannot open {}", pem_file));
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return Status::Corruption(fmt::format("no certificate in {}", pem_file));
  struct tm tm {};
  int ok = ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm);
  X509_free(cert);
  if (ok != 1) return Status::Corruption("bad notAfter");
  return static_cast<double>(timegm(&tm));
}

}  // namespace abhra::http
