// A tiny blocking HTTP/1.1 client for tests of servers built on common/http, in plain text
// or over TLS (OpenSSL). Not for production: it speaks to 127.0.0.1 only and understands
// Content-Length framing (which is what Server sends), or a body that runs to EOF.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/status.h"
#include "common/http/headers.h"

struct ssl_st;
struct ssl_ctx_st;

namespace abhra::http {

struct ClientResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
};

struct TlsClientOptions {
  std::string ca_file;      // PEM bundle the server's certificate must chain to
  std::string server_name;  // sent as SNI and checked against the certificate
  int max_version = 0;      // e.g. TLS1_1_VERSION to offer only old protocols; 0 = default
};

// One TCP connection, optionally with TLS. Every blocking read or write gives up after `timeout`,
// so a broken server fails the test instead of hanging it. Not thread-safe.
class TestConnection {
 public:
  static Result<std::unique_ptr<TestConnection>> Connect(
      uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Connects and completes a TLS handshake that verifies the server's certificate.
  static Result<std::unique_ptr<TestConnection>> ConnectTls(
      uint16_t port, const TlsClientOptions& tls,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  // "METHOD target HTTP/1.1\r\nHost: test\r\n<headers>Content-Length: n\r\n\r\n<body>".
  static std::string FormatRequest(std::string_view method, std::string_view target,
                                   std::string_view body = {}, const Headers& headers = {});

  Status Send(std::string_view bytes);
  // Reads one response (skipping "100 Continue"). For a response to HEAD pass
  // head_request so no body is expected.
  Result<ClientResponse> ReadResponse(bool head_request = false);
  // Send(FormatRequest(...)) then ReadResponse().
  Result<ClientResponse> RoundTrip(std::string_view method, std::string_view target,
                                   std::string_view body = {}, const Headers& headers = {});
  // True when the server closes the connection (EOF or reset) within `timeout`; bytes the
  // server sends meanwhile are discarded.
  bool WaitForClose(std::chrono::milliseconds timeout);

 private:
  explicit TestConnection(int fd) : fd_(fd) {}
  Status ReadMore();  // appends at least one byte to buffer_, or fails (EOF is IOError)
  // One read of at most `size` bytes: > 0 bytes, 0 at EOF (or TLS close_notify), < 0 on
  // error with errno set (EAGAIN on timeout).
  long ReadSome(char* out, size_t size);

  int fd_;
  ssl_ctx_st* ssl_ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string buffer_;
};

// One request on a fresh connection with "Connection: close".
Result<ClientResponse> Fetch(uint16_t port, std::string_view method, std::string_view target,
                             std::string_view body = {}, const Headers& headers = {});
// The same over TLS.
Result<ClientResponse> FetchTls(uint16_t port, const TlsClientOptions& tls, std::string_view method,
                                std::string_view target, std::string_view body = {},
                                const Headers& headers = {});

}  // namespace abhra::http
