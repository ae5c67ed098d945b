// The Beast/Asio implementation of Server. Threading: every Session method except
// RunHandler() runs on the single I/O thread, so connection state needs no lock; handlers
// run on the worker pool and hand their Response back to the I/O thread with a post.
//
// TLS: Session is a template on its stream (beast::tcp_stream, or an ssl_stream over one),
// so the plain path runs the same code as before with no TLS indirection; only the few
// registry calls (Start, Reject, OnShutdown, CloseNow) are virtual.
#include "common/http/server.h"

#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include "common/base/logging.h"
#include "common/http/url.h"

namespace abhra::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr size_t kReadChunk = 16 * 1024;
// After a response that closes the connection we stop sending and read (and discard) what
// the client still sends for this long, so an unread request body does not turn our close
// into a reset that destroys the response before the client reads it.
constexpr auto kDrainTime = std::chrono::milliseconds(500);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kPlainOnTlsPort =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Connection: close\r\nContent-Length: 48\r\n\r\n"
    "Client sent an HTTP request to an HTTPS server.\n";
// Mozilla's "intermediate" TLS 1.2 list: forward-secret AEAD only. TLS 1.3 keeps OpenSSL's
// default suites (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string FormatEndpoint(const tcp::endpoint& ep) {
  error_code ec;
  std::string host = ep.address().to_string(ec);
  if (ep.address().is_v6()) host = "[" + host + "]";
  return fmt::format("{}:{}", host, ep.port());
}

Result<tcp::endpoint> ResolveListen(net::io_context& ioc, std::string_view listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("listen address \"{}\" must be host:port (e.g. 127.0.0.1:9090)", listen));
  }
  std::string host(listen.substr(0, colon));
  std::string_view port_text = listen.substr(colon + 1);
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || err != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Status::InvalidArgument(
        fmt::format("listen address \"{}\": port \"{}\" must be 0..65535", listen, port_text));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  error_code ec;
  net::ip::address addr = net::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(addr, static_cast<unsigned short>(port));
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, std::string(port_text), ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument(fmt::format("listen address \"{}\": cannot resolve host \"{}\": {}",
                                               listen, host, ec ? ec.message() : "no address"));
  }
  return results.begin()->endpoint();
}

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// A server context: TLS 1.2+, the ciphers above, no compression or renegotiation, and the
// certificate chain and key, checked to belong together.
Result<std::unique_ptr<net::ssl::context>> MakeTlsContext(const std::string& cert_file,
                                                          const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return Status::InvalidArgument(
        "TLS needs both a certificate file and a key file (only one was given)");
  }
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1 | net::ssl::context::no_compression |
                   net::ssl::context::single_dh_use);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Status::Internal("cannot restrict TLS to version 1.2+ and AEAD ciphers");
  }
  error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Status::InvalidArgument(fmt::format(
        "cannot load the TLS certificate chain from {}: {}", cert_file, ec.message()));
  }
  ctx->use_private_key_file(key_file, net::ssl::context::pem, ec);
  if (ec) {
    return Status::InvalidArgument(
        fmt::format("cannot load the TLS private key from {}: {}", key_file, ec.message()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument(fmt::format(
        "the TLS private key in {} does not match the certificate in {}", key_file, cert_file));
  }
  return ctx;
}

}  // namespace

class Connection;

struct Server::Impl {
  ServerOptions options;
  const Router* router = nullptr;

  // The connection registry. Declared before ioc so that it outlives connections that are
  // destroyed together with ioc's pending handlers.
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;  // guarded by mu
  size_t admitted = 0;  // connections counted against max_connections; guarded by mu

  // Set when the port speaks TLS. Declared before ioc: TLS streams destroyed with ioc's
  // pending handlers still use it.
  std::unique_ptr<net::ssl::context> tls;

  std::atomic<bool> shutting_down{false};
  std::mutex shutdown_mu;
  bool shutdown_started = false;  // guarded by shutdown_mu

  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_backoff{ioc};
  tcp::endpoint bound;
  std::unique_ptr<net::thread_pool> pool;
  std::thread io_thread;

  void Accept();
  void OnAccepted(tcp::socket socket);
  std::vector<std::shared_ptr<Connection>> Snapshot();
};

