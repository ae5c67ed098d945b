#include "common/http/server.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "common/http/test_client.h"
#include "common/http/url.h"

namespace abhra::http {
namespace {

using std::chrono::milliseconds;

// A one-shot gate a handler can wait on.
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Handle("GET", "/hello", [](const Request&, Response* r) { r->SetText(200, "hi\n"); });
    router_.Handle({"GET", "POST"}, "/echo", [](const Request& req, Response* r) {
      auto form = ParseForm(req);
      if (!form.ok()) {
        r->SetText(400, form.status().message());
        return;
      }
      std::string out = "method=" + req.method + " path=" + req.path;
      for (const auto& [k, v] : *form) out += " " + k + "=" + v;
      r->SetText(200, out);
    });
    router_.Handle("POST", "/body", [](const Request& req, Response* r) {
      r->headers.Set("X-Encoding", std::string(req.headers.GetOr("Content-Encoding", "none")));
      r->SetContentType("application/octet-stream");
      r->body = req.body;
    });
    router_.Handle("GET", "/throw",
                   [](const Request&, Response*) { throw std::runtime_error("handler exploded"); });
    router_.Handle("GET", "/close", [](const Request&, Response* r) {
      r->headers.Set("Connection", "close");
      r->SetText(200, "bye");
    });
    router_.Handle("GET", "/nocontent", [](const Request&, Response* r) {
      r->status = 204;
      r->body = "ignored";
    });
    router_.Handle("GET", "/slow", [this](const Request&, Response* r) {
      entered_.set_value();
      release_.Wait();
      r->SetText(200, "slow done");
    });
  }

  void StartServer(ServerOptions opts = {}) {
    opts.listen = "127.0.0.1:0";
    if (opts.handler_threads == 4) opts.handler_threads = 2;
    auto s = Server::Start(std::move(opts), &router_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<TestConnection> Connect() {
    auto c = TestConnection::Connect(server_->port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  Router router_;
  std::unique_ptr<Server> server_;
  std::promise<void> entered_;
  Gate release_;
};

TEST_F(ServerTest, RoutesAndErrors) {
  StartServer();
  auto ok = Fetch(server_->port(), "GET", "/hello");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "hi\n");
  EXPECT_EQ(ok->headers.GetOr("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(ok->headers.GetOr("Content-Length"), "3");

  auto nf = Fetch(server_->port(), "GET", "/missing");
  ASSERT_TRUE(nf.ok());
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(nf->reason, "Not Found");

  auto na = Fetch(server_->port(), "DELETE", "/echo");
  ASSERT_TRUE(na.ok());
  EXPECT_EQ(na->status, 405);
  EXPECT_EQ(na->headers.GetOr("Allow"), "GET, HEAD, POST");
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  for (int i = 0; i < 5; ++i) {
    auto r = conn->RoundTrip("GET", "/echo?i=" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "method=GET path=/echo i=" + std::to_string(i));
    EXPECT_NE(r->headers.GetOr("Connection"), "close");
  }
  auto nf = conn->RoundTrip("GET", "/missing");  // an error response keeps the connection
  ASSERT_TRUE(nf.ok());
  EXPECT_EQ(nf->status, 404);
  auto again = conn->RoundTrip("GET", "/hello");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 200);
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  std::string batch;
  for (int i = 0; i < 10; ++i) batch += TestConnection::FormatRequest("GET", "/echo?i=" + std::to_string(i));
  batch += TestConnection::FormatRequest("POST", "/echo", "x=body",
                                         [] { Headers h; h.Add("Content-Type", "application/x-www-form-urlencoded"); return h; }());
  ASSERT_TRUE(conn->Send(batch).ok());
  for (int i = 0; i < 10; ++i) {
    auto r = conn->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "method=GET path=/echo i=" + std::to_string(i));
  }
  auto post = conn->ReadResponse();
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->body, "method=POST path=/echo x=body");
}

TEST_F(ServerTest, DecodesPathAndQueryAndMergesForm) {
  StartServer();
  Headers form;
  form.Add("Content-Type", "application/x-www-form-urlencoded");
  auto r = Fetch(server_->port(), "POST", "/ech%6F?query=url&match%5B%5D=a+b", "query=sum%28up%29", form);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "method=POST path=/echo query=sum(up) query=url match[]=a b");

  auto bad = Fetch(server_->port(), "GET", "/echo?q=%zz");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("%zz"), std::string::npos) << bad->body;
}

