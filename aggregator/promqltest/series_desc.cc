#include "aggregator/promqltest/series_desc.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "aggregator/promql/parser/parser.h"
#include "aggregator/storage/storage.h"

namespace abhra::promqltest {
namespace {

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string str(s);
  std::string lower;
  for (char c : str) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "+inf") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "-inf") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "nan") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  char* end = nullptr;
  if (lower.find('x') != std::string::npos) return false;  // "0x59" is 0 repeated, not hex
  *out = std::strtod(str.c_str(), &end);
  return end && *end == '\0';
}

}  // namespace

Status ExpandValueItem(std::string_view item, std::vector<SequenceValue>* out) {
  if (item == "_") {
    out->push_back(std::nullopt);
    return Status::Ok();
  }
  if (item.substr(0, 2) == "_x") {
    int n = std::atoi(std::string(item.substr(2)).c_str());
    for (int i = 0; i < n; ++i) out->push_back(std::nullopt);
    return Status::Ok();
  }
  if (item == "stale") {
    out->push_back(storage::StaleNaN());
    return Status::Ok();
  }
  double v;
  if (ParseNumber(item, &v)) {
    out->push_back(v);
    return Status::Ok();
  }
  // a[+-]bxN or axN. The sign of `a` is part of the first number.
  size_t x = item.rfind('x');
  if (x == std::string_view::npos) {
    return Status::InvalidArgument(fmt::format("invalid value item \"{}\"", item));
  }
  std::string_view head = item.substr(0, x);
  int n = std::atoi(std::string(item.substr(x + 1)).c_str());
  double start = 0, step = 0;
  size_t op = std::string_view::npos;
  for (size_t i = 1; i < head.size(); ++i) {
    if ((head[i] == '+' || head[i] == '-') && head[i - 1] != 'e' && head[i - 1] != 'E') {
      op = i;
      break;
    }
  }
  if (op == std::string_view::npos) {
    if (!ParseNumber(head, &start)) {
      return Status::InvalidArgument(fmt::format("invalid value item \"{}\"", item));
    }
  } else {
    if (!ParseNumber(head.substr(0, op), &start) || !ParseNumber(head.substr(op + 1), &step)) {
      return Status::InvalidArgument(fmt::format("invalid value item \"{}\"", item));
    }
    if (head[op] == '-') step = -step;
  }
  double cur = start;
  for (int i = 0; i <= n; ++i) {
    out->push_back(cur);
    cur += step;
  }
  return Status::Ok();
}

Result<SeriesDesc> ParseSeriesDesc(std::string_view line) {
  SeriesDesc d;
  // The metric part ends at the first blank outside braces and quotes.
  size_t i = 0;
  int depth = 0;
  char quote = 0;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      quote = c;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      --depth;
    } else if ((c == ' ' || c == '\t') && depth == 0) {
      break;
    }
  }
  std::string_view metric = line.substr(0, i);
  std::string_view rest = i < line.size() ? line.substr(i) : std::string_view();
  std::string_view trimmed = metric;
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
  if (trimmed == "{}") {
    metric = "{__name__=\"x\"}";  // parsed below, then the placeholder name is dropped
  }
  auto expr = promql::ParseExpr(metric);
  if (!expr.ok()) return expr.status();
  if (trimmed == "{}") (*expr)->matchers.clear();
  if ((*expr)->kind != promql::Expr::Kind::kVectorSelector) {
    return Status::InvalidArgument(fmt::format("invalid series description \"{}\"", metric));
  }
  std::vector<Label> labels;
  for (const Matcher& m : (*expr)->matchers) {
    if (m.type() != MatchType::kEqual) {
      return Status::InvalidArgument(fmt::format("invalid matcher in series \"{}\"", metric));
    }
    labels.push_back({m.name(), m.value()});
  }
  d.labels = Labels(std::move(labels));
  if (rest.find("{{") != std::string_view::npos) {
    d.native_histogram = true;
    return d;
  }
  size_t p = 0;
  while (p < rest.size()) {
    while (p < rest.size() && (rest[p] == ' ' || rest[p] == '\t')) ++p;
    size_t q = p;
    while (q < rest.size() && rest[q] != ' ' && rest[q] != '\t') ++q;
    if (q > p) ABHRA_RETURN_IF_ERROR(ExpandValueItem(rest.substr(p, q - p), &d.values));
    p = q;
  }
  return d;
}

}  // namespace abhra::promqltest