// One client connection, as the registry and Shutdown() see it. Lives as long as an
// asynchronous operation or a queued handler holds a shared_ptr to it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server::Impl* server, bool admitted) : server_(server), admitted_(admitted) {}
  virtual ~Connection() {
    std::lock_guard<std::mutex> lock(server_->mu);
    server_->connections.erase(this);
    if (admitted_) --server_->admitted;
    server_->cv.notify_all();
  }

  virtual void Start() = 0;
  // Over the connection limit: a 503 and close (plain), or just a close (TLS: answering
  // would first cost a handshake).
  virtual void Reject() = 0;
  // Server shutdown: a connection waiting for its next request is closed now; the others
  // finish the current request and close after its response.
  virtual void OnShutdown() = 0;
  virtual void CloseNow() = 0;

 protected:
  using Impl = Server::Impl;
  Impl* const server_;

 private:
  const bool admitted_;
};

// The HTTP exchange on one stream type: beast::tcp_stream or TlsStream.
template <class Stream>
class Session final : public Connection {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `stream_args` after the socket: the ssl context for TlsStream.
  template <class... StreamArgs>
  Session(Impl* server, bool admitted, tcp::socket socket, StreamArgs&&... stream_args)
      : Connection(server, admitted),
        stream_(std::move(socket), std::forward<StreamArgs>(stream_args)...) {
    error_code ec;
    auto ep = Tcp().socket().remote_endpoint(ec);
    remote_ = ec ? "unknown" : FormatEndpoint(ep);
    Tcp().socket().set_option(tcp::no_delay(true), ec);
  }

  void Start() override {
    if constexpr (kTls) {
      DetectTls();
    } else {
      WaitForRequest();
    }
  }

  void Reject() override {
    if constexpr (kTls) {
      CloseNow();
    } else {
      WriteError(503, fmt::format("too many open connections (limit {})\n",
                                  server_->options.max_connections));
    }
  }

  void OnShutdown() override {
    if (state_ == State::kIdle) CloseNow();
  }

  void CloseNow() override {
    state_ = State::kClosed;
    lease_.reset();
    Tcp().close();
  }

 private:
  enum class State { kIdle, kReading, kHandling, kWriting, kClosing, kClosed };

  struct Outcome {
    Response response;
    std::string route;
    std::string method;
    bool head = false;
    bool keep_alive = false;
    unsigned version = 11;
    size_t request_body_bytes = 0;
    double duration_seconds = 0;
  };

  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  // The TCP layer under the stream (the stream itself when plain): deadlines, close.
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // TLS port: the first bytes tell a TLS ClientHello from plain HTTP. The whole handshake
  // must finish within the time a request has for its header, so silent or slow handshakes
  // cannot hold connection slots.
  void DetectTls() {
    state_ = State::kReading;
    Tcp().expires_after(std::min(server_->options.header_timeout, server_->options.read_timeout));
    beast::async_detect_ssl(Tcp(), buffer_, [self = Self()](error_code ec, bool is_tls) {
      self->OnDetected(ec, is_tls);
    });
  }

  void OnDetected(error_code ec, bool is_tls) {
    if (ec) {
      CloseNow();
      return;
    }
    if (!is_tls) {
      LOG_DEBUG("http", "plain HTTP on the TLS port, answering 400", "remote={}", remote_);
      state_ = State::kWriting;
      Tcp().expires_after(server_->options.write_timeout);
      net::async_write(Tcp(), net::buffer(kPlainOnTlsPort.data(), kPlainOnTlsPort.size()),
                       [self = Self()](error_code ec, size_t) {
                         if (ec) {
                           self->CloseNow();
                         } else {
                           self->CloseGracefully();
                         }
                       });
      return;
    }
    if constexpr (kTls) {
      stream_.async_handshake(net::ssl::stream_base::server, buffer_.data(),
                              [self = Self()](error_code ec, size_t used) {
                                self->OnHandshake(ec, used);
                              });
    }
  }

