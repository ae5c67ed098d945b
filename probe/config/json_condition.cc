#include "probe/config/json_condition.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace abhra::probe {
namespace {

Status BadPath(std::string_view text, size_t pos, std::string_view why) {
  return Status::InvalidArgument(
      fmt::format("invalid JSON path \"{}\" at offset {}: {}", text, pos, why));
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Reads a quoted string starting at text[*pos] (the quote). Supports \" \' \\ escapes.
bool ReadQuoted(std::string_view text, size_t* pos, std::string* out) {
  char quote = text[*pos];
  size_t i = *pos + 1;
  out->clear();
  while (i < text.size() && text[i] != quote) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      char e = text[i + 1];
      switch (e) {
        case 'n': out->push_back('\n'); break;
        case 't': out->push_back('\t'); break;
        default: out->push_back(e);
      }
      i += 2;
      continue;
    }
    out->push_back(text[i++]);
  }
  if (i >= text.size()) return false;
  *pos = i + 1;
  return true;
}

}  // namespace

Result<JsonPath> JsonPath::Parse(std::string_view text) {
  JsonPath path;
  path.text_ = std::string(text);
  if (text.empty() || text[0] != '$') return BadPath(text, 0, "must start with \"$\"");
  size_t i = 1;
  while (i < text.size()) {
    if (text[i] == '.') {
      size_t start = ++i;
      while (i < text.size() && IsNameChar(text[i])) ++i;
      if (i == start) return BadPath(text, start, "expected a field name after \".\"");
      path.steps_.emplace_back(std::string(text.substr(start, i - start)));
    } else if (text[i] == '[') {
      ++i;
      if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        std::string key;
        if (!ReadQuoted(text, &i, &key)) return BadPath(text, i, "unterminated quoted key");
        path.steps_.emplace_back(std::move(key));
      } else {
        size_t start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        if (i == start) return BadPath(text, start, "expected an array index or a quoted key");
        size_t index = 0;
        std::from_chars(text.data() + start, text.data() + i, index);
        path.steps_.emplace_back(index);
      }
      if (i >= text.size() || text[i] != ']') return BadPath(text, i, "expected \"]\"");
      ++i;
    } else {
      return BadPath(text, i, fmt::format("unexpected character '{}'", text[i]));
    }
  }
  return path;
}

const nlohmann::json* JsonPath::Lookup(const nlohmann::json& root) const {
  const nlohmann::json* cur = &root;
  for (const Step& step : steps_) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!cur->is_object()) return nullptr;
      auto it = cur->find(*key);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else {
      size_t index = std::get<size_t>(step);
      if (!cur->is_array() || index >= cur->size()) return nullptr;
      cur = &(*cur)[index];
    }
  }
  return cur;
}

std::string JsonScalarToString(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

Result<JsonCondition> JsonCondition::Parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format(
        "invalid JSON condition \"{}\": {} (expected e.g. $.status == \"UP\")", text, why));
  };
  // The path ends at the first space or operator character outside brackets/quotes.
  size_t i = 0;
  int depth = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if ((c == '\'' || c == '"') && depth > 0) {
      std::string skip;
      if (!ReadQuoted(text, &i, &skip)) return bad("unterminated quote in path");
      continue;
    }
    if (depth == 0 && (c == ' ' || c == '=' || c == '!' || c == '<' || c == '>')) break;
    ++i;
  }
  JsonCondition cond;
  cond.text_ = std::string(text);
  auto path = JsonPath::Parse(text.substr(0, i));
  if (!path.ok()) return Status::InvalidArgument(fmt::format("invalid JSON condition \"{}\": {}", text, path.status().message()));
  cond.path_ = std::move(path).value();
  while (i < text.size() && text[i] == ' ') ++i;
  std::string_view rest = text.substr(i);
  struct OpText {
    std::string_view text;
    Op op;
  };
  static constexpr OpText kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe}, {"<=", Op::kLe},
                                    {">=", Op::kGe}, {"<", Op::kLt},  {">", Op::kGt}};
  bool found = false;
  for (const OpText& o : kOps) {
    if (rest.substr(0, o.text.size()) == o.text) {
      cond.op_ = o.op;
      rest.remove_prefix(o.text.size());
      found = true;
      break;
    }
  }
  if (!found) return bad("expected one of == != < <= > >= after the path");
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return bad("missing value after the operator");
  if (rest.front() == '"' || rest.front() == '\'') {
    std::string s;
    size_t pos = 0;
    if (!ReadQuoted(rest, &pos, &s) || pos != rest.size()) return bad("malformed quoted string");
    cond.literal_ = std::move(s);
  } else if (rest == "true" || rest == "false") {
    cond.literal_ = rest == "true";
  } else if (rest == "null") {
    cond.literal_ = nullptr;
  } else {
    std::string num(rest);
    char* end = nullptr;
    double d = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) {
      return bad(fmt::format("value {} is not a quoted string, number, true, false or null", rest));
    }
    cond.literal_ = d;
  }
  bool ordered = cond.op_ != Op::kEq && cond.op_ != Op::kNe;
  if (ordered && !std::holds_alternative<double>(cond.literal_)) {
    return bad("< <= > >= need a number on the right");
  }
  return cond;
}

bool JsonCondition::Evaluate(const nlohmann::json& root) const {
  const nlohmann::json* v = path_.Lookup(root);
  if (v == nullptr) return false;
  bool equal = false;
  if (const auto* s = std::get_if<std::string>(&literal_)) {
    equal = v->is_string() && v->get_ref<const std::string&>() == *s;
  } else if (const auto* b = std::get_if<bool>(&literal_)) {
    equal = v->is_boolean() && v->get<bool>() == *b;
  } else if (std::holds_alternative<std::nullptr_t>(literal_)) {
    equal = v->is_null();
  } else if (const auto* d = std::get_if<double>(&literal_)) {
    if (!v->is_number()) return op_ == Op::kNe;
    double x = v->get<double>();
    switch (op_) {
      case Op::kEq: return x == *d;
      case Op::kNe: return x != *d;
      case Op::kLt: return x < *d;
      case Op::kLe: return x <= *d;
      case Op::kGt: return x > *d;
      case Op::kGe: return x >= *d;
    }
  }
  return op_ == Op::kEq ? equal : !equal;
}

}  // namespace abhra::probe
