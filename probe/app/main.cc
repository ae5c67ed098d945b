// abhra-probe --config FILE [--listen HOST:PORT] [--check-config] [--log-level LEVEL]
//
// SIGHUP reloads the configuration; SIGINT/SIGTERM stop gracefully (the queue is flushed,
// so unsent samples are sent after the next start).
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "common/base/logging.h"
#include "probe/app/probe_app.h"
#include "probe/config/config_loader.h"

int main(int argc, char** argv) {
  CLI::App cli{"abhra-probe: HTTP/TCP checks and scrapes pushed to the Abhra aggregator"};
  std::string config_path;
  std::string listen = "127.0.0.1:9115";
  std::string log_level = "info";
  bool check_config = false;
  cli.add_option("--config", config_path, "YAML configuration file")->required();
  cli.add_option("--listen", listen, "HOST:PORT for /metrics, /-/healthy, /-/ready");
  cli.add_flag("--check-config", check_config, "validate the configuration and exit");
  cli.add_option("--log-level", log_level, "debug, info, warn or error");
  CLI11_PARSE(cli, argc, argv);

  abhra::LogLevel level;
  if (!abhra::ParseLogLevel(log_level, &level)) {
    std::fprintf(stderr, "invalid --log-level \"%s\"\n", log_level.c_str());
    return 2;
  }
  abhra::SetLogLevel(level);

  if (check_config) {
    abhra::probe::ConfigParseOutcome out = abhra::probe::ParseConfigFile(config_path);
    if (out.errors.empty()) {
      std::printf("OK: %s (%zu targets)\n", config_path.c_str(), out.config.targets.size());
      return 0;
    }
    for (const std::string& e : out.errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "%zu error(s)\n", out.errors.size());
    return 1;
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto app = abhra::probe::ProbeApp::Create({config_path, listen});
  if (!app.ok()) {
    LOG_ERROR("probe", "cannot start", "err={}", abhra::LogfmtValue(app.status().ToString()));
    return 1;
  }
  (*app)->Start();
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      LOG_INFO("probe", "SIGHUP: reloading configuration");
      (void)(*app)->Reload();
      continue;
    }
    LOG_INFO("probe", "shutting down", "signal={}", sig);
    break;
  }
  (*app)->Stop();
  return 0;
}
