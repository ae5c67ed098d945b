#include "aggregator/promql/parser/lexer.h"

#include <cctype>
#include <deque>

namespace abhra::promql {
namespace {

bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool StartsUnit(std::string_view s, size_t i) {
  if (i >= s.size()) return false;
  char c = s[i];
  return c == 's' || c == 'm' || c == 'h' || c == 'd' || c == 'w' || c == 'y';
}

}  // namespace

Lexer::Lexer(std::string_view input) : in_(input) { Run(); }

void Lexer::Emit(Tok t, size_t start, size_t end) {
  tokens_.push_back(Token{t, in_.substr(start, end - start), start});
}

void Lexer::Error(size_t pos, std::string msg) {
  errors_.push_back(std::move(msg));
  tokens_.push_back(Token{Tok::kError, errors_.back(), pos});
}

void Lexer::Run() {
  size_t i = 0;
  const size_t n = in_.size();
  // errors_ must not reallocate while tokens point into it: at most one error is emitted.
  errors_.reserve(1);
  while (i < n) {
    char c = in_[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < n && in_[i] != '\n') ++i;
      continue;
    }
    size_t start = i;
    auto two = [&](char next) { return i + 1 < n && in_[i + 1] == next; };
    switch (c) {
      case '(': Emit(Tok::kLParen, i, i + 1); ++i; continue;
      case ')': Emit(Tok::kRParen, i, i + 1); ++i; continue;
      case '{': Emit(Tok::kLBrace, i, i + 1); ++i; continue;
      case '}': Emit(Tok::kRBrace, i, i + 1); ++i; continue;
      case '[': Emit(Tok::kLBracket, i, i + 1); ++i; continue;
      case ']': Emit(Tok::kRBracket, i, i + 1); ++i; continue;
      case ',': Emit(Tok::kComma, i, i + 1); ++i; continue;
      case ':': Emit(Tok::kColon, i, i + 1); ++i; continue;
      case '@': Emit(Tok::kAt, i, i + 1); ++i; continue;
      case '+': Emit(Tok::kAdd, i, i + 1); ++i; continue;
      case '-': Emit(Tok::kSub, i, i + 1); ++i; continue;
      case '*': Emit(Tok::kMul, i, i + 1); ++i; continue;
      case '/': Emit(Tok::kDiv, i, i + 1); ++i; continue;
      case '%': Emit(Tok::kMod, i, i + 1); ++i; continue;
      case '^': Emit(Tok::kPow, i, i + 1); ++i; continue;
      case '=':
        if (two('=')) { Emit(Tok::kEql, i, i + 2); i += 2; }
        else if (two('~')) { Emit(Tok::kEqlRegex, i, i + 2); i += 2; }
        else { Emit(Tok::kAssign, i, i + 1); ++i; }
        continue;
      case '!':
        if (two('=')) { Emit(Tok::kNeq, i, i + 2); i += 2; continue; }
        if (two('~')) { Emit(Tok::kNeqRegex, i, i + 2); i += 2; continue; }
        Error(i, "unexpected character after '!': " +
                     (i + 1 < n ? std::string(1, in_[i + 1]) : std::string("EOF")));
        return;
      case '<':
        if (two('=')) { Emit(Tok::kLte, i, i + 2); i += 2; }
        else { Emit(Tok::kLss, i, i + 1); ++i; }
        continue;
      case '>':
        if (two('=')) { Emit(Tok::kGte, i, i + 2); i += 2; }
        else { Emit(Tok::kGtr, i, i + 1); ++i; }
        continue;
      case '"':
      case '\'':
      case '`': {
        char q = c;
        ++i;
        while (i < n && in_[i] != q) {
          if (in_[i] == '\\' && q != '`') {
            ++i;
          } else if (in_[i] == '\n' && q != '`') {
            Error(i, "unterminated quoted string");
            return;
          }
          ++i;
        }
        if (i >= n) {
          Error(start, "unterminated " + std::string(q == '`' ? "raw string" : "quoted string"));
          return;
        }
        ++i;
        Emit(Tok::kString, start, i);
        continue;
      }
      default:
        break;
    }
    if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(in_[i + 1]))) {
      // Hex number.
      if (c == '0' && i + 1 < n && (in_[i + 1] == 'x' || in_[i + 1] == 'X')) {
        i += 2;
        while (i < n && IsHex(in_[i])) ++i;
        Emit(Tok::kNumber, start, i);
        continue;
      }
      // Duration: digits followed by a unit, possibly compound (1h30m).
      size_t j = i;
      while (j < n && IsDigit(in_[j])) ++j;
      if (j > i && StartsUnit(in_, j)) {
        size_t k = i;
        bool ok = true;
        while (k < n && IsDigit(in_[k])) {
          while (k < n && IsDigit(in_[k])) ++k;
          if (k + 1 < n && in_[k] == 'm' && in_[k + 1] == 's') {
            k += 2;
          } else if (StartsUnit(in_, k)) {
            ++k;
          } else {
            ok = false;
            break;
          }
        }
        if (ok && (k >= n || !IsAlnum(in_[k]))) {
          Emit(Tok::kDuration, start, k);
          i = k;
          continue;
        }
        Error(start, "bad number or duration syntax: \"" + std::string(in_.substr(start, k + 1 - start)) + "\"");
        return;
      }
      // Decimal number with optional fraction and exponent.
      while (i < n && IsDigit(in_[i])) ++i;
      if (i < n && in_[i] == '.') {
        ++i;
        while (i < n && IsDigit(in_[i])) ++i;
      }
      if (i < n && (in_[i] == 'e' || in_[i] == 'E')) {
        size_t k = i + 1;
        if (k < n && (in_[k] == '+' || in_[k] == '-')) ++k;
        if (k < n && IsDigit(in_[k])) {
          while (k < n && IsDigit(in_[k])) ++k;
          i = k;
        }
      }
      if (i < n && (IsAlpha(in_[i]) || in_[i] == '.')) {
        Error(start, "bad number or duration syntax: \"" + std::string(in_.substr(start, i + 1 - start)) + "\"");
        return;
      }
      Emit(Tok::kNumber, start, i);
      continue;
    }
    if (IsAlpha(c) || c == ':') {
      bool metric = false;
      while (i < n && (IsAlnum(in_[i]) || in_[i] == ':')) {
        if (in_[i] == ':') metric = true;
        ++i;
      }
      Emit(metric ? Tok::kMetricIdentifier : Tok::kIdentifier, start, i);
      continue;
    }
    Error(i, "unexpected character: '" + std::string(1, c) + "'");
    return;
  }
  Emit(Tok::kEOF, n, n);
}

