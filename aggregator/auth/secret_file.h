// Secrets (bearer tokens) live in files, never inline in configuration, so that config files,
// config dumps and process listings do not carry them.
#pragma once

#include <string>
#include <string_view>

#include "common/base/status.h"

namespace abhra::auth {

// The content of `path` without trailing whitespace (a final newline is usual). `what` names
// the setting in errors ("auth.read_token_file"); errors name the file, never its content.
// IOError when unreadable, InvalidArgument when empty or when it holds more than one line.
Result<std::string> ReadSecretFile(const std::string& path, std::string_view what);

}  // namespace abhra::auth
