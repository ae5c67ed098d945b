// UTF-8 checks for exposition text (label values and help must be valid UTF-8).
#pragma once

#include <cstddef>
#include <string_view>

namespace abhra::textformat {

bool IsValidUtf8(std::string_view s);
// Number of code points; REQUIRES: IsValidUtf8(s).
size_t Utf8Length(std::string_view s);

}  // namespace abhra::textformat
