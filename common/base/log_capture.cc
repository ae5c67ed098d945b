#include "common/base/log_capture.h"

namespace abhra {

LogCapture::LogCapture(LogLevel level) : previous_(LogLevel::kError) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (LogEnabled(l)) {
      previous_ = l;
      break;
    }
  }
  SetLogLevel(level);
  SetLogSink([this](std::string_view line) {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(line).append("\n");
  });
}

LogCapture::~LogCapture() {
  SetLogSink(nullptr);
  SetLogLevel(previous_);
}

std::string LogCapture::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

}  // namespace abhra
