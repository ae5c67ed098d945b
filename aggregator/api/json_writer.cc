#include "aggregator/api/json_writer.h"

#include <charconv>
#include <cmath>

namespace abhra::api {

void AppendSampleValue(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[400];
  double a = std::fabs(v);
  auto fmt = (a != 0 && (a < 1e-6 || a >= 1e21)) ? std::chars_format::scientific
                                                  : std::chars_format::fixed;
  auto res = std::to_chars(buf, buf + sizeof buf, v, fmt);
  out->append(buf, res.ptr);
}

void AppendTimestamp(std::string* out, int64_t t_ms) {
  if (t_ms < 0) {
    *out += '-';
    t_ms = -t_ms;
  }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, t_ms / 1000);
  out->append(buf, res.ptr);
  int64_t frac = t_ms % 1000;
  if (frac != 0) {
    *out += '.';
    if (frac < 100) *out += '0';
    if (frac < 10) *out += '0';
    res = std::to_chars(buf, buf + sizeof buf, frac);
    out->append(buf, res.ptr);
  }
}

void AppendJsonString(std::string* out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  *out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '<': *out += "\\u003c"; break;  // as Go's encoder: safe to embed in HTML
      case '>': *out += "\\u003e"; break;
      case '&': *out += "\\u0026"; break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          *out += kHex[c >> 4];
          *out += kHex[c & 0xf];
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
  *out += '"';
}

}  // namespace abhra::api