TEST_F(ServerTest, BodyPassedThroughUntouched) {
  StartServer();
  std::string body("\x00\x01snappy\r\n\r\n\xff", 14);
  Headers h;
  h.Add("Content-Encoding", "snappy");
  h.Add("Content-Type", "application/x-protobuf");
  auto r = Fetch(server_->port(), "POST", "/body", body, h);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, body);
  EXPECT_EQ(r->headers.GetOr("X-Encoding"), "snappy");
}

TEST_F(ServerTest, ChunkedRequestBody) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").ok());
  auto r = conn->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "hello world");
}

TEST_F(ServerTest, ExpectContinue) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  Headers h;
  h.Add("Expect", "100-continue");
  auto r = conn->RoundTrip("POST", "/body", "payload", h);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "payload");
}

TEST_F(ServerTest, OversizedBodyGets413) {
  ServerOptions opts;
  opts.max_body_bytes = 1024;
  StartServer(opts);
  auto at_limit = Fetch(server_->port(), "POST", "/body", std::string(1024, 'a'));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(at_limit->status, 200);

  auto conn = Connect();
  ASSERT_TRUE(conn);
  auto r = conn->RoundTrip("POST", "/body", std::string(4096, 'a'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("1024"), std::string::npos) << r->body;
  EXPECT_EQ(r->headers.GetOr("Connection"), "close");
  EXPECT_TRUE(conn->WaitForClose(milliseconds(5000)));

  // Chunked bodies have no Content-Length: the limit applies while reading.
  auto chunked = Connect();
  ASSERT_TRUE(chunked);
  std::string req = "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'b') + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(chunked->Send(req).ok());
  auto rc = chunked->ReadResponse();
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  EXPECT_EQ(rc->status, 413);
}

TEST_F(ServerTest, HugeHeadersGet431) {
  ServerOptions opts;
  opts.max_header_bytes = 2048;
  StartServer(opts);
  Headers h;
  h.Add("X-Big", std::string(8192, 'x'));
  auto r = Fetch(server_->port(), "GET", "/hello", "", h);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 431);
  auto long_url = Fetch(server_->port(), "GET", "/hello?q=" + std::string(8192, 'q'));
  ASSERT_TRUE(long_url.ok()) << long_url.status().ToString();
  EXPECT_EQ(long_url->status, 431);
  auto fine = Fetch(server_->port(), "GET", "/hello");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->status, 200);
}

TEST_F(ServerTest, MalformedRequestGets400) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Send("GARBAGE\r\n\r\n").ok());
  auto r = conn->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(conn->WaitForClose(milliseconds(5000)));
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
  ServerOptions opts;
  opts.idle_timeout = milliseconds(100);
  StartServer(opts);
  auto silent = Connect();
  ASSERT_TRUE(silent);
  EXPECT_TRUE(silent->WaitForClose(milliseconds(10000)));

  auto after_request = Connect();
  ASSERT_TRUE(after_request);
  ASSERT_TRUE(after_request->RoundTrip("GET", "/hello").ok());
  EXPECT_TRUE(after_request->WaitForClose(milliseconds(10000)));
}

TEST_F(ServerTest, SlowlorisIsCutOffByReadTimeout) {
  ServerOptions opts;
  opts.read_timeout = milliseconds(200);
  opts.idle_timeout = milliseconds(60000);
  StartServer(opts);
  auto conn = Connect();
  ASSERT_TRUE(conn);
  // Trickle a never-ending header, one byte at a time; the server must hang up anyway.
  std::string trickle = "GET /hello HTTP/1.1\r\nX-Slow: ";
  bool closed = false;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (size_t i = 0; !closed && std::chrono::steady_clock::now() < give_up; ++i) {
    // A failed send means the server already reset the connection.
    closed = !conn->Send(i < trickle.size() ? trickle.substr(i, 1) : "a").ok() ||
             conn->WaitForClose(milliseconds(20));
  }
  EXPECT_TRUE(closed);
}

