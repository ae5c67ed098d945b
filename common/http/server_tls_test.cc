// The server over TLS: the same HTTP behaviour through OpenSSL, refusal of plain HTTP and of
// old protocols, and clear errors for bad certificate options.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <filesystem>

#include "common/http/server.h"
#include "common/http/test_certs.h"
#include "common/http/test_client.h"

namespace abhra::http {
namespace {

using std::chrono::milliseconds;

class ServerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "/abhra_http_tls_" + std::to_string(::getpid()));
    auto certs = MakeTestCerts(*dir_, 365, 30, "DNS:localhost,IP:127.0.0.1");
    ASSERT_TRUE(certs.ok()) << certs.status().ToString();
    certs_ = new TestCerts(*certs);
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete certs_;
    delete dir_;
    certs_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(certs_, nullptr) << "no test certificates (is the openssl CLI installed?)";
    router_.Handle("GET", "/hello", [](const Request&, Response* r) { r->SetText(200, "hi\n"); });
    router_.Handle("POST", "/body", [](const Request& req, Response* r) {
      r->SetContentType("application/octet-stream");
      r->body = req.body;
    });
  }

  ServerOptions TlsOptions() {
    ServerOptions opts;
    opts.listen = "127.0.0.1:0";
    opts.handler_threads = 2;
    opts.tls_cert_file = certs_->server_chain;
    opts.tls_key_file = certs_->server_key;
    return opts;
  }

  void StartServer(ServerOptions opts) {
    auto s = Server::Start(std::move(opts), &router_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }

  TlsClientOptions Client() const { return {certs_->ca_cert, "localhost"}; }

  static std::string* dir_;
  static TestCerts* certs_;
  Router router_;
  std::unique_ptr<Server> server_;
};

std::string* ServerTlsTest::dir_ = nullptr;
TestCerts* ServerTlsTest::certs_ = nullptr;

TEST_F(ServerTlsTest, ServesKeepAlivePipeliningAndBodiesOverTls) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsOptions()));
  auto conn = TestConnection::ConnectTls(server_->port(), Client());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  for (int i = 0; i < 3; ++i) {
    auto r = (*conn)->RoundTrip("GET", "/hello");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hi\n");
  }
  std::string body(100000, 'x');  // several TLS records
  body[0] = '\0';
  auto echoed = (*conn)->RoundTrip("POST", "/body", body);
  ASSERT_TRUE(echoed.ok()) << echoed.status().ToString();
  EXPECT_EQ(echoed->body, body);

  std::string batch;
  for (int i = 0; i < 5; ++i) batch += TestConnection::FormatRequest("GET", "/hello");
  ASSERT_TRUE((*conn)->Send(batch).ok());
  for (int i = 0; i < 5; ++i) {
    auto r = (*conn)->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "hi\n");
  }
  auto missing = FetchTls(server_->port(), Client(), "GET", "/missing");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_EQ(missing->status, 404);
}

TEST_F(ServerTlsTest, PlainHttpGets400InPlainTextAndServingGoesOn) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsOptions()));
  for (int i = 0; i < 3; ++i) {
    auto plain = Fetch(server_->port(), "GET", "/hello");
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_EQ(plain->status, 400);
    EXPECT_EQ(plain->body, "Client sent an HTTP request to an HTTPS server.\n");
    EXPECT_EQ(plain->headers.GetOr("Connection"), "close");
  }
  auto tls = FetchTls(server_->port(), Client(), "GET", "/hello");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(tls->status, 200);
}

TEST_F(ServerTlsTest, BrokenHandshakesAreClosedAndServingGoesOn) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsOptions()));
  {  // a TLS record header followed by garbage
    auto c = TestConnection::Connect(server_->port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Send(std::string("\x16\x03\x01\x00\x20", 5) + std::string(32, '\x7f')).ok());
    EXPECT_TRUE((*c)->WaitForClose(milliseconds(5000)));
  }
  {  // connect and go away mid-handshake
    auto c = TestConnection::Connect(server_->port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Send(std::string("\x16\x03\x01", 3)).ok());
  }
  {  // a client that does not trust our CA gives up; the server is unaffected
    TlsClientOptions wrong_ca = Client();
    wrong_ca.ca_file = certs_->client_cert;  // not a CA
    EXPECT_FALSE(TestConnection::ConnectTls(server_->port(), wrong_ca).ok());
  }
  auto tls = FetchTls(server_->port(), Client(), "GET", "/hello");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(tls->status, 200);
}

