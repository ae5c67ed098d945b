#include "probe/integration/blackbox_process.h"

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

extern char** environ;

namespace abhra::probe::testing {
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

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

Result<std::string> HttpGet(const std::string& url) {
  CURL* e = curl_easy_init();
  std::string body;
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 20000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  CURLcode code = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  if (code != CURLE_OK) return Status::Unavailable(fmt::format("GET {}: {}", url, curl_easy_strerror(code)));
  if (status < 200 || status > 299) return Status::Unavailable(fmt::format("GET {}: status {}", url, status));
  return body;
}

Result<std::unique_ptr<BlackboxProcess>> BlackboxProcess::Start(const std::string& dir,
                                                                const std::string& config_yaml) {
  if (::access(kBlackboxBinary, X_OK) != 0) return Status::NotFound("blackbox_exporter not installed");
  std::string config = dir + "/blackbox.yml";
  std::ofstream(config) << config_yaml;
  std::unique_ptr<BlackboxProcess> p(new BlackboxProcess());
  p->port_ = FreePort();
  std::string listen = fmt::format("--web.listen-address=127.0.0.1:{}", p->port_);
  std::string config_flag = "--config.file=" + config;
  std::string log = dir + "/blackbox.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const char* argv[] = {kBlackboxBinary, listen.c_str(), config_flag.c_str(), "--log.level=warn", nullptr};
  int rc = posix_spawn(&p->pid_, kBlackboxBinary, &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Status::Internal(fmt::format("posix_spawn blackbox_exporter: {}", rc));
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
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
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