TEST_F(ServerTest, HeaderTimeoutCutsOffSlowHeadersAndSilentNewConnections) {
  ServerOptions opts;
  opts.header_timeout = milliseconds(200);
  opts.read_timeout = milliseconds(60000);
  opts.idle_timeout = milliseconds(60000);
  StartServer(opts);
  auto silent = Connect();
  ASSERT_TRUE(silent);
  EXPECT_TRUE(silent->WaitForClose(milliseconds(20000)));
  auto conn = Connect();
  ASSERT_TRUE(conn);
  std::string trickle = "GET /hello HTTP/1.1\r\nX-Slow: ";
  bool closed = false;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (size_t i = 0; !closed && std::chrono::steady_clock::now() < give_up; ++i) {
    closed = !conn->Send(i < trickle.size() ? trickle.substr(i, 1) : "a").ok() ||
             conn->WaitForClose(milliseconds(20));
  }
  EXPECT_TRUE(closed);
  // A client that sends its request promptly is served on a connection kept alive.
  auto prompt = Connect();
  ASSERT_TRUE(prompt);
  auto r = prompt->RoundTrip("GET", "/hello");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, AdmissionRefusesBeforeTheBodyIsRead) {
  ServerOptions opts;
  std::atomic<int> asked{0};
  opts.admission = [&](const RequestHead& head) {
    ++asked;
    Admission a;
    if (head.target.starts_with("/body")) {
      EXPECT_EQ(head.method, "POST");
      EXPECT_EQ(head.content_length, std::optional<uint64_t>(1000));
      a.reject.emplace().SetText(503, "busy\n");
      a.reject->headers.Set("Retry-After", "1");
    } else if (head.target == "/missing") {
      a.reject.emplace().SetText(429, "no\n");
    }
    return a;
  };
  StartServer(opts);
  auto conn = Connect();
  ASSERT_TRUE(conn);
  // Only the header is sent: the refusal must not wait for the 1000 announced bytes.
  Headers h;
  h.Add("Content-Length", "1000");
  std::string request = TestConnection::FormatRequest("POST", "/body", "", h);
  ASSERT_TRUE(conn->Send(request).ok());
  auto r = conn->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "busy\n");
  EXPECT_EQ(r->headers.GetOr("Retry-After"), "1");
  EXPECT_EQ(r->headers.GetOr("Connection"), "close");
  EXPECT_TRUE(conn->WaitForClose(milliseconds(10000)));
  // Without a body the connection stays usable after a refusal.
  auto keep = Connect();
  ASSERT_TRUE(keep);
  auto refused = keep->RoundTrip("GET", "/missing");
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->status, 429);
  auto ok = keep->RoundTrip("GET", "/hello");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(asked.load(), 3);
}

TEST_F(ServerTest, AdmissionLeaseIsHeldUntilTheResponseIsWritten) {
  ServerOptions opts;
  auto released = std::make_shared<std::atomic<int>>(0);
  opts.admission = [released](const RequestHead&) {
    Admission a;
    a.lease = std::shared_ptr<void>(new int(0), [released](void* p) {
      delete static_cast<int*>(p);
      ++*released;
    });
    return a;
  };
  StartServer(opts);
  auto done = std::async(std::launch::async, [&] { return Fetch(server_->port(), "GET", "/slow"); });
  entered_.get_future().wait();
  EXPECT_EQ(released->load(), 0) << "released while the handler runs";
  release_.Open();
  auto r = done.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "slow done");
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (released->load() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(released->load(), 1);
}

TEST_F(ServerTest, ConnectionCloseAndHttp10AreHonoured) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  Headers h;
  h.Add("Connection", "close");
  auto r = conn->RoundTrip("GET", "/hello", "", h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->headers.GetOr("Connection"), "close");
  EXPECT_TRUE(conn->WaitForClose(milliseconds(5000)));

  auto old = Connect();
  ASSERT_TRUE(old);
  ASSERT_TRUE(old->Send("GET /hello HTTP/1.0\r\n\r\n").ok());
  auto r10 = old->ReadResponse();
  ASSERT_TRUE(r10.ok()) << r10.status().ToString();
  EXPECT_EQ(r10->body, "hi\n");
  EXPECT_TRUE(old->WaitForClose(milliseconds(5000)));

  auto by_handler = Connect();
  ASSERT_TRUE(by_handler);
  auto rh = by_handler->RoundTrip("GET", "/close");
  ASSERT_TRUE(rh.ok());
  EXPECT_EQ(rh->body, "bye");
  EXPECT_TRUE(by_handler->WaitForClose(milliseconds(5000)));
}

