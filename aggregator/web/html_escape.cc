#include "aggregator/web/html_escape.h"

namespace abhra::web {

void AppendHtmlEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': *out += "&amp;"; break;
      case '<': *out += "&lt;"; break;
      case '>': *out += "&gt;"; break;
      case '"': *out += "&quot;"; break;
      case '\'': *out += "&#39;"; break;
      default: *out += c;
    }
  }
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendHtmlEscaped(&out, s);
  return out;
}

}  // namespace abhra::web
