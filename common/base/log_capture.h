// LogCapture: collects every log line while it lives, for tests that check what is (or is
// never) logged. One at a time: it replaces the process-wide log sink.
#pragma once

#include <mutex>
#include <string>

#include "common/base/logging.h"

namespace abhra {

class LogCapture {
 public:
  // Captures lines of `level` and above (the level is set for the process meanwhile).
  explicit LogCapture(LogLevel level = LogLevel::kDebug);
  // Restores stderr output and the previous level.
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // Every line so far, each followed by '\n'. Thread-safe.
  std::string text() const;

 private:
  mutable std::mutex mu_;
  std::string text_;  // guarded by mu_
  LogLevel previous_;
};

}  // namespace abhra
