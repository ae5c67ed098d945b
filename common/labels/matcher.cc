#include "common/labels/matcher.h"

#include <re2/re2.h>

namespace abhra {
namespace {

bool IsRegexMeta(char c) {
  switch (c) {
    case '.': case '+': case '*': case '?': case '(': case ')': case '|': case '[': case ']':
    case '{': case '}': case '^': case '$': case '\\':
      return true;
    default:
      return false;
  }
}

// "a|b|c" with no metacharacter in any alternative → {"a","b","c"}.
std::vector<std::string> LiteralAlternatives(std::string_view re) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : re) {
    if (c == '|') {
      out.push_back(cur);
      cur.clear();
    } else if (IsRegexMeta(c)) {
      return {};
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::string_view MatchTypeString(MatchType type) {
  switch (type) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegexMatch: return "=~";
    case MatchType::kRegexNoMatch: return "!~";
  }
  return "=";
}

Result<Matcher> Matcher::Make(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegexMatch || type == MatchType::kRegexNoMatch) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_dot_nl(true);  // Prometheus compiles with (?s)
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument(
          fmt::format("invalid regular expression \"{}\" for label \"{}\": {}", m.value_, m.name_,
                      re->error()));
    }
    m.re_ = std::move(re);
    m.set_matches_ = LiteralAlternatives(m.value_);
    std::string_view v = m.value_;
    if (v.size() >= 2 && v.substr(v.size() - 2) == ".*") {
      std::string_view prefix = v.substr(0, v.size() - 2);
      bool literal = true;
      for (char c : prefix) literal = literal && !IsRegexMeta(c);
      if (literal) {
        m.literal_prefix_ = std::string(prefix);
        m.prefix_only_ = true;
      }
    }
  }
  m.matches_empty_ = m.Matches("");
  return m;
}

Matcher Matcher::Equal(std::string name, std::string value) {
  Matcher m;
  m.type_ = MatchType::kEqual;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  m.matches_empty_ = m.value_.empty();
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegexMatch:
    case MatchType::kRegexNoMatch: {
      bool match;
      if (prefix_only_) {
        match = v.substr(0, literal_prefix_.size()) == literal_prefix_;
      } else if (!set_matches_.empty()) {
        match = false;
        for (const std::string& s : set_matches_) {
          if (v == s) {
            match = true;
            break;
          }
        }
      } else {
        match = RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re_);
      }
      return type_ == MatchType::kRegexMatch ? match : !match;
    }
  }
  return false;
}

std::string Matcher::ToString() const {
  return fmt::format("{}{}\"{}\"", name_, MatchTypeString(type_), EscapeLabelValue(value_));
}

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels) {
  for (const Matcher& m : matchers) {
    if (!m.Matches(labels.Get(m.name()))) return false;
  }
  return true;
}

}  // namespace abhra
