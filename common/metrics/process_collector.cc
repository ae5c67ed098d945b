#include "common/metrics/process_collector.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace abhra::metrics {
namespace {

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

bool ReadFile(const char* path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Fields of /proc/self/stat after the command name, so fields[0] is field 3 ("state").
std::vector<std::string> StatFields() {
  std::string stat;
  if (!ReadFile("/proc/self/stat", &stat)) return {};
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return {};
  std::istringstream in(stat.substr(paren + 1));
  std::vector<std::string> fields;
  std::string f;
  while (in >> f) fields.push_back(f);
  return fields;
}

bool ToDouble(const std::string& s, double* out) {
  auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return err == std::errc() && end == s.data() + s.size();
}

// The boot time in seconds since the epoch ("btime" in /proc/stat), or -1.
double BootTimeSeconds() {
  std::string stat;
  if (!ReadFile("/proc/stat", &stat)) return -1;
  size_t pos = stat.find("\nbtime ");
  if (pos == std::string::npos) return -1;
  std::istringstream in(stat.substr(pos + 7));
  double btime = -1;
  in >> btime;
  return btime;
}

double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir() holds
}

double MaxFds() {
  std::string limits;
  if (!ReadFile("/proc/self/limits", &limits)) return -1;
  size_t pos = limits.find("Max open files");
  if (pos == std::string::npos) return -1;
  std::istringstream in(limits.substr(pos + 14));
  std::string soft;
  in >> soft;
  double v = -1;
  if (soft == "unlimited") return -1;
  return ToDouble(soft, &v) ? v : -1;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::vector<std::string> f = StatFields();
  // Field numbers from proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](int number, double* v) {
    size_t i = static_cast<size_t>(number - 3);
    return i < f.size() && ToDouble(f[i], v);
  };
  double utime, stime, starttime, vsize, rss;
  if (ticks > 0 && field(14, &utime) && field(15, &stime)) {
    out.push_back(Family("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.", MetricType::Counter,
                         (utime + stime) / ticks));
  }
  if (page > 0 && field(24, &rss)) {
    out.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::Gauge, rss * page));
  }
  if (field(23, &vsize)) {
    out.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge, vsize));
  }
  double btime = BootTimeSeconds();
  if (ticks > 0 && btime > 0 && field(22, &starttime)) {
    out.push_back(Family("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::Gauge, btime + starttime / ticks));
  }
  if (double fds = CountOpenFds(); fds >= 0) {
    out.push_back(Family("process_open_fds", "Number of open file descriptors.",
                         MetricType::Gauge, fds));
  }
  if (double max = MaxFds(); max >= 0) {
    out.push_back(Family("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, max));
  }
  return out;
}

}  // namespace abhra::metrics
