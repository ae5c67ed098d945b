#include "probe/config/duration.h"

#include <array>
#include <cctype>
#include <iterator>
#include <limits>

namespace abhra::probe {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
// Largest first; the order in which units must appear.
constexpr std::array<Unit, 7> kUnits = {{{"y", 365LL * 24 * 3600 * 1000},
                                         {"w", 7LL * 24 * 3600 * 1000},
                                         {"d", 24LL * 3600 * 1000},
                                         {"h", 3600LL * 1000},
                                         {"m", 60LL * 1000},
                                         {"s", 1000},
                                         {"ms", 1}}};

Status BadDuration(std::string_view text, std::string_view why) {
  return Status::InvalidArgument(fmt::format(
      "invalid duration \"{}\": {} (use Prometheus syntax such as 15s, 1m30s, 500ms)", text, why));
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return BadDuration(text, "empty");
  if (text == "0") return int64_t{0};
  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits of the smallest unit not yet passed
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return BadDuration(text, "expected a number");
    }
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > std::numeric_limits<int64_t>::max() / 10) return BadDuration(text, "too large");
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    size_t start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(start, i - start);
    if (unit.empty()) return BadDuration(text, "missing unit");
    size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].name != unit) ++u;
    if (u == kUnits.size()) {
      bool known = false;
      for (const Unit& k : kUnits) known |= k.name == unit;
      return BadDuration(text, known ? fmt::format("unit \"{}\" out of order", unit)
                                     : fmt::format("unknown unit \"{}\"", unit));
    }
    if (n > std::numeric_limits<int64_t>::max() / kUnits[u].ms) return BadDuration(text, "too large");
    int64_t add = n * kUnits[u].ms;
    if (total > std::numeric_limits<int64_t>::max() - add) return BadDuration(text, "too large");
    total += add;
    next_unit = u + 1;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  fmt::memory_buffer out;
  if (ms < 0) {
    out.push_back('-');
    ms = -ms;
  }
  for (const Unit& u : kUnits) {
    if (ms >= u.ms) {
      fmt::format_to(std::back_inserter(out), "{}{}", ms / u.ms, u.name);
      ms %= u.ms;
    }
  }
  return fmt::to_string(out);
}

Result<int64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (n > std::numeric_limits<int64_t>::max() / 10) break;
    n = n * 10 + (text[i] - '0');
    ++i;
  }
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("invalid byte size \"{}\": {} (e.g. 1048576, 512MiB, 2GiB)", text, why));
  };
  if (i == 0) return bad("expected a number");
  std::string_view unit = text.substr(i);
  struct SizeUnit {
    std::string_view name;
    int64_t mult;
  };
  static constexpr std::array<SizeUnit, 9> kSizes = {{{"", 1},
                                                      {"B", 1},
                                                      {"KB", 1000},
                                                      {"MB", 1000 * 1000},
                                                      {"GB", 1000 * 1000 * 1000},
                                                      {"KiB", 1024},
                                                      {"MiB", 1024 * 1024},
                                                      {"GiB", 1024 * 1024 * 1024},
                                                      {"TiB", 1024LL * 1024 * 1024 * 1024}}};
  for (const SizeUnit& s : kSizes) {
    if (s.name == unit) {
      if (n > std::numeric_limits<int64_t>::max() / s.mult) return bad("too large");
      return n * s.mult;
    }
  }
  return bad(fmt::format("unknown unit \"{}\"", unit));
}

}  // namespace abhra::probe
