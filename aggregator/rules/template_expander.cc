#include "aggregator/rules/template_expander.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace abhra::rules {
namespace {

// A template value: Go's alert templates only ever see strings and float64.
using TValue = std::variant<std::string, double>;

std::string CFormat(const char* spec, double v) {
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, spec, v);
  if (n < 0) return "";
  return std::string(buf, std::min<size_t>(n, sizeof buf - 1));
}

std::string GoG4(double v) {  // Go's %.4g (C's matches it for 4 significant digits)
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return CFormat("%.4g", v);
}

std::string ValueToString(const TValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return FormatGoFloat(std::get<double>(v));
}

Result<double> ValueToFloat(const TValue& v, std::string_view fn) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  const std::string& s = std::get<std::string>(v);
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    return Status::InvalidArgument(
        fmt::format("{}: cannot convert \"{}\" to a number", fn, s));
  }
  return d;
}

std::string HumanizeTimestamp(double secs) {
  if (std::isnan(secs) || std::isinf(secs)) return GoG4(secs);
  double whole = std::floor(secs);
  std::time_t t = static_cast<std::time_t>(whole);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  int64_t nanos = std::llround((secs - whole) * 1e9);
  if (nanos > 0 && nanos < 1000000000) {
    std::string frac = fmt::format("{:09d}", nanos);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + " +0000 UTC";
}

// Go's fmt verbs over one argument, for printf.
Result<std::string> FormatVerb(std::string_view flags_width_prec, char verb, const TValue& arg) {
  std::string spec = "%" + std::string(flags_width_prec);
  switch (verb) {
    case 'v':
    case 's': {
      std::string s = ValueToString(arg);
      std::string c = spec + "s";
      char buf[1024];
      int n = std::snprintf(buf, sizeof buf, c.c_str(), s.c_str());
      if (n < 0) return Status::InvalidArgument("printf: bad format");
      return std::string(buf, std::min<size_t>(n, sizeof buf - 1));
    }
    case 'd': {
      ABHRA_ASSIGN_OR_RETURN(double d, ValueToFloat(arg, "printf %d"));
      std::string c = spec + "lld";
      char buf[256];
      int n = std::snprintf(buf, sizeof buf, c.c_str(), static_cast<long long>(d));
      return std::string(buf, std::min<size_t>(std::max(n, 0), sizeof buf - 1));
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      ABHRA_ASSIGN_OR_RETURN(double d, ValueToFloat(arg, "printf"));
      if (std::isnan(d)) return std::string("NaN");
      if (std::isinf(d)) return std::string(d > 0 ? "+Inf" : "-Inf");
      if ((verb == 'g' || verb == 'G') && flags_width_prec.find('.') == std::string_view::npos) {
        return FormatGoFloat(d);  // Go's %g without precision is the shortest form
      }
      return CFormat((spec + verb).c_str(), d);
    }
    default:
      return Status::InvalidArgument(fmt::format("printf: unsupported verb %{}", verb));
  }
}

Result<std::string> Printf(const std::vector<TValue>& args) {
  if (args.empty() || !std::holds_alternative<std::string>(args[0])) {
    return Status::InvalidArgument("printf needs a format string as first argument");
  }
  const std::string& f = std::get<std::string>(args[0]);
  std::string out;
  size_t next = 1;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    size_t j = i + 1;
    while (j < f.size() && std::string_view("+-# 0123456789.").find(f[j]) != std::string_view::npos) ++j;
    if (j >= f.size()) return Status::InvalidArgument(fmt::format("printf: format \"{}\" ends in a verb", f));
    if (f[j] == '%') {
      out += '%';
      i = j;
      continue;
    }
    if (next >= args.size()) {
      return Status::InvalidArgument(fmt::format("printf: format \"{}\" has more verbs than arguments", f));
    }
    ABHRA_ASSIGN_OR_RETURN(std::string piece,
                           FormatVerb(std::string_view(f).substr(i + 1, j - i - 1), f[j], args[next++]));
    out += piece;
    i = j;
  }
  return out;
}

// --- the action language -------------------------------------------------------------

struct Token {
  enum Kind { kRef, kString, kNumber, kIdent, kPipe } kind;
  std::string text;  // ref: "$labels.x", ".Value"...; string: decoded; ident: name
  double number = 0;
};

