// Helpers for tests that run other programs: spawn with output to a log file, stop with
// SIGTERM, pick a free loopback port, plain HTTP GETs with libcurl.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/base/status.h"

namespace abhra::probe::testing {

// Starts args[0] with args; stdout and stderr go to `log`. -1 on failure.
pid_t SpawnProcess(const std::vector<std::string>& args, const std::string& log);
// SIGTERM, then waits for the exit. No-op for pid <= 0.
void TerminateProcess(pid_t pid);
// A port that was free on 127.0.0.1 a moment ago.
int FreeLoopbackPort();
// GET `url`; the body on 2xx, Unavailable otherwise.
Result<std::string> HttpGet(const std::string& url);
// Polls HttpGet(url) until it succeeds or `timeout_ms` passes.
bool WaitForHttp(const std::string& url, int timeout_ms);
// The directory of the running test binary's build tree's bin/ (…/build/tests/x → …/build/bin).
std::string BuildBinDir();

}  // namespace abhra::probe::testing
