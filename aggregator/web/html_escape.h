// Escaping for HTML text and attribute values.
#pragma once

#include <string>
#include <string_view>

namespace abhra::web {

// Appends `s` with & < > " ' replaced by entities: safe in element text and in quoted
// attribute values. Bytes are otherwise copied (UTF-8 passes through).
void AppendHtmlEscaped(std::string* out, std::string_view s);
std::string HtmlEscape(std::string_view s);

}  // namespace abhra::web