  void OnHandshake(error_code ec, size_t used) {
    if (ec || used != buffer_.size()) {  // bytes left over would be encrypted, not HTTP
      LOG_DEBUG("http", "TLS handshake failed", "remote={} error={}", remote_,
                LogfmtValue(ec ? ec.message() : "data after the ClientHello"));
      CloseNow();
      return;
    }
    buffer_.consume(used);
    tls_up_ = true;
    WaitForRequest();
  }

  void WaitForRequest() {
    if (server_->shutting_down.load()) {
      CloseNow();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(server_->options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(server_->options.max_body_bytes);
    if (buffer_.size() > 0) {  // a pipelined request is already buffered
      ReadHeader();
      return;
    }
    state_ = State::kIdle;
    lease_.reset();
    // A fresh connection gets no more time to start its request than a request has for its
    // header: silent sockets cannot hold connection slots for the whole idle timeout.
    const ServerOptions& o = server_->options;
    Tcp().expires_after(served_ ? o.idle_timeout : std::min(o.idle_timeout, o.header_timeout));
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = Self()](error_code ec, size_t n) {
                              self->OnFirstBytes(ec, n);
                            });
  }

  void OnFirstBytes(error_code ec, size_t n) {
    if (ec || n == 0) {
      if (ec == beast::error::timeout) {
        LOG_DEBUG("http", "closing idle connection", "remote={}", remote_);
      }
      CloseNow();
      return;
    }
    buffer_.commit(n);
    ReadHeader();
  }

