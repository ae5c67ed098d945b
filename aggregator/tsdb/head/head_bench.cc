// abhra-head-bench: ingest throughput, CPU and memory of the head.
//
//   abhra-head-bench [--series N] [--samples M] [--threads T] [--batch B]
//                    [--fsync always|batch|never] [--api appender|batch] [--no-wal] [--dir D]
//                    [--replay-workers N]
//
// Appends N series × M samples (15 s apart) with realistic label sets (10 labels) in
// batches of B samples from T threads (each thread owns N/T series; a batch holds B
// different series at one timestamp, like a remote-write request), then prints samples/s,
// CPU seconds per million samples, RSS, and bytes per series; finally reopens the head to
// time WAL replay.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "aggregator/tsdb/head/head.h"
#include "aggregator/tsdb/head/head_appender.h"
#include "common/base/logging.h"

namespace {

using abhra::Labels;
using abhra::tsdb::LabelView;

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// VmRSS / VmHWM in bytes.
size_t ProcStatus(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stoull(line.substr(std::strlen(key))) * 1024;
  }
  return 0;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double MiB(size_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

struct SeriesDef {
  std::vector<std::string> strings;  // name, value, name, value ...
  std::vector<LabelView> views;
  Labels labels;
  int kind = 0;  // see NextValue
  double value = 0;
};

// Value models in the spirit of ../shared/bench/gen_remote_write.py: integer and float
// counters, integer gauges that change sometimes, constants, rounded random-walk gauges.
double NextValue(SeriesDef& s, std::mt19937& rng) {
  auto u = [&] { return static_cast<double>(rng() % 1000000) / 1e6; };
  switch (s.kind) {
    case 0:  // integer counter
      s.value += std::floor(15.0 * 3 * (0.7 + 0.6 * u()) + u());
      break;
    case 1:  // full-precision float counter (cpu seconds)
      s.value += 15.0 * 0.02 * (0.5 + u());
      break;
    case 2:  // integer gauge, changes with p=0.3
      if (u() < 0.3) s.value = std::max(0.0, s.value + static_cast<double>(rng() % 21) - 10);
      break;
    case 3:  // constant (up, build info, limits)
      break;
    default:  // gauge rounded to 2 decimals, random walk
      s.value = std::round((s.value + (u() - 0.5) * 4) * 100) / 100;
      break;
  }
  return s.value;
}

std::vector<SeriesDef> MakeSeries(int n) {
  static const char* metrics[] = {"http_requests_total", "http_request_duration_seconds_sum",
                                  "process_cpu_seconds_total", "process_resident_memory_bytes",
                                  "node_network_receive_bytes_total", "up",
                                  "probe_duration_seconds", "go_goroutines",
                                  "node_memory_MemAvailable_bytes", "probe_success"};
  static const char* envs[] = {"prod", "staging", "dev"};
  static const char* regions[] = {"eu-west-1", "us-east-1", "ap-south-1", "eu-central-1"};
  static const char* versions[] = {"1.4.2", "1.4.3", "1.5.0", "1.5.1", "2.0.0-rc1"};
  std::mt19937 rng(1);
  std::vector<SeriesDef> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    SeriesDef& s = out[static_cast<size_t>(i)];
    int m = i % 10;
    int host = i / 10;
    s.strings = {"__name__", metrics[m],
                 "cluster", fmt::format("k8s-{}", host % 6),
                 "env", envs[host % 3],
                 "instance", fmt::format("10.{}.{}.{}:9100", (host >> 16) & 255, (host >> 8) & 255, host & 255),
                 "job", fmt::format("svc-{}", host % 10),
                 "namespace", fmt::format("team-{}", host % 8),
                 "pod", fmt::format("svc-{}-{:x}", host % 10, (host * 2654435761u) & 0xfffff),
                 "region", regions[host % 4],
                 "service", fmt::format("svc-{}", host % 10),
                 "version", versions[host % 5]};
    std::vector<abhra::Label> ls;
    for (size_t k = 0; k < s.strings.size(); k += 2) ls.push_back({s.strings[k], s.strings[k + 1]});
    s.labels = Labels::FromSorted(std::move(ls));
    static const int kinds[] = {0, 0, 1, 2, 0, 3, 4, 2, 2, 3};
    s.kind = kinds[m];
    s.value = static_cast<double>(rng() % 1000);
  }
  for (auto& s : out) {
    for (size_t k = 0; k < s.strings.size(); k += 2) s.views.push_back({s.strings[k], s.strings[k + 1]});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int series = 10000, samples = 240, threads = 2, batch = 1000;
  std::string fsync = "batch", api = "appender", dir;
  bool wal = true;
  int replay_workers = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--series") series = std::stoi(next());
    else if (a == "--samples") samples = std::stoi(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--batch") batch = std::stoi(next());
    else if (a == "--fsync") fsync = next();
    else if (a == "--api") api = next();
    else if (a == "--dir") dir = next();
    else if (a == "--no-wal") wal = false;
    else if (a == "--replay-workers") replay_workers = std::stoi(next());
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (dir.empty()) dir = fmt::format("/tmp/abhra-head-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  auto policy = abhra::tsdb::ParseFsyncPolicy(fsync);
  if (!policy.ok()) {
    std::fprintf(stderr, "%s\n", policy.status().ToString().c_str());
    return 2;
  }
  abhra::SetLogLevel(abhra::LogLevel::kWarn);

  std::vector<SeriesDef> defs = MakeSeries(series);
  size_t rss_before = ProcStatus("VmRSS:");

  abhra::tsdb::HeadOptions o;
  o.wal_enabled = wal;
  o.wal.fsync = *policy;
  o.replay_workers = replay_workers;
  auto head = abhra::tsdb::Head::Open(dir, o);
  if (!head.ok()) {
    std::fprintf(stderr, "%s\n", head.status().ToString().c_str());
    return 1;
  }
  abhra::tsdb::Head& h = **head;
  const int64_t t0 = 1'700'000'000'000;
  std::atomic<uint64_t> rejected{0};
  std::mutex head_cpu_mu;
  double head_cpu_total = 0;  // CPU inside the head's append calls (excludes request building)
  double cpu0 = CpuSeconds();
  auto w0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int th = 0; th < threads; ++th) {
    ts.emplace_back([&, th] {
      size_t lo = static_cast<size_t>(series) * static_cast<size_t>(th) / static_cast<size_t>(threads);
      size_t hi = static_cast<size_t>(series) * static_cast<size_t>(th + 1) / static_cast<size_t>(threads);
      std::mt19937 rng(static_cast<unsigned>(th));
      std::vector<abhra::tsdb::SeriesSamples> req;
      std::vector<abhra::storage::Sample> vals;
      abhra::tsdb::AppendBatchResult res;
      double head_cpu = 0;
      std::string buf;
      std::vector<LabelView> views;
      views.reserve(static_cast<size_t>(batch) * 10);
      for (int r = 0; r < samples; ++r) {
        // 15 s interval; 2% of scrapes jitter by a few ms.
        static const int64_t kJitter[] = {-8, -5, -3, 3, 5, 8, 13};
        int64_t t = t0 + int64_t{r} * 15000 + (rng() % 50 == 0 ? kJitter[rng() % 7] : 0);
        for (size_t b = lo; b < hi; b += static_cast<size_t>(batch)) {
          size_t e = std::min(hi, b + static_cast<size_t>(batch));
          if (api == "batch") {
            // Like a decoded remote-write request: this batch's label bytes sit in one fresh
            // buffer (the decompressed body) and the views point into it.
            buf.clear();
            for (size_t i = b; i < e; ++i) {
              for (const std::string& str : defs[i].strings) buf += str;
            }
            req.clear();
            views.clear();
            vals.resize(e - b);
            size_t off = 0;
            for (size_t i = b; i < e; ++i) {
              SeriesDef& s = defs[i];
              size_t first = views.size();
              for (size_t k = 0; k < s.strings.size(); k += 2) {
                std::string_view n(buf.data() + off, s.strings[k].size());
                off += n.size();
                std::string_view v(buf.data() + off, s.strings[k + 1].size());
                off += v.size();
                views.push_back({n, v});
              }
              vals[i - b] = {t, NextValue(s, rng)};
              req.push_back({{views.data() + first, s.views.size()}, {&vals[i - b], 1}});
            }
            double c0 = ThreadCpuSeconds();
            if (!h.AppendBatch(req, &res).ok()) std::abort();
            head_cpu += ThreadCpuSeconds() - c0;
            rejected += res.errors.size();
          } else {
            double c0 = ThreadCpuSeconds();
            auto app = h.MakeAppender();
            for (size_t i = b; i < e; ++i) {
              SeriesDef& s = defs[i];
              if (!app->Append(0, s.labels, t, NextValue(s, rng)).ok()) ++rejected;
            }
            if (!app->Commit().ok()) std::abort();
            head_cpu += ThreadCpuSeconds() - c0;
          }
        }
      }
      std::lock_guard l(head_cpu_mu);
      head_cpu_total += head_cpu;
    });
  }
  for (auto& t : ts) t.join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  double cpu = CpuSeconds() - cpu0;
  size_t rss_after = ProcStatus("VmRSS:");
  size_t hwm = ProcStatus("VmHWM:");
  double total = static_cast<double>(series) * samples;
  abhra::tsdb::HeadMemoryStats m = h.MemoryStats();
  std::printf("workload: %d series x %d samples = %.1fM samples, %d threads, batch %d, api=%s, "
              "wal=%s fsync=%s\n",
              series, samples, total / 1e6, threads, batch, api.c_str(), wal ? "on" : "off",
              fsync.c_str());
  std::printf("ingest: %.0f samples/s, wall %.2f s, CPU %.2f s/M samples (process; in head "
              "calls %.2f s/M), rejected %llu\n",
              total / wall, wall, cpu / (total / 1e6), head_cpu_total / (total / 1e6),
              static_cast<unsigned long long>(rejected.load()));
  std::printf("memory: RSS %.1f MiB (peak %.1f MiB; %.1f MiB before the head), "
              "RSS growth per series %.0f B\n",
              MiB(rss_after), MiB(hwm), MiB(rss_before),
              static_cast<double>(rss_after - rss_before) / series);
  std::printf("head accounting per series: total %.0f B = series %.0f + chunks %.0f + symbols "
              "%.0f + postings %.0f + registry %.0f; chunk bytes/sample %.2f\n",
              static_cast<double>(m.total()) / series, static_cast<double>(m.series_bytes) / series,
              static_cast<double>(m.chunk_bytes) / series, static_cast<double>(m.symbol_bytes) / series,
              static_cast<double>(m.postings_bytes) / series,
              static_cast<double>(m.registry_bytes) / series,
              static_cast<double>(m.chunk_bytes) / total);
  if (wal) {
    size_t wal_bytes = 0;
    for (auto& e : std::filesystem::directory_iterator(dir + "/wal")) wal_bytes += e.file_size();
    std::printf("wal: %.2f B/sample on disk\n", static_cast<double>(wal_bytes) / total);
    if (!h.Close().ok()) return 1;
    head->reset();
    auto r0 = std::chrono::steady_clock::now();
    double rc0 = CpuSeconds();
    auto again = abhra::tsdb::Head::Open(dir, o);
    double rs = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    double rcpu = CpuSeconds() - rc0;
    if (!again.ok()) {
      std::fprintf(stderr, "reopen: %s\n", again.status().ToString().c_str());
      return 1;
    }
    std::printf("replay: %.2f s (CPU %.2f s) for %.1fM samples = %.3f s per million samples, "
                "%zu series\n",
                rs, rcpu, total / 1e6, rs / (total / 1e6), (*again)->NumSeries());
  }
  std::filesystem::remove_all(dir);
  return 0;
}
