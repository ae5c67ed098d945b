// The PromQL lexer: splits a query into tokens with byte positions. Comments (# ...) and
// white space are skipped. Keywords are recognised case-insensitively as Prometheus does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::promql {

enum class Tok {
  kEOF, kError,
  kIdentifier, kMetricIdentifier,  // metric identifiers contain ':'
  kNumber, kDuration, kString,
  kLParen, kRParen, kLBrace, kRBrace, kLBracket, kRBracket, kComma, kColon, kAt,
  kAssign,  // =
  kEqlRegex, kNeqRegex,  // =~ !~
  kEql, kNeq, kLss, kLte, kGtr, kGte, kAdd, kSub, kMul, kDiv, kMod, kPow,
};

struct Token {
  Tok type = Tok::kEOF;
  std::string_view text;  // raw text (for strings: including quotes)
  size_t pos = 0;         // byte offset in the query
};

// Lexes all of `input`. On a lexing error the last token is kError with `text` holding the
// message (owned by `errors`).
class Lexer {
 public:
  explicit Lexer(std::string_view input);
  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  void Run();
  void Emit(Tok t, size_t start, size_t end);
  void Error(size_t pos, std::string msg);

  std::string_view in_;
  std::vector<Token> tokens_;
  std::vector<std::string> errors_;
};

// Decodes a PromQL string literal (with its quotes) as Go's strconv.Unquote does.
Result<std::string> UnquoteString(std::string_view quoted);

// Parses a Prometheus duration such as "1h30m", "5m", "100ms" into milliseconds.
Result<int64_t> ParseDuration(std::string_view s);

// Formats milliseconds as Prometheus does ("1h30m", "5m", "100ms", "0s").
std::string FormatDuration(int64_t ms);

}  // namespace abhra::promql