  void ReadHeader() {
    state_ = State::kReading;
    // The header must arrive within header_timeout, the whole request within read_timeout.
    request_started_ = SteadyClock::now();
    Tcp().expires_after(std::min(server_->options.header_timeout, server_->options.read_timeout));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = Self()](error_code ec, size_t) {
                               self->OnHeader(ec);
                             });
  }

  void OnHeader(error_code ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    if (server_->options.admission && !Admit()) return;
    Tcp().expires_at(request_started_ + server_->options.read_timeout);
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    const auto& msg = parser_->get();
    auto expect = msg[bhttp::field::expect];
    if (msg.version() == 11 &&
        EqualsIgnoreCase(std::string_view(expect.data(), expect.size()), "100-continue")) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = Self()](error_code ec, size_t) {
                         if (ec) {
                           self->CloseNow();
                         } else {
                           self->ReadBody();
                         }
                       });
      return;
    }
    ReadBody();
  }

  // Admission control before the body is read (or 100 Continue sent). False when the request
  // was refused: its response is on the way, the body is never read.
  bool Admit() {
    const auto& msg = parser_->get();
    RequestHead head;
    head.method = std::string_view(msg.method_string().data(), msg.method_string().size());
    head.target = std::string_view(msg.target().data(), msg.target().size());
    if (auto length = parser_->content_length()) head.content_length = *length;
    Admission verdict = server_->options.admission(head);
    lease_ = std::move(verdict.lease);
    if (!verdict.reject) return true;
    Outcome out;
    out.response = std::move(*verdict.reject);
    out.method = std::string(head.method);
    out.head = out.method == "HEAD";
    out.version = msg.version();
    // An unread body would be taken for the next request: close after a refusal with one.
    out.keep_alive = parser_->is_done() && msg.keep_alive();
    WriteResponse(std::move(out));
    return false;
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = Self()](error_code ec, size_t) {
                        if (ec) {
                          self->OnReadError(ec);
                        } else {
                          self->Dispatch();
                        }
                      });
  }

  void OnReadError(error_code ec) {
    const ServerOptions& o = server_->options;
    if (ec == bhttp::error::header_limit) {
      WriteError(431, fmt::format("request header fields too large: limit is {} bytes\n",
                                  o.max_header_bytes));
    } else if (ec == bhttp::error::body_limit) {
      WriteError(413,
                 fmt::format("request body too large: limit is {} bytes\n", o.max_body_bytes));
    } else if (ec == beast::error::timeout) {
      LOG_DEBUG("http", "request not received in time, closing", "remote={} timeout_ms={}",
                remote_, o.read_timeout.count());
      CloseNow();
    } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
               !IsHttpParseError(ec)) {
      CloseNow();  // the peer went away or the socket failed
    } else {
      WriteError(400, fmt::format("malformed HTTP request: {}\n", ec.message()));
    }
  }

  void Dispatch() {
    state_ = State::kHandling;
    Tcp().expires_never();
    auto& msg = parser_->get();
    Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    request.version = static_cast<int>(msg.version());
    request.remote_addr = remote_;
    for (const auto& field : msg) {
      request.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    bool keep_alive = msg.keep_alive();
    if (Status s = ParseTarget(&request); !s.ok()) {
      WriteError(400, s.message() + "\n");
      return;
    }
    request.body = std::move(msg.body());
    auto started = SteadyClock::now();
    net::post(*server_->pool, [self = Self(), request = std::move(request),
                               keep_alive, started]() mutable {
      self->RunHandler(std::move(request), keep_alive, started);
    });
  }

  static Status ParseTarget(Request* request) {
    std::string_view target = request->target;
    for (std::string_view scheme : {"http://", "https://"}) {  // absolute-form
      if (target.substr(0, scheme.size()) == scheme) {
        size_t slash = target.find('/', scheme.size());
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      }
    }
    size_t q = target.find('?');
    std::string_view raw_path = target.substr(0, q);
    if (q != std::string_view::npos) request->raw_query = std::string(target.substr(q + 1));
    if (raw_path.empty() || raw_path.front() != '/') {
      return Status::InvalidArgument(
          fmt::format("request target \"{}\" must start with '/'", request->target));
    }
    auto path = PercentDecode(raw_path, /*plus_as_space=*/false);
    if (!path.ok()) return path.status().WithContext("invalid request path");
    request->path = std::move(*path);
    return ParseQueryString(request->raw_query, &request->query)
        .WithContext("invalid request query");
  }

  // Runs on a worker thread.
  void RunHandler(Request request, bool keep_alive, SteadyClock::time_point started) {
    Outcome out;
    try {
      out.route = server_->router->Dispatch(&request, &out.response);
    } catch (const std::exception& e) {  // Router catches handler exceptions; this is a bug
      out.response = Response();
      out.response.SetText(500, fmt::format("internal error: {}\n", e.what()));
    } catch (...) {
      out.response = Response();
      out.response.SetText(500, "internal error\n");
    }
    out.method = std::move(request.method);
    out.head = out.method == "HEAD";
    out.keep_alive = keep_alive;
    out.version = static_cast<unsigned>(request.version);
    out.request_body_bytes = request.body.size();
    out.duration_seconds =
        std::chrono::duration<double>(SteadyClock::now() - started).count();
    net::post(server_->ioc, [self = Self(), out = std::move(out)]() mutable {
      self->WriteResponse(std::move(out));
    });
  }

  void WriteError(int status, std::string message) {
    Outcome out;
    out.response.SetText(status, std::move(message));
    if (parser_ && parser_->is_header_done()) {
      out.method = std::string(parser_->get().method_string());
      out.head = out.method == "HEAD";
    }
    out.keep_alive = false;
    WriteResponse(std::move(out));
  }

  void WriteResponse(Outcome out) {
    if (state_ == State::kClosed) return;  // closed by a forced shutdown meanwhile
    try {
      Response& r = out.response;
      int status = r.status;
      if (status < 100 || status > 999) {
        LOG_ERROR("http", "handler returned an invalid status", "status={} route={}", status,
                  LogfmtValue(out.route));
        r = Response();
        r.SetText(500, fmt::format("internal error: invalid status {}\n", status));
        status = 500;
      }
      bool keep_alive = out.keep_alive && !server_->shutting_down.load();
      if (const std::string* c = r.headers.Get("Connection"); c && EqualsIgnoreCase(*c, "close")) {
        keep_alive = false;
      }
      response_ = {};
      response_.version(out.version == 10 ? 10 : 11);
      response_.result(static_cast<unsigned>(status));
      if (std::string_view reason = ReasonPhrase(status); !reason.empty()) {
        response_.reason(beast::string_view(reason.data(), reason.size()));
      }
      for (const auto& [name, value] : r.headers) {
        if (EqualsIgnoreCase(name, "Content-Length") ||
            EqualsIgnoreCase(name, "Transfer-Encoding") || EqualsIgnoreCase(name, "Connection")) {
          continue;
        }
        if (name.empty() || name.find_first_of("\r\n: ") != std::string::npos ||
            value.find_first_of("\r\n") != std::string::npos) {
          LOG_ERROR("http", "dropping invalid response header", "route={} name={}",
                    LogfmtValue(out.route), LogfmtValue(name));
          continue;
        }
        response_.insert(beast::string_view(name.data(), name.size()),
                         beast::string_view(value.data(), value.size()));
      }
      size_t body_bytes = r.body.size();
      bool bodiless_status = status < 200 || status == 204 || status == 304;
      if (bodiless_status) {
        body_bytes = 0;
      } else {
        if (body_bytes > 0 && !r.headers.Has("Content-Type")) {
          response_.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        }
        response_.content_length(body_bytes);
        if (!out.head) response_.body() = std::move(r.body);
      }
      response_.keep_alive(keep_alive);
      if (server_->options.observer) {
        RequestRecord record{out.method, out.route, status, out.duration_seconds,
                             out.request_body_bytes, body_bytes};
        server_->options.observer(record);
      }
      state_ = State::kWriting;
      Tcp().expires_after(server_->options.write_timeout);
      bhttp::async_write(stream_, response_,
                         [self = Self(), keep_alive](error_code ec, size_t) {
                           self->OnWritten(ec, keep_alive);
                         });
    } catch (const std::exception& e) {
      LOG_ERROR("http", "cannot write response", "remote={} error={}", remote_,
                LogfmtValue(e.what()));
      CloseNow();
    }
  }

  void OnWritten(error_code ec, bool keep_alive) {
    lease_.reset();
    served_ = true;
    if (ec) {
      CloseNow();
    } else if (!keep_alive) {
      CloseGracefully();
    } else {
      WaitForRequest();
    }
  }

  // TLS sends its close_notify first. Both then stop sending and drain what the client
  // still sends, all within kDrainTime.
  void CloseGracefully() {
    state_ = State::kClosing;
    Tcp().expires_after(kDrainTime);
    if constexpr (kTls) {
      if (tls_up_) {
        stream_.async_shutdown([self = Self()](error_code) {
          if (self->state_ == State::kClosed) return;
          self->ShutdownSendAndDrain();
        });
        return;
      }
    }
    ShutdownSendAndDrain();
  }

  void ShutdownSendAndDrain() {
    error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    Drain();
  }

  // Reads (and discards) raw bytes below any TLS layer.
  void Drain() {
    Tcp().async_read_some(net::buffer(drain_buffer_),
                            [self = Self()](error_code ec, size_t) {
                              if (ec || self->state_ == State::kClosed) {
                                self->CloseNow();
                              } else {
                                self->Drain();
                              }
                            });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;  // kept alive during async_write
  std::array<char, 4096> drain_buffer_;
  std::string remote_;
  State state_ = State::kIdle;
  bool tls_up_ = false;  // the TLS handshake completed
  bool served_ = false;  // a response was written on this connection
  SteadyClock::time_point request_started_;  // first byte of the request being read
  std::shared_ptr<void> lease_;  // from admission control, held until the response is written
};

void Server::Impl::Accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (shutting_down.load() || !acceptor.is_open()) return;
    if (ec) {
      // Typically EMFILE/ENFILE: back off briefly instead of spinning.
      LOG_WARN("http", "accept failed", "error={}", LogfmtValue(ec.message()));
      accept_backoff.expires_after(std::chrono::milliseconds(50));
      accept_backoff.async_wait([this](error_code) {
        if (!shutting_down.load()) Accept();
      });
      return;
    }
    OnAccepted(std::move(socket));
    Accept();
  });
}

