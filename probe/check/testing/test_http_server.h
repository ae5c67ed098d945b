// A small HTTP/1.1 server for tests, on 127.0.0.1 and a free port, optionally over TLS
// (OpenSSL) with client-certificate checks. One thread per connection; every response closes
// its connection. Not for production use.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/base/status.h"

namespace abhra::probe::testing {

struct TestRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // First value of a header, case-insensitive; "" when absent.
  std::string Header(std::string_view name) const;
};

struct TestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int delay_ms = 0;  // sleep before answering (cut short when the server stops)
};

struct TestTlsOptions {
  std::string cert_chain_file;  // PEM: leaf first, then intermediates
  std::string key_file;
  std::string client_ca_file;  // when set, clients must present a certificate it signed
};

class TestHttpServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  static Result<std::unique_ptr<TestHttpServer>> Start(Handler handler,
                                                       std::optional<TestTlsOptions> tls = {});
  ~TestHttpServer();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" + path (https with TLS).
  std::string Url(std::string_view path = "/") const;
  int requests() const { return requests_.load(); }
  // Closes the listening socket: later connections are refused.
  void Stop();

 private:
  TestHttpServer() = default;
  void AcceptLoop();
  void Serve(int fd);
  void Exchange(void* conn);  // one request/response on a Conn

  Handler handler_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> conn_threads_;  // guarded by mu_
  std::vector<int> conn_fds_;              // guarded by mu_
};

}  // namespace abhra::probe::testing