Result<std::string> UnquoteString(std::string_view s) {
  if (s.size() < 2) return Status::InvalidArgument("invalid syntax");
  char q = s.front();
  if (s.back() != q) return Status::InvalidArgument("invalid syntax");
  std::string_view body = s.substr(1, s.size() - 2);
  if (q == '`') return std::string(body);
  std::string out;
  auto append_utf8 = [&](uint32_t r) {
    if (r < 0x80) {
      out += static_cast<char>(r);
    } else if (r < 0x800) {
      out += static_cast<char>(0xC0 | (r >> 6));
      out += static_cast<char>(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
      out += static_cast<char>(0xE0 | (r >> 12));
      out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (r & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (r >> 18));
      out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (r & 0x3F));
    }
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == q) return Status::InvalidArgument("invalid syntax");
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return Status::InvalidArgument("invalid syntax");
    char e = body[i];
    auto hex = [&](size_t digits) -> Result<uint32_t> {
      if (i + digits >= body.size() + 1) return Status::InvalidArgument("invalid syntax");
      uint32_t v = 0;
      for (size_t k = 1; k <= digits; ++k) {
        char h = body[i + k];
        if (!IsHex(h)) return Status::InvalidArgument("invalid syntax");
        v = v * 16 + (IsDigit(h) ? h - '0' : (std::tolower(h) - 'a' + 10));
      }
      i += digits;
      return v;
    };
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '\'':
      case '"':
        if (e != q) return Status::InvalidArgument("invalid syntax");
        out += e;
        break;
      case 'x': {
        ABHRA_ASSIGN_OR_RETURN(uint32_t v, hex(2));
        out += static_cast<char>(v);
        break;
      }
      case 'u': {
        ABHRA_ASSIGN_OR_RETURN(uint32_t v, hex(4));
        append_utf8(v);
        break;
      }
      case 'U': {
        ABHRA_ASSIGN_OR_RETURN(uint32_t v, hex(8));
        if (v > 0x10FFFF) return Status::InvalidArgument("invalid syntax");
        append_utf8(v);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 >= body.size()) return Status::InvalidArgument("invalid syntax");
          uint32_t v = 0;
          for (size_t k = 0; k < 3; ++k) {
            char o = body[i + k];
            if (o < '0' || o > '7') return Status::InvalidArgument("invalid syntax");
            v = v * 8 + (o - '0');
          }
          if (v > 255) return Status::InvalidArgument("invalid syntax");
          i += 2;
          out += static_cast<char>(v);
          break;
        }
        return Status::InvalidArgument("invalid syntax");
    }
  }
  return out;
}

Result<int64_t> ParseDuration(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  if (s == "0") return int64_t{0};
  int64_t total = 0;
  size_t i = 0;
  // Units must appear in decreasing order, each at most once (Prometheus' rule).
  int last_rank = 100;
  while (i < s.size()) {
    if (!IsDigit(s[i])) return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
    int64_t v = 0;
    while (i < s.size() && IsDigit(s[i])) {
      v = v * 10 + (s[i] - '0');
      if (v > (int64_t{1} << 53)) return Status::InvalidArgument("duration out of range");
      ++i;
    }
    int64_t mult = 0;
    int rank = 0;
    if (s.substr(i, 2) == "ms") { mult = 1; rank = 0; i += 2; }
    else if (i < s.size()) {
      switch (s[i]) {
        case 's': mult = 1000; rank = 1; break;
        case 'm': mult = 60 * 1000; rank = 2; break;
        case 'h': mult = 3600 * 1000; rank = 3; break;
        case 'd': mult = 86400 * 1000; rank = 4; break;
        case 'w': mult = 7 * 86400 * 1000LL; rank = 5; break;
        case 'y': mult = 365 * 86400 * 1000LL; rank = 6; break;
        default: return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
      }
      ++i;
    } else {
      return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
    }
    if (rank >= last_rank) return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
    last_rank = rank;
    // v <= 2^53 but v * mult (mult up to 3.15e10 for y) can exceed int64: reject, not overflow.
    if (v > (INT64_MAX - total) / mult) return Status::InvalidArgument("duration out of range");
    total += v * mult;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Unit { int64_t size; const char* name; };
  static const Unit kUnits[] = {{365LL * 86400000, "y"}, {7LL * 86400000, "w"}, {86400000, "d"},
                                {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const Unit& u : kUnits) {
    if (ms >= u.size) {
      out += std::to_string(ms / u.size) + u.name;
      ms %= u.size;
    }
  }
  return out;
}

}  // namespace abhra::promql
