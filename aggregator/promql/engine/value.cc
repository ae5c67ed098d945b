#include "aggregator/promql/engine/value.h"

#include <cmath>

#include <fmt/format.h>

namespace abhra::promql {
namespace {

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          *out += fmt::format("\\u{:04x}", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendTime(std::string* out, int64_t ms) {
  // Seconds with up to three decimals, as Prometheus writes them.
  if (ms % 1000 == 0) {
    *out += fmt::format("{}", ms / 1000);
    return;
  }
  std::string s = fmt::format("{:.3f}", static_cast<double>(ms) / 1000.0);
  while (!s.empty() && s.back() == '0') s.pop_back();
  *out += s;
}

void AppendMetric(std::string* out, const Labels& l) {
  out->push_back('{');
  for (size_t i = 0; i < l.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(out, l[i].name);
    out->push_back(':');
    AppendJsonString(out, l[i].value);
  }
  out->push_back('}');
}

void AppendPoint(std::string* out, int64_t t, std::string_view v) {
  out->push_back('[');
  AppendTime(out, t);
  out->push_back(',');
  AppendJsonString(out, v);
  out->push_back(']');
}

}  // namespace

std::string FormatFloatFixed(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string s = fmt::format("{}", v);
  auto e = s.find_first_of("eE");
  if (e == std::string::npos) return s;
  // Expand the shortest exponent form into fixed notation.
  std::string mant = s.substr(0, e);
  int exp = std::stoi(s.substr(e + 1));
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant = mant.substr(1);
  std::string digits;
  int point = static_cast<int>(mant.find('.'));
  if (point < 0) point = static_cast<int>(mant.size());
  for (char c : mant) {
    if (c != '.') digits += c;
  }
  int new_point = point + exp;
  std::string out;
  if (new_point <= 0) {
    out = "0." + std::string(-new_point, '0') + digits;
  } else if (new_point >= static_cast<int>(digits.size())) {
    out = digits + std::string(new_point - digits.size(), '0');
  } else {
    out = digits.substr(0, new_point) + "." + digits.substr(new_point);
  }
  return neg ? "-" + out : out;
}

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Go's strconv.FormatFloat(v, 'f'|'e', -1, 64) as Prometheus' jsoniter encoder: exponent
  // form when the exponent is < -6 or >= 21.
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    // Shortest mantissa: let fmt pick the digits, then normalise to Go's e+XX form.
    std::string s = fmt::format("{}", v);
    auto e = s.find('e');
    if (e == std::string::npos) return s;
    std::string mant = s.substr(0, e);
    std::string exp = s.substr(e + 1);
    char sign = '+';
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) {
      sign = exp[0];
      exp = exp.substr(1);
    }
    while (exp.size() > 1 && exp[0] == '0') exp = exp.substr(1);
    if (exp.size() < 2) exp = "0" + exp;
    return mant + "e" + sign + exp;
  }
  return FormatFloatFixed(v);
}

std::string_view ResultTypeName(const Value& v) {
  switch (v.index()) {
    case 0: return "scalar";
    case 1: return "string";
    case 2: return "vector";
    default: return "matrix";
  }
}

std::string ValueToJson(const Value& v) {
  std::string out = "{\"resultType\":\"";
  out += ResultTypeName(v);
  out += "\",\"result\":";
  if (const auto* s = std::get_if<Scalar>(&v)) {
    AppendPoint(&out, s->t, FormatSampleValue(s->v));
  } else if (const auto* str = std::get_if<StringValue>(&v)) {
    AppendPoint(&out, str->t, str->v);
  } else if (const auto* vec = std::get_if<Vector>(&v)) {
    out += '[';
    for (size_t i = 0; i < vec->size(); ++i) {
      if (i) out += ',';
      out += "{\"metric\":";
      AppendMetric(&out, (*vec)[i].metric);
      out += ",\"value\":";
      AppendPoint(&out, (*vec)[i].t, FormatSampleValue((*vec)[i].f));
      out += '}';
    }
    out += ']';
  } else {
    const auto& m = std::get<Matrix>(v);
    out += '[';
    for (size_t i = 0; i < m.size(); ++i) {
      if (i) out += ',';
      out += "{\"metric\":";
      AppendMetric(&out, m[i].metric);
      out += ",\"values\":[";
      for (size_t j = 0; j < m[i].floats.size(); ++j) {
        if (j) out += ',';
        AppendPoint(&out, m[i].floats[j].t, FormatSampleValue(m[i].floats[j].f));
      }
      out += "]}";
    }
    out += ']';
  }
  out += '}';
  return out;
}

}  // namespace abhra::promql
