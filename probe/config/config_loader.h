// Loading and validating the probe's YAML configuration.
//
// Every problem is reported, not only the first: unknown keys, wrong types, bad durations,
// regexes RE2 rejects, malformed URLs, timeout > interval, duplicate target names. Each
// error reads "<source>:<line>:<column>: <what>" with 1-based positions from yaml-cpp marks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "probe/config/config.h"

namespace abhra::probe {

struct ConfigParseOutcome {
  ProbeConfig config;               // meaningful only when errors is empty
  std::vector<std::string> errors;  // in file order
};

// Parses YAML text. `source` names it in messages (usually the file path).
ConfigParseOutcome ParseConfigText(std::string_view yaml, std::string_view source);

// ParseConfigText over a file's contents. An unreadable file is one error.
ConfigParseOutcome ParseConfigFile(const std::string& path);

// The same, as a Result: InvalidArgument whose message is all errors, one per line.
Result<ProbeConfig> LoadConfigFile(const std::string& path);

}  // namespace abhra::probe
