// Test-only server for the status page browser test: a TSDB head (no WAL) filled with two
// days of probe data for a small fleet, the status page and the dashboard provisioner on
// 127.0.0.1:<free port>. Prints "port=<n>" on stdout, then serves until stdin closes or
// SIGTERM/SIGINT arrives.
//
// The fleet (now = wall clock):
//   prod/api        up (two instances), version 1.4.2
//   prod/checkout   down for the last 20 minutes, version 2.0.1
//   prod/search     flaky: a failure every 3 minutes, up right now (degraded), version 3.1.0
//   prod/cart       probe died 10 minutes ago ("no data")
//   staging/api     up, versions 1.5.0-rc.1 and 1.4.2
//   staging/<script>...  a service whose label value is HTML/JS (must render as text)
// plus one firing alert and two incidents from the hooks.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "aggregator/provision/dashboards/dashboard_provisioner.h"
#include "aggregator/tsdb/head/head.h"
#include "aggregator/web/status_page.h"
#include "common/base/clock.h"
#include "common/http/server.h"
#include "common/http/signals.h"

namespace {

using namespace abhra;  // NOLINT

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
const char* kEvil = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">";

struct Svc {
  std::string env, service, instance;
  std::function<double(int64_t)> success;
  int64_t stop_ms;  // no samples after this time
  double duration;
};

int Fail(const char* what, const Status& st) {
  std::cerr << what << ": " << st.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  http::BlockTerminationSignals();
  std::string templates_dir = argc > 1 ? argv[1] : "dashboards";
  const int64_t now = Clock::Real().NowMillis();
  const int64_t start = now - 48 * kHour;

  std::string dir = (std::filesystem::temp_directory_path() /
                     ("abhra-statuspage-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  tsdb::HeadOptions ho;
  ho.wal_enabled = false;
  ho.chunk_range_ms = 8 * 24 * kHour;  // keeps all of the two days writable in any order
  auto head = tsdb::Head::Open(dir, ho);
  if (!head.ok()) return Fail("cannot open head", head.status());

  auto always = [](int64_t) { return 1.0; };
  std::vector<Svc> fleet = {
      {"prod", "api", "https://api.example/health", always, now, 0.12},
      {"prod", "api", "https://api-b.example/health", always, now, 0.18},
      {"prod", "checkout", "https://checkout.example/health",
       [now](int64_t t) { return t < now - 20 * kMinute ? 1.0 : 0.0; }, now, 0.35},
      {"prod", "search", "https://search.example/health",
       // One result in six fails (every 3 minutes), the newest one succeeds.
       [now](int64_t t) { return ((now - t) / 30000) % 6 == 3 ? 0.0 : 1.0; }, now, 0.6},
      {"prod", "cart", "https://cart.example/health", always, now - 10 * kMinute, 0.2},
      {"staging", "api", "https://api.staging.example/health", always, now, 0.15},
      {"staging", kEvil, "https://evil.example/", always, now, 0.1},
  };
  // For measurements: ABHRA_STATUSPAGE_EXTRA_SERVICES=N adds N healthy services in env "load".
  if (const char* extra = std::getenv("ABHRA_STATUSPAGE_EXTRA_SERVICES")) {
    for (int i = 0, n = std::atoi(extra); i < n; ++i) {
      fleet.push_back({"load", "svc-" + std::to_string(i), "https://svc-" + std::to_string(i) + ".example/",
                       always, now, 0.1});
    }
  }
  {
    auto app = (*head)->MakeAppender();
    for (const Svc& s : fleet) {
      Labels ok({{"__name__", "probe_success"}, {"cluster", "eu1"}, {"env", s.env},
                 {"instance", s.instance}, {"job", "abhra-probe"}, {"service", s.service}});
      Labels dur({{"__name__", "probe_duration_seconds"}, {"cluster", "eu1"}, {"env", s.env},
                  {"instance", s.instance}, {"job", "abhra-probe"}, {"service", s.service}});
      for (int64_t t = start; t <= std::min(now, s.stop_ms); t += 30 * 1000) {
        double wobble = 0.02 * ((t / kMinute) % 5);
        if (!app->Append(0, ok, t, s.success(t)).ok() || !app->Append(0, dur, t, s.duration + wobble).ok()) {
          std::cerr << "append failed\n";
          return 1;
        }
      }
    }
    struct Info { const char* env; std::string service; const char* version; };
    for (const Info& i : {Info{"prod", "api", "1.4.2"}, Info{"prod", "checkout", "2.0.1"},
                          Info{"prod", "search", "3.1.0"}, Info{"prod", "cart", "0.9.7"},
                          Info{"staging", "api", "1.5.0-rc.1"}, Info{"staging", "api", "1.4.2"},
                          Info{"staging", kEvil, "<b>bold</b>"}}) {
      Labels l({{"__name__", "abhra_target_info"}, {"cluster", "eu1"}, {"env", i.env},
                {"service", i.service}, {"version", i.version}});
      for (int64_t t = now - 2 * kHour; t <= now; t += 30 * 1000) {
        if (!app->Append(0, l, t, 1).ok()) return 1;
      }
    }
    Status st = app->Commit();
    if (!st.ok()) return Fail("commit", st);
  }

  http::Router router;
  web::StatusPage page(head->get(), web::StatusPageOptions{});
  page.SetAlertsSource([now] {
    return std::vector<web::AlertView>{
        {"AbhraProbeFailing", "prod", "checkout", "critical",
         "checkout in prod fails its health check (HTTP 503)", "firing", now - 18 * kMinute}};
  });
  page.SetIncidentsSource([now] {
    return std::vector<web::IncidentView>{
        {"prod", "checkout", "AbhraProbeFailing", "critical",
         "checkout in prod fails its health check (HTTP 503)", now - 18 * kMinute, 0, "firing"},
        {"prod", "search", "AbhraProbeFlapping", "warning", "search in prod flaps",
         now - 26 * kHour, now - 25 * kHour, "resolved"},
        {"staging", kEvil, "Injected", "warning", kEvil, now - 30 * kHour, now - 29 * kHour, "resolved"}};
  });
  page.RegisterRoutes(&router);

  provision::DashboardProvisionerOptions po;
  po.templates_dir = templates_dir;
  auto prov = provision::DashboardProvisioner::Create(head->get(), po);
  if (!prov.ok()) return Fail("cannot create the dashboard provisioner", prov.status());
  (*prov)->RegisterRoutes(&router);

  http::ServerOptions so;
  so.listen = "127.0.0.1:0";
  auto server = http::Server::Start(std::move(so), &router);
  if (!server.ok()) return Fail("cannot start server", server.status());
  std::cout << "port=" << (*server)->port() << std::endl;

  // Stop on SIGTERM/SIGINT or when stdin reaches EOF (the test script closes it).
  std::atomic<bool> done{false};
  std::thread stdin_watch([&] {
    char c;
    while (::read(0, &c, 1) > 0) {
    }
    done = true;
    ::kill(::getpid(), SIGTERM);
  });
  stdin_watch.detach();
  http::WaitForTerminationSignal();
  (*server)->Shutdown(std::chrono::milliseconds(500));
  std::filesystem::remove_all(dir);
  return 0;
}
