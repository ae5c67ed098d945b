// Request throughput of common/http's server on a trivial handler (GET /-/healthy → 200
// "Healthy"), plain HTTP against TLS: one keep-alive connection (the per-request cost of the
// record layer), and a fresh connection per request (the handshake). The blocking test client
// runs in the same process, one request at a time, so these are latency-bound round trips on
// loopback, not the server's saturation throughput.
//
//   cmake --build build --target http_tls_bench && build/bin/http_tls_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "common/http/router.h"
#include "common/http/server.h"
#include "common/http/test_certs.h"
#include "common/http/test_client.h"

namespace abhra::http {
namespace {

struct Servers {
  Router router;
  std::unique_ptr<Server> plain;
  std::unique_ptr<Server> tls;
  TlsClientOptions client;
  std::string dir;

  Servers() {
    router.Handle("GET", "/-/healthy",
                  [](const Request&, Response* r) { r->SetText(200, "Healthy"); });
    dir = (std::filesystem::temp_directory_path() /
           ("abhra-http-tls-bench-" + std::to_string(getpid())))
              .string();
    auto certs = MakeTestCerts(dir, 2, 2, "DNS:localhost,IP:127.0.0.1");
    if (!certs.ok()) std::abort();
    client = {certs->ca_cert, "localhost"};
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.handler_threads = 1;
    auto p = Server::Start(o, &router);
    o.tls_cert_file = certs->server_chain;
    o.tls_key_file = certs->server_key;
    auto t = Server::Start(o, &router);
    if (!p.ok() || !t.ok()) std::abort();
    plain = std::move(p).value();
    tls = std::move(t).value();
  }
  ~Servers() { std::filesystem::remove_all(dir); }
};

Servers& Get() {
  static Servers* s = new Servers();
  return *s;
}

void BM_KeepAlive(benchmark::State& state) {
  Servers& s = Get();
  bool tls = state.range(0) != 0;
  auto conn = tls ? TestConnection::ConnectTls(s.tls->port(), s.client)
                  : TestConnection::Connect(s.plain->port());
  if (!conn.ok()) return state.SkipWithError(conn.status().ToString().c_str());
  for (auto _ : state) {
    auto r = (*conn)->RoundTrip("GET", "/-/healthy");
    if (!r.ok() || r->status != 200) return state.SkipWithError("request failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(tls ? "tls" : "plain");
}
BENCHMARK(BM_KeepAlive)->Arg(0)->Arg(1)->UseRealTime();

void BM_NewConnection(benchmark::State& state) {
  Servers& s = Get();
  bool tls = state.range(0) != 0;
  for (auto _ : state) {
    auto r = tls ? FetchTls(s.tls->port(), s.client, "GET", "/-/healthy")
                 : Fetch(s.plain->port(), "GET", "/-/healthy");
    if (!r.ok() || r->status != 200) return state.SkipWithError("request failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(tls ? "tls" : "plain");
}
BENCHMARK(BM_NewConnection)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace abhra::http

BENCHMARK_MAIN();