TEST_F(ServerTlsTest, SilentAndStalledHandshakesAreCutOffAtTheHeaderTimeout) {
  ServerOptions opts = TlsOptions();
  opts.header_timeout = milliseconds(200);
  ASSERT_NO_FATAL_FAILURE(StartServer(opts));
  auto silent = TestConnection::Connect(server_->port());
  ASSERT_TRUE(silent.ok());
  auto stalled = TestConnection::Connect(server_->port());
  ASSERT_TRUE(stalled.ok());
  ASSERT_TRUE((*stalled)->Send(std::string("\x16\x03\x01\x02\x00\x01", 6)).ok());
  EXPECT_TRUE((*silent)->WaitForClose(milliseconds(5000)));
  EXPECT_TRUE((*stalled)->WaitForClose(milliseconds(5000)));
  auto tls = FetchTls(server_->port(), Client(), "GET", "/hello");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_EQ(tls->status, 200);
}

TEST_F(ServerTlsTest, OnlyTls12AndLaterAreAccepted) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsOptions()));
  TlsClientOptions old = Client();
  old.max_version = TLS1_1_VERSION;
  auto refused = TestConnection::ConnectTls(server_->port(), old);
  EXPECT_FALSE(refused.ok()) << "a TLS 1.1 client was accepted";
  TlsClientOptions v12 = Client();
  v12.max_version = TLS1_2_VERSION;
  auto ok12 = FetchTls(server_->port(), v12, "GET", "/hello");
  ASSERT_TRUE(ok12.ok()) << ok12.status().ToString();
  EXPECT_EQ(ok12->status, 200);
  auto ok13 = FetchTls(server_->port(), Client(), "GET", "/hello");
  ASSERT_TRUE(ok13.ok()) << ok13.status().ToString();
}

TEST_F(ServerTlsTest, LimitsAndConnectionCloseWorkOverTls) {
  ServerOptions opts = TlsOptions();
  opts.max_body_bytes = 1000;
  ASSERT_NO_FATAL_FAILURE(StartServer(opts));
  auto big = FetchTls(server_->port(), Client(), "POST", "/body", std::string(5000, 'b'));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413);

  auto conn = TestConnection::ConnectTls(server_->port(), Client());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  Headers close;
  close.Add("Connection", "close");
  auto r = (*conn)->RoundTrip("GET", "/hello", {}, close);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE((*conn)->WaitForClose(milliseconds(5000)));
}

TEST_F(ServerTlsTest, ShutdownClosesIdleTlsConnections) {
  ASSERT_NO_FATAL_FAILURE(StartServer(TlsOptions()));
  auto conn = TestConnection::ConnectTls(server_->port(), Client());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->RoundTrip("GET", "/hello").ok());
  server_->Shutdown(milliseconds(2000));
  EXPECT_TRUE((*conn)->WaitForClose(milliseconds(5000)));
}

TEST_F(ServerTlsTest, BadCertificateOptionsAreClearErrors) {
  EXPECT_TRUE(CheckTlsOptions(TlsOptions()).ok());
  EXPECT_TRUE(CheckTlsOptions(ServerOptions{}).ok()) << "plain HTTP";
  ServerOptions only_cert = TlsOptions();
  only_cert.tls_key_file.clear();
  auto s1 = Server::Start(only_cert, &router_);
  ASSERT_FALSE(s1.ok());
  EXPECT_TRUE(s1.status().Is(Status::Code::kInvalidArgument));
  EXPECT_NE(s1.status().message().find("both a certificate file and a key file"), std::string::npos)
      << s1.status().message();

  ServerOptions missing = TlsOptions();
  missing.tls_cert_file = *dir_ + "/nope.crt";
  auto s2 = Server::Start(missing, &router_);
  ASSERT_FALSE(s2.ok());
  EXPECT_NE(s2.status().message().find("nope.crt"), std::string::npos) << s2.status().message();

  ServerOptions mismatch = TlsOptions();
  mismatch.tls_key_file = certs_->client_key;
  EXPECT_FALSE(CheckTlsOptions(mismatch).ok());
  auto s3 = Server::Start(mismatch, &router_);
  ASSERT_FALSE(s3.ok());
  EXPECT_NE(s3.status().message().find(certs_->client_key), std::string::npos)
      << s3.status().message();

  ServerOptions key_as_cert = TlsOptions();
  key_as_cert.tls_cert_file = certs_->server_key;
  auto s4 = Server::Start(key_as_cert, &router_);
  ASSERT_FALSE(s4.ok());
  EXPECT_NE(s4.status().message().find("certificate chain"), std::string::npos)
      << s4.status().message();
}

}  // namespace
}  // namespace abhra::http
