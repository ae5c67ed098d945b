#include "probe/integration/blackbox_process.h"
#include "probe/integration/child_process.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>


namespace abhra::probe::testing {
Result<std::unique_ptr<BlackboxProcess>> BlackboxProcess::Start(const std::string& dir,
                                                                const std::string& config_yaml) {
  if (::access(kBlackboxBinary, X_OK) != 0) return Status::NotFound("blackbox_exporter not installed");
  std::string config = dir + "/blackbox.yml";
  std::ofstream(config) << config_yaml;
  std::unique_ptr<BlackboxProcess> p(new BlackboxProcess());
  p->port_ = FreeLoopbackPort();
  std::string listen = fmt::format("--web.listen-address=127.0.0.1:{}", p->port_);
  std::string config_flag = "--config.file=" + config;
  std::string log = dir + "/blackbox.log";
  p->pid_ = SpawnProcess({kBlackboxBinary, listen, config_flag, "--log.level=warn"}, log);
  if (p->pid_ < 0) return Status::Internal("cannot start blackbox_exporter");
  for (int i = 0; i < 200; ++i) {
    if (HttpGet(fmt::format("http://127.0.0.1:{}/-/healthy", p->port_)).ok()) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  return Status::Unavailable("blackbox_exporter did not start: " + ss.str());
}

BlackboxProcess::~BlackboxProcess() {
  TerminateProcess(pid_);
}

Result<std::map<std::string, double>> BlackboxProcess::Probe(const std::string& module,
                                                            const std::string& target) {
  CURL* e = curl_easy_init();
  char* escaped = curl_easy_escape(e, target.c_str(), static_cast<int>(target.size()));
  std::string url = fmt::format("http://127.0.0.1:{}/probe?module={}&target={}", port_, module, escaped);
  curl_free(escaped);
  curl_easy_cleanup(e);
  ABHRA_ASSIGN_OR_RETURN(std::string body, HttpGet(url));
  std::map<std::string, double> out;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

}  // namespace abhra::probe::testing
