// UTF-8 validation, shared by the remote-write decoder (proto3 strings) and the exposition
// text parser (label values, help).
#pragma once

#include <cstddef>
#include <string_view>

namespace abhra {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates, nothing above
// U+10FFFF. ASCII runs are checked eight bytes at a time.
bool IsValidUtf8(std::string_view s);

// Number of code points. REQUIRES: IsValidUtf8(s).
size_t Utf8Length(std::string_view s);

}  // namespace abhra
