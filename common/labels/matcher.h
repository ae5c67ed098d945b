// Label matchers: =, !=, =~, !~. Regexes have RE2 semantics and are fully anchored, as in
// Prometheus ("foo" =~ "fo" is false; "fo.*" is true). Copyable and thread-safe to share.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"
#include "common/labels/labels.h"

namespace re2 {
class RE2;
}

namespace abhra {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

std::string_view MatchTypeString(MatchType type);  // "=", "!=", "=~", "!~"

class Matcher {
 public:
  // InvalidArgument for a regex RE2 cannot compile, with RE2's reason.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);
  // REQUIRES: type is kEqual or kNotEqual (cannot fail).
  static Matcher Equal(std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  bool Matches(std::string_view v) const;
  // True when the matcher accepts the empty string, i.e. also series without the label.
  bool MatchesEmpty() const { return matches_empty_; }
  // For =~ with a pure alternation of literals ("a|b|c"): those literals; else empty.
  const std::vector<std::string>& SetMatches() const { return set_matches_; }

  std::string ToString() const;  // name="value" with the operator

 private:
  Matcher() = default;
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;
  std::vector<std::string> set_matches_;
  std::string literal_prefix_;  // for regexes "prefix.*"-shaped: fast path when non-empty
  bool prefix_only_ = false;    // regex is exactly literal_prefix_ + ".*"
  bool matches_empty_ = false;
};

// True when every matcher accepts the labels (an absent label reads as "").
bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels);

}  // namespace abhra
