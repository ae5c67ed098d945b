// A tiny blocking HTTP/1.1 client for tests of servers built on common/http. Not for
// production: it speaks to 127.0.0.1 only and understands Content-Length framing (which is
// what Server sends), or a body that runs to EOF.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/status.h"
#include "common/http/headers.h"

namespace abhra::http {

struct ClientResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
};

// One TCP connection. Every blocking read or write gives up after `timeout`, so a broken
// server fails the test instead of hanging it. Not thread-safe.
class TestConnection {
 public:
  static Result<std::unique_ptr<TestConnection>> Connect(
      uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
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

  int fd_;
  std::string buffer_;
};

// One request on a fresh connection with "Connection: close".
Result<ClientResponse> Fetch(uint16_t port, std::string_view method, std::string_view target,
                             std::string_view body = {}, const Headers& headers = {});

}  // namespace abhra::http