TEST_F(ServerTest, HeadHasLengthButNoBody) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  auto head = conn->RoundTrip("HEAD", "/hello");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.GetOr("Content-Length"), "3");
  EXPECT_EQ(head->body, "");
  // Had the server sent a body, it would be read here as a broken status line.
  auto next = conn->RoundTrip("GET", "/hello");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->body, "hi\n");
  auto nc = conn->RoundTrip("GET", "/nocontent");
  ASSERT_TRUE(nc.ok()) << nc.status().ToString();
  EXPECT_EQ(nc->status, 204);
  auto after = conn->RoundTrip("GET", "/hello");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->body, "hi\n");
}

TEST_F(ServerTest, ThrowingHandlerGives500AndServerLivesOn) {
  StartServer();
  auto conn = Connect();
  ASSERT_TRUE(conn);
  auto r = conn->RoundTrip("GET", "/throw");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("handler exploded"), std::string::npos);
  auto next = conn->RoundTrip("GET", "/hello");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, MaxConnectionsRejectsTheExtraOne) {
  ServerOptions opts;
  opts.max_connections = 2;
  StartServer(opts);
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->RoundTrip("GET", "/hello").ok());  // both are accepted and admitted
  ASSERT_TRUE(b->RoundTrip("GET", "/hello").ok());
  auto c = Connect();
  ASSERT_TRUE(c);
  auto r = c->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(c->WaitForClose(milliseconds(5000)));
  a.reset();  // frees a slot once the server sees the close
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    auto d = Fetch(server_->port(), "GET", "/hello");
    served = d.ok() && d->status == 200;
    if (!served) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(served);
}

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequest) {
  StartServer();
  auto idle = Connect();
  ASSERT_TRUE(idle);
  ASSERT_TRUE(idle->RoundTrip("GET", "/hello").ok());

  auto in_flight = std::async(std::launch::async, [port = server_->port()] {
    return Fetch(port, "GET", "/slow");
  });
  entered_.get_future().wait();
  auto stopped = std::async(std::launch::async, [this] { server_->Shutdown(milliseconds(10000)); });
  // The idle keep-alive connection is closed while the slow request is still running.
  EXPECT_TRUE(idle->WaitForClose(milliseconds(10000)));
  EXPECT_EQ(stopped.wait_for(milliseconds(0)), std::future_status::timeout);
  release_.Open();
  auto r = in_flight.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  stopped.get();
  EXPECT_FALSE(TestConnection::Connect(server_->port()).ok()) << "no longer accepting";
}

TEST_F(ServerTest, ShutdownGraceExpiresForStuckRequest) {
  StartServer();
  auto in_flight = std::async(std::launch::async, [port = server_->port()] {
    return Fetch(port, "GET", "/slow");
  });
  entered_.get_future().wait();
  auto stopped = std::async(std::launch::async, [this] { server_->Shutdown(milliseconds(50)); });
  // The grace period passes and the connection is cut; the handler returns when released.
  auto r = in_flight.get();
  EXPECT_FALSE(r.ok() && r->status == 200);
  release_.Open();
  stopped.get();
}

TEST_F(ServerTest, ObserverSeesRouteAndStatus) {
  std::mutex mu;
  std::vector<std::pair<std::string, int>> seen;
  ServerOptions opts;
  opts.observer = [&](const RequestRecord& rec) {
    std::lock_guard<std::mutex> lock(mu);
    seen.emplace_back(std::string(rec.route), rec.status);
  };
  StartServer(opts);
  ASSERT_TRUE(Fetch(server_->port(), "GET", "/hello").ok());
  ASSERT_TRUE(Fetch(server_->port(), "GET", "/nope").ok());
  server_->Shutdown();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<std::string, int>("/hello", 200)));
  EXPECT_EQ(seen[1], (std::pair<std::string, int>("", 404)));
}

TEST(ServerStartTest, BadListenAddresses) {
  Router router;
  ServerOptions opts;
  for (std::string bad : {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:"}) {
    opts.listen = bad;
    auto s = Server::Start(opts, &router);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << s.status().ToString();
    EXPECT_NE(s.status().message().find(bad), std::string::npos) << s.status().ToString();
  }
  opts.listen = "127.0.0.1:0";
  auto first = Server::Start(opts, &router);
  ASSERT_TRUE(first.ok());
  opts.listen = (*first)->address();
  EXPECT_EQ(opts.listen, "127.0.0.1:" + std::to_string((*first)->port()));
  auto second = Server::Start(opts, &router);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kIOError) << second.status().ToString();
}

}  // namespace
}  // namespace abhra::http
