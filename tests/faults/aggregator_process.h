// One abhra-aggregator process for the fault tests: started over a data dir on a free
// loopback port, with remote-write, instant queries and the admin API at hand, and a few
// looks at the data dir (blocks, temporary dirs, quarantine).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "common/http/test_client.h"
#include "common/remote/write_request_encoder.h"
#include "tests/integration/subprocess.h"

namespace abhra::testing {

class AggregatorProcess {
 public:
  // Starts the aggregator (`--data-dir data_dir`, `--config config` unless empty, and
  // `--web.enable-admin-api` when its --help offers that flag), output appended to
  // `log`, and waits until /-/ready answers 200.
  static Result<std::unique_ptr<AggregatorProcess>> Start(const std::string& data_dir,
                                                          const std::string& log,
                                                          const std::string& config = "");

  uint16_t port() const { return port_; }
  Subprocess& process() { return proc_; }
  // True while the process has not exited.
  bool Running() { return proc_.Wait(std::chrono::milliseconds(0)) == -1 && proc_.pid() > 0; }

  // One remote-write 1.0 request; the HTTP status (IOError if the connection failed).
  Result<int> Write(const std::vector<remote::TimeSeries>& series);
  // The value of the first element of an instant query's result at `time_ms` (NotFound
  // when the result is empty).
  Result<double> QueryValue(const std::string& promql, int64_t time_ms);
  // POST /api/v1/admin/<action> ("flush", "compact").
  Result<http::ClientResponse> Admin(const std::string& action);

 private:
  AggregatorProcess(Subprocess proc, uint16_t port) : proc_(std::move(proc)), port_(port) {}
  Subprocess proc_;
  uint16_t port_;
  std::unique_ptr<http::TestConnection> conn_;  // reused by Write
};

// Names in `dir` ending in .tmp-for-creation / .tmp-for-deletion, or "*.tmp" files.
std::vector<std::string> TemporaryEntries(const std::string& dir);
// Block directories (ULID names) in `dir`.
std::vector<std::string> BlockDirs(const std::string& dir);
// Removes `dir` when the current test passed; else prints where it (and `log`) were kept.
void RemoveUnlessFailed(const std::string& dir, const std::string& log);
// Whole file contents ("" if unreadable).
std::string ReadWholeFile(const std::string& path);

}  // namespace abhra::testing
