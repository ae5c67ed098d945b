// Structured logging in logfmt, as Prometheus and Thanos print it:
//   ts=2026-11-23T09:16:11.123Z level=info component=wal msg="replayed WAL" segments=3
// Thread-safe. Output goes to stderr unless SetLogSink() says otherwise.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace abhra {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Parses "debug" | "info" | "warn" | "error"; false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
// Replaces the output (one call per complete line, without the trailing newline); nullptr
// restores stderr. For tests.
void SetLogSink(std::function<void(std::string_view line)> sink);

// Writes one line. `fields` is already-formatted logfmt ("k=v k2=\"v 2\"") or empty.
void LogLine(LogLevel level, std::string_view component, std::string_view msg,
             std::string_view fields);

// Quotes a value for logfmt when it needs it (spaces, quotes, '=', empty).
std::string LogfmtValue(std::string_view value);

}  // namespace abhra

// LOG_INFO("wal", "replayed WAL", "segments={} seconds={:.3f}", n, secs)
#define ABHRA_LOG_(level, component, msg, ...)                                     \
  do {                                                                             \
    if (::abhra::LogEnabled(level)) {                                              \
      ::abhra::LogLine(level, component, msg, ::fmt::format("" __VA_ARGS__));       \
    }                                                                              \
  } while (0)
#define LOG_DEBUG(component, msg, ...) ABHRA_LOG_(::abhra::LogLevel::kDebug, component, msg, ##__VA_ARGS__)
#define LOG_INFO(component, msg, ...) ABHRA_LOG_(::abhra::LogLevel::kInfo, component, msg, ##__VA_ARGS__)
#define LOG_WARN(component, msg, ...) ABHRA_LOG_(::abhra::LogLevel::kWarn, component, msg, ##__VA_ARGS__)
#define LOG_ERROR(component, msg, ...) ABHRA_LOG_(::abhra::LogLevel::kError, component, msg, ##__VA_ARGS__)
