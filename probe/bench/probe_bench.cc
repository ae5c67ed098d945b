// abhra-probe-bench [--checks N] [--targets T] [--blackbox-concurrency C]
//
// Starts nginx (/usr/sbin/nginx) on 127.0.0.1 answering "200 ok", then
//  1. runs N HTTP checks with the probe's scheduler (T distinct targets per round, all
//     concurrent on one thread) and reports checks per CPU-second of this process;
//  2. starts blackbox_exporter and has C client threads ask it for N probes of the same URL,
//     and reports checks per CPU-second of the exporter process (from /proc/PID/stat).
// Only the prober's own CPU is counted on both sides (not nginx, not the bench's clients).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "probe/check/scheduler.h"
#include "probe/config/config_loader.h"
#include "probe/scrape/scrape_check.h"

extern char** environ;

namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

bool Get(CURL* e, const std::string& url) {
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Discard);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
  long status = 0;
  bool ok = curl_easy_perform(e) == CURLE_OK;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  return ok && status == 200;
}

bool WaitUp(const std::string& url) {
  CURL* e = curl_easy_init();
  bool up = false;
  for (int i = 0; i < 200 && !up; ++i) {
    up = Get(e, url);
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  curl_easy_cleanup(e);
  return up;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  size_t close = stat.rfind(')');
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long ProcessRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  int checks = 20000, targets = 1000, concurrency = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int v = std::atoi(argv[i + 1]);
    if (flag == "--checks") checks = v;
    if (flag == "--targets") targets = v;
    if (flag == "--blackbox-concurrency") concurrency = v;
  }
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::string dir = "/tmp/abhra-probe-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  int nginx_port = FreePort();
  std::ofstream(dir + "/nginx.conf") << fmt::format(
      "daemon off; master_process off; worker_processes 1; pid {0}/nginx.pid;\n"
      "error_log {0}/nginx-error.log;\nevents {{ worker_connections 8192; }}\n"
      "http {{ access_log off; client_body_temp_path {0}/cb; proxy_temp_path {0}/p;\n"
      "  fastcgi_temp_path {0}/f; uwsgi_temp_path {0}/u; scgi_temp_path {0}/s;\n"
      "  server {{ listen 127.0.0.1:{1} backlog=4096; location / {{ return 200 \"ok\\n\"; }} }} }}\n",
      dir, nginx_port);
  pid_t nginx = Spawn({"/usr/sbin/nginx", "-p", dir, "-c", dir + "/nginx.conf"}, dir + "/nginx.log");
  std::string target_url = fmt::format("http://127.0.0.1:{}/", nginx_port);
  if (nginx < 0 || !WaitUp(target_url)) {
    std::fprintf(stderr, "nginx did not start (see %s)\n", dir.c_str());
    return 1;
  }

  // 1. The probe.
  std::string yaml = "environment: bench\ncluster: local\ntargets:\n";
  for (int i = 0; i < targets; ++i) {
    yaml += fmt::format("  - {{name: t{}, interval: 30s, timeout: 10s, http: {{url: \"{}\"}}}}\n", i, target_url);
  }
  auto cfg = abhra::probe::ParseConfigText(yaml, "bench");
  abhra::probe::Scheduler scheduler(abhra::Clock::Real(), abhra::probe::MakeProbeCheck, nullptr);
  (void)scheduler.RunOnce(cfg.config.targets);  // warm-up
  int done = 0, failed = 0;
  double cpu0 = SelfCpuSeconds();
  auto wall0 = std::chrono::steady_clock::now();
  while (done < checks) {
    for (const auto& r : scheduler.RunOnce(cfg.config.targets)) failed += !r.result.success;
    done += targets;
  }
  double ours_cpu = SelfCpuSeconds() - cpu0;
  double ours_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::printf("abhra-probe:      %d checks (%d failed) in %.2fs wall, %.2fs CPU -> %.0f checks/CPU-second, %.0f checks/s wall, %.1f us CPU/check\n",
              done, failed, ours_wall, ours_cpu, done / ours_cpu, done / ours_wall, ours_cpu / done * 1e6);

  // 2. blackbox_exporter.
  int bb_port = FreePort();
  std::ofstream(dir + "/blackbox.yml") << "modules:\n  http_2xx: {prober: http, timeout: 10s, http: {preferred_ip_protocol: ip4}}\n";
  pid_t bb = Spawn({"/usr/bin/prometheus-blackbox-exporter",
                    fmt::format("--web.listen-address=127.0.0.1:{}", bb_port),
                    "--config.file=" + dir + "/blackbox.yml", "--log.level=error"},
                   dir + "/blackbox.log");
  std::string probe_url = fmt::format("http://127.0.0.1:{}/probe?module=http_2xx&target={}", bb_port, target_url);
  if (bb < 0 || !WaitUp(fmt::format("http://127.0.0.1:{}/-/healthy", bb_port))) {
    std::fprintf(stderr, "blackbox_exporter did not start\n");
  } else {
    std::atomic<int> next{0}, bb_failed{0};
    auto work = [&] {
      CURL* e = curl_easy_init();
      while (next.fetch_add(1) < checks) bb_failed += !Get(e, probe_url);
      curl_easy_cleanup(e);
    };
    { std::vector<std::thread> warm; for (int i = 0; i < 4; ++i) warm.emplace_back([&] { CURL* e = curl_easy_init(); for (int k = 0; k < 50; ++k) Get(e, probe_url); curl_easy_cleanup(e); }); for (auto& t : warm) t.join(); }
    double bb_cpu0 = ProcessCpuSeconds(bb);
    auto bb_wall0 = std::chrono::steady_clock::now();
    std::vector<std::thread> clients;
    for (int i = 0; i < concurrency; ++i) clients.emplace_back(work);
    for (auto& t : clients) t.join();
    double bb_cpu = ProcessCpuSeconds(bb) - bb_cpu0;
    double bb_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - bb_wall0).count();
    std::printf("blackbox_exporter: %d checks (%d failed) in %.2fs wall, %.2fs CPU -> %.0f checks/CPU-second, %.0f checks/s wall, %.1f us CPU/check\n",
                checks, bb_failed.load(), bb_wall, bb_cpu, checks / bb_cpu, checks / bb_wall, bb_cpu / checks * 1e6);
    std::printf("ratio (checks per CPU-second, probe / blackbox): %.1fx\n", (done / ours_cpu) / (checks / bb_cpu));
    std::printf("blackbox_exporter RSS: %ld KiB\n", ProcessRssKb(bb));
    kill(bb, SIGTERM);
    waitpid(bb, nullptr, 0);
  }
  std::printf("abhra-probe-bench RSS (with %d targets loaded): %ld KiB\n", targets, ProcessRssKb(getpid()));
  kill(nginx, SIGTERM);
  waitpid(nginx, nullptr, 0);
  std::filesystem::remove_all(dir);
  return 0;
}
