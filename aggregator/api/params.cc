#include "aggregator/api/params.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace abhra::api {
namespace {

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string tmp(s);  // strtod handles inf/nan and hex like Go's ParseFloat mostly does
  char* end = nullptr;
  *out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// RFC3339 with optional fractional seconds: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM).
bool ParseRfc3339(std::string_view s, int64_t* ms) {
  int year, mon, day, hour, min, sec;
  if (!ParseDigits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' ||
      !ParseDigits(s, 5, 2, &mon) || s[7] != '-' || !ParseDigits(s, 8, 2, &day) ||
      (s[10] != 'T' && s[10] != 't') || !ParseDigits(s, 11, 2, &hour) || s[13] != ':' ||
      !ParseDigits(s, 14, 2, &min) || s[16] != ':' || !ParseDigits(s, 17, 2, &sec)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++digits;
      ++pos;
    }
    if (digits == 0) return false;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &om)) {
      return false;
    }
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_min * 60LL;
  *ms = secs * 1000 + frac_ms;
  return true;
}

}  // namespace

Result<int64_t> ParseTime(std::string_view text) {
  double f;
  if (ParseDouble(text, &f) && std::isfinite(f)) {
    double secs;
    double frac = std::modf(f, &secs);
    frac = std::round(frac * 1000) / 1000;
    return static_cast<int64_t>(secs) * 1000 + static_cast<int64_t>(std::llround(frac * 1000));
  }
  int64_t ms;
  if (ParseRfc3339(text, &ms)) return ms;
  // Prometheus' clients send these for "no bound".
  if (text == "-292273086-05-16T16:47:06Z" || text == "0001-01-01T00:00:00Z") return kMinTimeMs;
  if (text == "292277025-08-18T07:12:54.999999999Z") return kMaxTimeMs;
  return Status::InvalidArgument(fmt::format("cannot parse \"{}\" to a valid timestamp", text));
}

Result<int64_t> ParsePromDuration(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format("not a valid duration string: \"{}\"", s));
  };
  if (s.empty()) return bad();
  if (s == "0") return int64_t{0};
  int64_t total = 0;
  size_t pos = 0;
  // Units must appear in decreasing order, each at most once: y w d h m s ms.
  int last_rank = -1;
  while (pos < s.size()) {
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad();
    int64_t n = 0;
    auto r = std::from_chars(s.data() + start, s.data() + pos, n);
    if (r.ec != std::errc()) return bad();
    int64_t unit_ms;
    int rank;
    if (s.substr(pos, 2) == "ms") {
      unit_ms = 1, rank = 6, pos += 2;
    } else if (pos < s.size()) {
      switch (s[pos]) {
        case 'y': unit_ms = 365LL * 24 * 3600 * 1000, rank = 0; break;
        case 'w': unit_ms = 7LL * 24 * 3600 * 1000, rank = 1; break;
        case 'd': unit_ms = 24LL * 3600 * 1000, rank = 2; break;
        case 'h': unit_ms = 3600LL * 1000, rank = 3; break;
        case 'm': unit_ms = 60LL * 1000, rank = 4; break;
        case 's': unit_ms = 1000, rank = 5; break;
        default: return bad();
      }
      ++pos;
    } else {
      return bad();
    }
    if (rank <= last_rank) return bad();
    last_rank = rank;
    total += n * unit_ms;
  }
  return total;
}

Result<int64_t> ParseDuration(std::string_view text) {
  double f;
  if (ParseDouble(text, &f)) {
    double ms = f * 1000;
    if (!std::isfinite(ms) || ms > 9.2e18 || ms < -9.2e18) {
      return Status::InvalidArgument(
          fmt::format("cannot parse \"{}\" to a valid duration. It overflows int64", text));
    }
    return static_cast<int64_t>(std::llround(ms));
  }
  auto d = ParsePromDuration(text);
  if (d.ok()) return d;
  return Status::InvalidArgument(fmt::format("cannot parse \"{}\" to a valid duration", text));
}

}  // namespace abhra::api
