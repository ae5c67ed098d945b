#include "probe/check/testing/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <algorithm>
#include <chrono>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace abhra::probe::testing {
namespace {

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 404: return "Not Found";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// Reads/writes over a plain socket or an SSL session.
struct Conn {
  int fd;
  SSL* ssl = nullptr;
  int Read(char* buf, int n) { return ssl ? SSL_read(ssl, buf, n) : static_cast<int>(::read(fd, buf, n)); }
  bool WriteAll(std::string_view data) {
    while (!data.empty()) {
      int w = ssl ? SSL_write(ssl, data.data(), static_cast<int>(data.size()))
                  : static_cast<int>(::send(fd, data.data(), data.size(), MSG_NOSIGNAL));
      if (w <= 0) return false;
      data.remove_prefix(w);
    }
    return true;
  }
};

}  // namespace

std::string TestRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

Result<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(Handler handler,
                                                              std::optional<TestTlsOptions> tls) {
  // OpenSSL writes with write(2): a client that hangs up must not kill the test process.
  ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<TestHttpServer> s(new TestHttpServer());
  s->handler_ = std::move(handler);
  if (tls) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, tls->cert_chain_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx);
      char err[256];
      ERR_error_string_n(ERR_get_error(), err, sizeof err);
      return Status::IOError(fmt::format("cannot load the test server's certificate {} or key {}: {}",
                                         tls->cert_chain_file, tls->key_file, err));
    }
    if (!tls->client_ca_file.empty()) {
      SSL_CTX_load_verify_locations(ctx, tls->client_ca_file.c_str(), nullptr);
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    s->ssl_ctx_ = ctx;
  }
  s->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(s->listen_fd_, 1024) != 0) {
    return Status::FromErrno("test server bind/listen on 127.0.0.1", errno);
  }
  socklen_t len = sizeof addr;
  ::getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  s->port_ = ntohs(addr.sin_port);
  s->accept_thread_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

TestHttpServer::~TestHttpServer() {
  Stop();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(conn_threads_);
  }
  for (auto& t : threads) t.join();
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

void TestHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
}

std::string TestHttpServer::Url(std::string_view path) const {
  return fmt::format("{}://127.0.0.1:{}{}", ssl_ctx_ ? "https" : "http", port_, path);
}

void TestHttpServer::AcceptLoop() {
  while (!stopping_.load()) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_.load()) return;
      continue;
    }
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::lock_guard<std::mutex> lock(mu_);
    conn_fds_.push_back(fd);
    conn_threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void TestHttpServer::Serve(int fd) {
  Conn c{fd};
  bool handshake_ok = true;
  if (ssl_ctx_ != nullptr) {
    c.ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(c.ssl, fd);
    if (SSL_accept(c.ssl) != 1) {
      ERR_clear_error();
      handshake_ok = false;
    }
  }
  if (handshake_ok) Exchange(&c);
  if (c.ssl != nullptr) {
    if (handshake_ok) SSL_shutdown(c.ssl);
    SSL_free(c.ssl);
  }
  ::shutdown(fd, SHUT_WR);
  std::lock_guard<std::mutex> lock(mu_);
  conn_fds_.erase(std::remove(conn_fds_.begin(), conn_fds_.end(), fd), conn_fds_.end());
  ::close(fd);
}

void TestHttpServer::Exchange(void* conn) {
  Conn& c = *static_cast<Conn*>(conn);
  std::string data;
  char buf[8192];
  size_t header_end = std::string::npos;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    int n = c.Read(buf, sizeof buf);
    if (n <= 0) break;
    data.append(buf, n);
  }
  if (header_end != std::string::npos) {
    TestRequest req;
    std::string_view head(data.data(), header_end);
    size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    size_t sp1 = request_line.find(' ');
    size_t sp2 = request_line.rfind(' ');
    req.method = std::string(request_line.substr(0, sp1));
    req.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string_view::npos) e = head.size();
      std::string_view line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        req.headers.emplace_back(std::string(line.substr(0, colon)), std::string(v));
      }
      pos = e + 2;
    }
    size_t want = 0;
    if (std::string cl = req.Header("Content-Length"); !cl.empty()) want = std::stoul(cl);
    req.body = data.substr(header_end + 4);
    while (req.body.size() < want) {
      int n = c.Read(buf, sizeof buf);
      if (n <= 0) break;
      req.body.append(buf, n);
    }
    requests_.fetch_add(1);
    TestResponse resp = handler_(req);
    for (int waited = 0; waited < resp.delay_ms && !stopping_.load(); waited += 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::string out = fmt::format("HTTP/1.1 {} {}\r\n", resp.status, StatusText(resp.status));
    bool has_length = false;
    for (const auto& [k, v] : resp.headers) {
      out += fmt::format("{}: {}\r\n", k, v);
      has_length |= strcasecmp(k.c_str(), "Content-Length") == 0;
    }
    if (!has_length) out += fmt::format("Content-Length: {}\r\n", resp.body.size());
    out += "Connection: close\r\n\r\n";
    if (req.method != "HEAD") out += resp.body;
    c.WriteAll(out);
  }
}

}  // namespace abhra::probe::testing
