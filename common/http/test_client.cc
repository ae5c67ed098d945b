#include "common/http/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace abhra::http {

Result<std::unique_ptr<TestConnection>> TestConnection::Connect(uint16_t port,
                                                                std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno("socket", errno);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(fmt::format("connect to 127.0.0.1:{}", port), err);
  }
  return std::unique_ptr<TestConnection>(new TestConnection(fd));
}

namespace {

std::string OpenSslError(std::string_view what) {
  unsigned long e = ERR_get_error();
  char text[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, text, sizeof(text));
  ERR_clear_error();
  return fmt::format("{}: {}", what, text);
}

}  // namespace

Result<std::unique_ptr<TestConnection>> TestConnection::ConnectTls(
    uint16_t port, const TlsClientOptions& tls, std::chrono::milliseconds timeout) {
  ABHRA_ASSIGN_OR_RETURN(auto conn, Connect(port, timeout));
  conn->ssl_ctx_ = SSL_CTX_new(TLS_client_method());
  if (conn->ssl_ctx_ == nullptr) return Status::Internal(OpenSslError("SSL_CTX_new"));
  if (SSL_CTX_load_verify_locations(conn->ssl_ctx_, tls.ca_file.c_str(), nullptr) != 1) {
    return Status::IOError(OpenSslError(fmt::format("cannot load CA file {}", tls.ca_file)));
  }
  SSL_CTX_set_verify(conn->ssl_ctx_, SSL_VERIFY_PEER, nullptr);
  if (tls.max_version != 0) {
    // Old protocols also need the lowest security level to be offered at all.
    SSL_CTX_set_security_level(conn->ssl_ctx_, 0);
    SSL_CTX_set_min_proto_version(conn->ssl_ctx_, 0);
    SSL_CTX_set_max_proto_version(conn->ssl_ctx_, tls.max_version);
  }
  conn->ssl_ = SSL_new(conn->ssl_ctx_);
  if (conn->ssl_ == nullptr) return Status::Internal(OpenSslError("SSL_new"));
  SSL_set_fd(conn->ssl_, conn->fd_);
  SSL_set_tlsext_host_name(conn->ssl_, tls.server_name.c_str());
  SSL_set1_host(conn->ssl_, tls.server_name.c_str());
  if (SSL_connect(conn->ssl_) != 1) {
    return Status::Unavailable(OpenSslError(fmt::format("TLS handshake with 127.0.0.1:{}", port)));
  }
  return conn;
}

TestConnection::~TestConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  ::close(fd_);
}

long TestConnection::ReadSome(char* out, size_t size) {
  if (ssl_ == nullptr) return static_cast<long>(::recv(fd_, out, size, 0));
  int n = SSL_read(ssl_, out, static_cast<int>(size));
  if (n > 0) return n;
  int err = SSL_get_error(ssl_, n);
  ERR_clear_error();
  if (err == SSL_ERROR_ZERO_RETURN) return 0;
  if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    return -1;
  }
  if (err == SSL_ERROR_SYSCALL && errno == 0) return 0;  // EOF without close_notify
  errno = ECONNRESET;
  return -1;
}

std::string TestConnection::FormatRequest(std::string_view method, std::string_view target,
                                          std::string_view body, const Headers& headers) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\n", method, target);
  if (!headers.Has("Host")) out += "Host: test\r\n";
  for (const auto& [name, value] : headers) out += fmt::format("{}: {}\r\n", name, value);
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!headers.Has("Content-Length")) out += fmt::format("Content-Length: {}\r\n", body.size());
  }
  out += "\r\n";
  out.append(body);
  return out;
}

Status TestConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    if (ssl_ != nullptr) {
      int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return Status::IOError(OpenSslError("TLS write"));
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("send", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status TestConnection::ReadMore() {
  char chunk[16384];
  for (;;) {
    long n = ReadSome(chunk, sizeof(chunk));
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) return Status::IOError("connection closed by server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Timeout("recv timed out");
    return Status::FromErrno("recv", errno);
  }
}

Result<ClientResponse> TestConnection::ReadResponse(bool head_request) {
  for (;;) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      ABHRA_RETURN_IF_ERROR(ReadMore());
    }
    std::string_view head(buffer_.data(), end);
    ClientResponse resp;
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
      return Status::Corruption(fmt::format("bad status line \"{}\"", status_line));
    }
    std::string_view code = status_line.substr(9, 3);
    std::from_chars(code.data(), code.data() + code.size(), resp.status);
    if (status_line.size() > 13) resp.reason = std::string(status_line.substr(13));
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!rest.empty()) {
      size_t e = rest.find("\r\n");
      std::string_view line = rest.substr(0, e);
      rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      resp.headers.Add(std::string(line.substr(0, colon)), std::string(value));
    }
    buffer_.erase(0, end + 4);
    if (resp.status == 100) continue;
    bool no_body = head_request || resp.status < 200 || resp.status == 204 || resp.status == 304;
    if (no_body) return resp;
    if (const std::string* cl = resp.headers.Get("Content-Length")) {
      size_t length = 0;
      std::from_chars(cl->data(), cl->data() + cl->size(), length);
      while (buffer_.size() < length) ABHRA_RETURN_IF_ERROR(ReadMore());
      resp.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return resp;
    }
    for (;;) {  // body runs to EOF
      Status s = ReadMore();
      if (!s.ok()) break;
    }
    resp.body = std::move(buffer_);
    buffer_.clear();
    return resp;
  }
}

Result<ClientResponse> TestConnection::RoundTrip(std::string_view method, std::string_view target,
                                                 std::string_view body, const Headers& headers) {
  ABHRA_RETURN_IF_ERROR(Send(FormatRequest(method, target, body, headers)));
  return ReadResponse(method == "HEAD");
}

bool TestConnection::WaitForClose(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) return false;
    }
    char chunk[4096];
    long n = ReadSome(chunk, sizeof(chunk));
    if (n == 0) return true;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // reset
  }
}

Result<ClientResponse> Fetch(uint16_t port, std::string_view method, std::string_view target,
                             std::string_view body, const Headers& headers) {
  ABHRA_ASSIGN_OR_RETURN(auto conn, TestConnection::Connect(port));
  Headers with_close = headers;
  with_close.Set("Connection", "close");
  return conn->RoundTrip(method, target, body, with_close);
}

Result<ClientResponse> FetchTls(uint16_t port, const TlsClientOptions& tls, std::string_view method,
                                std::string_view target, std::string_view body,
                                const Headers& headers) {
  ABHRA_ASSIGN_OR_RETURN(auto conn, TestConnection::ConnectTls(port, tls));
  Headers with_close = headers;
  with_close.Set("Connection", "close");
  return conn->RoundTrip(method, target, body, with_close);
}

}  // namespace abhra::http
