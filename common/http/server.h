// Server: an HTTP/1.1 server (Boost.Beast underneath, kept out of this header).
//
// One I/O thread accepts connections and reads/writes messages; handlers run on a small
// worker pool. Keep-alive and pipelining are supported (requests on one connection are
// answered in order, one at a time). Limits: body size (413), header size (431), a read
// deadline per request and an idle deadline between requests (slow or silent clients are
// disconnected), and a bound on open connections (503 beyond it). Optionally the port speaks
// HTTPS only (TLS 1.2 or later, OpenSSL underneath).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/base/status.h"
#include "common/http/router.h"

namespace abhra::http {

// Called after each response has been handed to the socket, on the I/O thread; must be
// cheap and must not throw.
struct RequestRecord {
  std::string_view method;
  std::string_view route;  // the Router pattern that matched, "" when none did
  int status = 0;
  double duration_seconds = 0;  // from the complete request being read to the response queued
  size_t request_body_bytes = 0;
  size_t response_body_bytes = 0;
};
using RequestObserver = std::function<void(const RequestRecord&)>;

struct ServerOptions {
  // "host:port". Port 0 picks a free port (see Server::port()). ":9090" and "0.0.0.0:9090"
  // listen on every IPv4 interface, "[::]:9090" on every IPv6 one.
  std::string listen = "127.0.0.1:9090";
  size_t max_body_bytes = 32u << 20;   // larger bodies get 413
  size_t max_header_bytes = 1u << 20;  // request line + header fields; beyond: 431
  // The whole request (headers and body) must arrive within this time of its first byte.
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  // The request line and headers must arrive within this time of their first byte, and a
  // new connection must send its first byte within it (or idle_timeout if shorter): slow or
  // silent clients cannot hold connection slots for long.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  // A keep-alive connection waiting for the first byte of its next request is closed after
  // this long.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  // Writing one response must finish within this time.
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
  int handler_threads = 4;        // worker threads for handlers
  size_t max_connections = 1024;  // open connections; further ones get 503 and are closed
  RequestObserver observer;       // optional
  // Optional admission control: decides on each request once its header has arrived,
  // before the body is read or 100 Continue is sent (message.h: Admission). A refused
  // request is answered at once and its body never buffered.
  AdmissionHook admission;
  // TLS: when both are set the port speaks HTTPS only (TLS 1.2 and 1.3, forward-secret AEAD
  // ciphers); a plain-HTTP request on it gets a 400 in plain text and is closed. Both empty:
  // plain HTTP. One without the other is an InvalidArgument from Start().
  std::string tls_cert_file;  // PEM: the certificate, then any intermediates
  std::string tls_key_file;   // PEM: its private key (unencrypted)
};

// Loads the TLS certificate and key of `options` as Server::Start() would, so a program can
// refuse a bad pair before slow start-up work; OK when TLS is off.
Status CheckTlsOptions(const ServerOptions& options);

class Server {
 public:
  // Binds, listens and starts serving `router`. IOError when the address cannot be bound,
  // InvalidArgument when `options.listen` is malformed or the TLS certificate or key cannot
  // be loaded (the message names the file).
  // REQUIRES: *router outlives the server and gets no new routes while it runs.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, const Router* router);

  ~Server();  // Shutdown() with the default grace period
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the chosen one when listening on port 0).
  uint16_t port() const;
  // The bound address as "host:port".
  std::string address() const;

  // Graceful stop: stops accepting, closes idle connections, lets requests being read or
  // handled finish (their responses carry "Connection: close") for up to `grace`, then
  // closes whatever is left and waits for running handlers to return. Idempotent;
  // thread-safe; must not be called from a handler.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  friend class Connection;
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace abhra::http