Result<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (c == '|') {
      out.push_back({Token::kPipe, "|"});
      ++i;
    } else if (c == '"') {
      std::string v;
      size_t j = i + 1;
      for (; j < s.size() && s[j] != '"'; ++j) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          char e = s[++j];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          v += s[j];
        }
      }
      if (j >= s.size()) return Status::InvalidArgument("unterminated string literal");
      out.push_back({Token::kString, std::move(v)});
      i = j + 1;
    } else if (c == '`') {
      size_t j = s.find('`', i + 1);
      if (j == std::string_view::npos) return Status::InvalidArgument("unterminated raw string");
      out.push_back({Token::kString, std::string(s.substr(i + 1, j - i - 1))});
      i = j + 1;
    } else if (c == '$' || c == '.') {
      size_t j = i + 1;
      while (j < s.size() && (is_ident(s[j]) || s[j] == '.')) ++j;
      out.push_back({Token::kRef, std::string(s.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
      size_t j = i + 1;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                              s[j] == '+' || s[j] == '-')) ++j;
      std::string text(s.substr(i, j - i));
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) {
        return Status::InvalidArgument(fmt::format("bad number \"{}\"", text));
      }
      out.push_back({Token::kNumber, text, d});
      i = j;
    } else if (is_ident(c)) {
      size_t j = i;
      while (j < s.size() && is_ident(s[j])) ++j;
      out.push_back({Token::kIdent, std::string(s.substr(i, j - i))});
      i = j;
    } else {
      return Status::InvalidArgument(fmt::format("unexpected character '{}'", c));
    }
  }
  return out;
}

bool KnownFunction(std::string_view f) {
  return f == "humanize" || f == "humanize1024" || f == "humanizeDuration" ||
         f == "humanizePercentage" || f == "humanizeTimestamp" || f == "toUpper" ||
         f == "toLower" || f == "title" || f == "printf";
}

// Resolves a reference; data == nullptr only checks it.
Result<TValue> Resolve(const std::string& ref, const TemplateData* data) {
  auto label_of = [&](const Labels* ls, std::string_view name) -> TValue {
    if (ls == nullptr) return std::string();
    return std::string(ls->Get(name));
  };
  for (std::string_view prefix : {"$labels.", ".Labels.", "$externalLabels.", ".ExternalLabels."}) {
    if (ref.rfind(prefix, 0) == 0) {
      std::string_view name = std::string_view(ref).substr(prefix.size());
      if (name.empty() || name.find('.') != std::string_view::npos) break;
      if (data == nullptr) return TValue(std::string());
      bool external = prefix[1] == 'e' || prefix[1] == 'E';
      return label_of(external ? data->external_labels : data->labels, name);
    }
  }
  if (ref == "$value" || ref == ".Value") return TValue(data ? data->value : 0.0);
  if (ref == "$externalURL" || ref == ".ExternalURL") {
    return TValue(data ? std::string(data->external_url) : std::string());
  }
  return Status::InvalidArgument(fmt::format(
      "unsupported reference {} (supported: $labels.NAME, $value, $externalLabels.NAME, "
      "$externalURL)", ref));
}

Result<TValue> Call(const std::string& fn, std::vector<TValue> args) {
  if (fn == "printf") {
    ABHRA_ASSIGN_OR_RETURN(std::string s, Printf(args));
    return TValue(std::move(s));
  }
  if (args.size() != 1) {
    return Status::InvalidArgument(fmt::format("{} takes 1 argument, got {}", fn, args.size()));
  }
  if (fn == "toUpper" || fn == "toLower" || fn == "title") {
    std::string s = ValueToString(args[0]);
    bool word_start = true;
    for (char& c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      if (fn == "toUpper") c = static_cast<char>(std::toupper(u));
      else if (fn == "toLower") c = static_cast<char>(std::tolower(u));
      else {
        if (word_start && std::isalpha(u)) c = static_cast<char>(std::toupper(u));
        word_start = !std::isalnum(u);
      }
    }
    return TValue(std::move(s));
  }
  ABHRA_ASSIGN_OR_RETURN(double v, ValueToFloat(args[0], fn));
  if (fn == "humanize") return TValue(Humanize(v));
  if (fn == "humanize1024") return TValue(Humanize1024(v));
  if (fn == "humanizeDuration") return TValue(HumanizeDuration(v));
  if (fn == "humanizePercentage") return TValue(HumanizePercentage(v));
  if (fn == "humanizeTimestamp") return TValue(HumanizeTimestamp(v));
  return Status::InvalidArgument(fmt::format("unknown function \"{}\"", fn));
}

