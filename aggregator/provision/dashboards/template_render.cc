#include "aggregator/provision/dashboards/template_render.h"

#include <openssl/sha.h>

#include <algorithm>

#include <fmt/format.h>

namespace abhra::provision {
namespace {

// Decodes one UTF-8 code point at s[*i], advancing *i; returns U+FFFD (consuming one byte)
// for an invalid sequence.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return 0xfffd;
  }
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
  for (int k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[*i + k]);
    if ((cc >> 6) != 0x2) {
      ++*i;
      return 0xfffd;
    }
    cp = (cp << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    ++*i;
    return 0xfffd;
  }
  *i += len;
  return cp;
}

bool IsSlugChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string Trim(std::string_view s, char ch) {
  size_t a = 0, b = s.size();
  while (a < b && s[a] == ch) ++a;
  while (b > a && s[b - 1] == ch) --b;
  return std::string(s.substr(a, b - a));
}

bool IsPlaceholderName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string UidSuffix(std::string_view uid_prefix, const std::vector<std::string>& parts) {
  std::string joined_dash, joined_nl;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      joined_dash += '-';
      joined_nl += '\n';
    }
    joined_dash += parts[i];
    joined_nl += parts[i];
  }
  // Python's str.lower() followed by [^a-z0-9]+ -> '-': every non-ASCII code point becomes
  // '-', except the two whose lower case contains ASCII letters (U+0130 -> "i\u0307",
  // U+212A KELVIN SIGN -> "k").
  std::string lowered;
  for (size_t i = 0; i < joined_dash.size();) {
    uint32_t cp = NextCodePoint(joined_dash, &i);
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    } else if (cp == 0x130) {
      lowered += "i-";
    } else if (cp == 0x212a) {
      lowered += 'k';
    } else {
      lowered += '-';
    }
  }
  std::string slug;
  for (char c : lowered) {
    if (IsSlugChar(c)) {
      slug += c;
    } else if (slug.empty() || slug.back() != '-') {
      slug += '-';
    }
  }
  slug = Trim(slug, '-');
  long room = static_cast<long>(kMaxUidLength) - static_cast<long>(uid_prefix.size()) - 9;
  if (room < 0) room = 0;
  if (slug.size() > static_cast<size_t>(room)) slug.resize(static_cast<size_t>(room));
  while (!slug.empty() && slug.back() == '-') slug.pop_back();

  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(joined_nl.data()), joined_nl.size(), digest);
  std::string hex = fmt::format("{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2],
                                digest[3]);
  return slug.empty() ? hex : slug + "-" + hex;
}

std::string EscapeJsonStringPythonStyle(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  auto u16 = [&out](uint32_t unit) { out += fmt::format("\\u{:04x}", unit); };
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = NextCodePoint(s, &i);
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (cp >= 0x20 && cp < 0x7f) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      u16(cp);
    } else {
      uint32_t v = cp - 0x10000;
      u16(0xd800 + (v >> 10));
      u16(0xdc00 + (v & 0x3ff));
    }
  }
  return out;
}

Result<std::string> RenderTemplateText(std::string_view text,
                                       const std::map<std::string, std::string>& values,
                                       std::string_view where) {
  std::string out;
  out.reserve(text.size() + 256);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("${", pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) break;  // no closing brace: not a placeholder
    out.append(text.substr(pos, open - pos));
    std::string_view name = text.substr(open + 2, close - open - 2);
    auto line = [&] {
      return 1 + std::count(text.begin(), text.begin() + static_cast<long>(open), '\n');
    };
    if (!IsPlaceholderName(name)) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: malformed placeholder ${{{}}}", where, line(), name));
    }
    auto it = values.find(std::string(name));
    if (it == values.end()) {
      return Status::InvalidArgument(
          fmt::format("{}:{}: no value for placeholder ${{{}}}", where, line(), name));
    }
    out += EscapeJsonStringPythonStyle(it->second);
    pos = close + 1;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace abhra::provision
