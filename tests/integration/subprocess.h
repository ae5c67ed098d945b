// Starting and stopping the project's binaries from tests: fork/exec with output to a log
// file, signals, waiting, and free loopback ports.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace abhra::testing {

class Subprocess {
 public:
  // Starts argv[0] with argv; stdout and stderr go to `log_path` (appended).
  static Result<Subprocess> Start(const std::vector<std::string>& argv, const std::string& log_path);
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  ~Subprocess();  // SIGKILL + wait if still running

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit code, or 128+signal when killed. -1 on timeout.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, read back, released).
uint16_t FreePort();

// Polls GET `path` on 127.0.0.1:port until it answers 200, or `timeout` passes.
bool WaitForHttp200(uint16_t port, const std::string& path,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A fresh empty directory under the system temp dir.
std::string MakeTempDir(const std::string& prefix);

}  // namespace abhra::testing