void Server::Impl::OnAccepted(tcp::socket socket) {
  bool admit;
  {
    std::lock_guard<std::mutex> lock(mu);
    admit = admitted < options.max_connections;
    if (admit) ++admitted;
  }
  std::shared_ptr<Connection> conn;
  if (tls) {
    conn = std::make_shared<Session<TlsStream>>(this, admit, std::move(socket), *tls);
  } else {
    conn = std::make_shared<Session<beast::tcp_stream>>(this, admit, std::move(socket));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    connections[conn.get()] = conn;
  }
  if (admit) {
    conn->Start();
  } else {
    LOG_WARN("http", "rejecting connection: too many open", "limit={}", options.max_connections);
    conn->Reject();
  }
}

std::vector<std::shared_ptr<Connection>> Server::Impl::Snapshot() {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard<std::mutex> lock(mu);
  for (auto& [ptr, weak] : connections) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

Status CheckTlsOptions(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) return Status::Ok();
  return MakeTlsContext(options.tls_cert_file, options.tls_key_file).status();
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, const Router* router) {
  if (router == nullptr) return Status::InvalidArgument("http server needs a router");
  if (options.handler_threads < 1) {
    return Status::InvalidArgument(
        fmt::format("handler_threads must be >= 1, got {}", options.handler_threads));
  }
  if (options.max_connections < 1) return Status::InvalidArgument("max_connections must be >= 1");
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->router = router;
  if (!impl->options.tls_cert_file.empty() || !impl->options.tls_key_file.empty()) {
    ABHRA_ASSIGN_OR_RETURN(impl->tls, MakeTlsContext(impl->options.tls_cert_file,
                                                     impl->options.tls_key_file));
  }
  const std::string& listen = impl->options.listen;
  ABHRA_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveListen(impl->ioc, listen));
  error_code ec;
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) impl->bound = impl->acceptor.local_endpoint(ec);
  if (ec) {
    return Status::IOError(fmt::format("cannot listen on {}: {}", listen, ec.message()));
  }
  try {
    impl->pool = std::make_unique<net::thread_pool>(impl->options.handler_threads);
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("cannot start {} handler threads: {}",
                                        impl->options.handler_threads, e.what()));
  }
  impl->work.emplace(net::make_work_guard(impl->ioc));
  impl->Accept();
  Impl* raw = impl.get();
  try {
    impl->io_thread = std::thread([raw] {
      for (;;) {
        try {
          raw->ioc.run();
          return;
        } catch (const std::exception& e) {
          LOG_ERROR("http", "unexpected exception on the I/O thread", "error={}",
                    LogfmtValue(e.what()));
        }
      }
    });
  } catch (const std::exception& e) {
    impl->pool->join();
    return Status::Internal(fmt::format("cannot start the I/O thread: {}", e.what()));
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Shutdown(); }