// One command: an operand, or a function with arguments. `piped` is the previous value.
Result<TValue> RunCommand(const std::vector<Token>& cmd, const TValue* piped,
                          const TemplateData* data) {
  if (cmd.empty()) return Status::InvalidArgument("empty command in pipeline");
  auto operand = [&](const Token& t) -> Result<TValue> {
    switch (t.kind) {
      case Token::kRef: return Resolve(t.text, data);
      case Token::kString: return TValue(t.text);
      case Token::kNumber: return TValue(t.number);
      default:
        return Status::InvalidArgument(fmt::format("unexpected \"{}\" as an argument", t.text));
    }
  };
  if (cmd[0].kind != Token::kIdent) {
    if (cmd.size() != 1 || piped != nullptr) {
      return Status::InvalidArgument("a value cannot take arguments or be piped into");
    }
    return operand(cmd[0]);
  }
  const std::string& fn = cmd[0].text;
  if (!KnownFunction(fn)) {
    return Status::InvalidArgument(fmt::format(
        "unsupported function or keyword \"{}\" (supported: humanize, humanize1024, "
        "humanizeDuration, humanizePercentage, humanizeTimestamp, printf, toUpper, toLower, "
        "title)", fn));
  }
  std::vector<TValue> args;
  for (size_t i = 1; i < cmd.size(); ++i) {
    ABHRA_ASSIGN_OR_RETURN(TValue v, operand(cmd[i]));
    args.push_back(std::move(v));
  }
  if (piped != nullptr) args.push_back(*piped);
  if (data == nullptr) return TValue(std::string());  // checking only
  return Call(fn, std::move(args));
}

Result<std::string> RunAction(std::string_view action, const TemplateData* data) {
  ABHRA_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(action));
  if (tokens.empty()) return Status::InvalidArgument("empty action {{ }}");
  std::vector<std::vector<Token>> cmds(1);
  for (Token& t : tokens) {
    if (t.kind == Token::kPipe) {
      cmds.emplace_back();
    } else {
      cmds.back().push_back(std::move(t));
    }
  }
  std::optional<TValue> value;
  for (const auto& cmd : cmds) {
    ABHRA_ASSIGN_OR_RETURN(TValue v, RunCommand(cmd, value ? &*value : nullptr, data));
    value = std::move(v);
  }
  return ValueToString(*value);
}

Result<std::string> Expand(std::string_view text, const TemplateData* data) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(fmt::format("template: unclosed action at offset {}", open));
    }
    out.append(text.substr(pos, open - pos));
    std::string_view action = text.substr(open + 2, close - open - 2);
    bool trim_left = action.size() >= 2 && action[0] == '-' && action[1] == ' ';
    bool trim_right = action.size() >= 2 && action.back() == '-' && action[action.size() - 2] == ' ';
    if (trim_left) {
      action.remove_prefix(1);
      while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    }
    if (trim_right) action.remove_suffix(1);
    auto piece = RunAction(action, data);
    if (!piece.ok()) {
      return Status::InvalidArgument(fmt::format("template: in {{{{{}}}}}: {}", action,
                                                 piece.status().message()));
    }
    out += *piece;
    pos = close + 2;
    if (trim_right) {
      while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    }
  }
  return out;
}

}  // namespace

Status CheckTemplate(std::string_view text) {
  auto r = Expand(text, nullptr);
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::string> ExpandTemplate(std::string_view text, const TemplateData& data) {
  if (text.find("{{") == std::string_view::npos) return std::string(text);
  return Expand(text, &data);
}

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, sci.ptr);
  size_t e = s.find('e');
  int exp = std::stoi(s.substr(e + 1));
  if (exp < -4 || exp >= 6) {  // strconv 'g' with shortest precision uses eprec 6
    // Go: mantissa as is, exponent with sign and at least two digits.
    std::string mant = s.substr(0, e);
    return fmt::format("{}e{}{:02d}", mant, exp < 0 ? '-' : '+', std::abs(exp));
  }
  auto fix = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, fix.ptr);
}

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return GoG4(v);
  if (std::fabs(v) >= 1) {
    const char* prefix = "";
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return GoG4(v) + prefix;
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return GoG4(v) + prefix;
}

std::string Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return GoG4(v);
  const char* prefix = "";
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return GoG4(v) + prefix;
}

std::string HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return GoG4(v);
  if (v == 0) return GoG4(v) + "s";
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    int64_t duration = static_cast<int64_t>(v);
    int64_t seconds = duration % 60;
    int64_t minutes = (duration / 60) % 60;
    int64_t hours = (duration / 3600) % 24;
    int64_t days = duration / 86400;
    if (days != 0) return fmt::format("{}{}d {}h {}m {}s", sign, days, hours, minutes, seconds);
    if (hours != 0) return fmt::format("{}{}h {}m {}s", sign, hours, minutes, seconds);
    if (minutes != 0) return fmt::format("{}{}m {}s", sign, minutes, seconds);
    return sign + GoG4(v) + "s";
  }
  const char* prefix = "";
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return GoG4(v) + prefix + "s";
}

std::string HumanizePercentage(double ratio) { return GoG4(ratio * 100) + "%"; }

}  // namespace abhra::rules
