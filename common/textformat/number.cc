#include "common/textformat/number.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace abhra::textformat {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [+-]? (d+ (. d*)? | . d+) ([eE] [+-]? d+)?
bool IsDecimalFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

}  // namespace

std::optional<double> ParseValue(std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string_view unsigned_part = token;
  bool negative = false;
  if (token[0] == '+' || token[0] == '-') {
    negative = token[0] == '-';
    unsigned_part.remove_prefix(1);
  }
  if (EqualsIgnoreCase(unsigned_part, "inf") || EqualsIgnoreCase(unsigned_part, "infinity")) {
    double inf = std::numeric_limits<double>::infinity();
    return negative ? -inf : inf;
  }
  if (EqualsIgnoreCase(token, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (!IsDecimalFloat(token)) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(unsigned_part.data(), unsigned_part.data() + unsigned_part.size(),
                                   v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    // Underflow to zero is fine (as strconv.ParseFloat); overflow is not.
    bool huge = false;
    size_t e = unsigned_part.find_first_of("eE");
    if (e == std::string_view::npos || unsigned_part[e + 1] != '-') huge = true;
    if (huge) return std::nullopt;
    v = 0;
  } else if (ec != std::errc() || ptr != unsigned_part.data() + unsigned_part.size()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

std::optional<int64_t> ParseMillis(std::string_view token) {
  if (!token.empty() && token[0] == '+') token.remove_prefix(1);
  if (token.empty() || token[0] == '+') return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseSecondsAsMillis(std::string_view token) {
  std::optional<double> s = ParseValue(token);
  if (!s || !std::isfinite(*s)) return std::nullopt;
  double ms = std::round(*s * 1000.0);
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  if (ms >= 9223372036854775808.0 || ms < -9223372036854775808.0) return std::nullopt;
  return static_cast<int64_t>(ms);
}

}  // namespace abhra::textformat