uint16_t Server::port() const { return impl_->bound.port(); }

std::string Server::address() const { return FormatEndpoint(impl_->bound); }

void Server::Shutdown(std::chrono::milliseconds grace) {
  Impl* impl = impl_.get();
  {
    std::lock_guard<std::mutex> lock(impl->shutdown_mu);
    if (impl->shutdown_started) return;
    impl->shutdown_started = true;
  }
  impl->shutting_down.store(true);
  // Wait for this step so that the port is closed when Shutdown() returns.
  std::promise<void> accepting_stopped;
  net::post(impl->ioc, [impl, &accepting_stopped] {
    error_code ec;
    impl->acceptor.close(ec);
    impl->accept_backoff.cancel();
    for (auto& conn : impl->Snapshot()) conn->OnShutdown();
    accepting_stopped.set_value();
  });
  accepting_stopped.get_future().wait();
  auto deadline = SteadyClock::now() + grace;
  bool drained;
  {
    std::unique_lock<std::mutex> lock(impl->mu);
    drained = impl->cv.wait_until(lock, deadline, [impl] { return impl->connections.empty(); });
  }
  if (!drained) {
    LOG_WARN("http", "shutdown grace period over, closing remaining connections",
             "grace_ms={}", grace.count());
    net::post(impl->ioc, [impl] {
      for (auto& conn : impl->Snapshot()) conn->CloseNow();
    });
  }
  impl->pool->join();  // handlers still running finish; their responses are dropped
  {
    std::unique_lock<std::mutex> lock(impl->mu);
    impl->cv.wait_for(lock, std::chrono::seconds(5),
                      [impl] { return impl->connections.empty(); });
  }
  impl->work.reset();
  impl->ioc.stop();
  if (impl->io_thread.joinable()) impl->io_thread.join();
}

}  // namespace abhra::http
