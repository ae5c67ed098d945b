// UTF-8 checks for exposition text (label values and help must be valid UTF-8).
#pragma once

#include "common/base/utf8.h"

namespace abhra::textformat {
using ::abhra::IsValidUtf8;
using ::abhra::Utf8Length;
}  // namespace abhra::textformat
