#include "common/textformat/text_parser.h"

#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/textformat/number.h"
#include "common/textformat/utf8.h"

namespace abhra::textformat {
namespace {

bool IsMetricNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsMetricNameChar(char c) { return IsMetricNameStart(c) || (c >= '0' && c <= '9'); }
bool IsLabelNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || (c >= '0' && c <= '9'); }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// How a character is shown in messages: 'x', or a name for the invisible ones.
std::string Describe(const char* p, const char* end) {
  if (p >= end) return "end of line";
  switch (*p) {
    case '\n': return "end of line";
    case ' ': return "' '";
    case '\t': return "tab";
    case '\r': return "carriage return";
  }
  unsigned char c = static_cast<unsigned char>(*p);
  if (c < 0x20 || c == 0x7f) return fmt::format("byte 0x{:02x}", c);
  return fmt::format("'{}'", *p);
}

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string shown = EscapeLabelValue(s.substr(0, kMax));
  return "\"" + shown + (s.size() > kMax ? "...\"" : "\"");
}

std::optional<MetricType> TypeFromName(std::string_view s, Format format) {
  if (s == "counter") return MetricType::kCounter;
  if (s == "gauge") return MetricType::kGauge;
  if (s == "histogram") return MetricType::kHistogram;
  if (s == "summary") return MetricType::kSummary;
  if (format == Format::kPrometheus) {
    if (s == "untyped") return MetricType::kUnknown;
    return std::nullopt;
  }
  if (s == "unknown") return MetricType::kUnknown;
  if (s == "gaugehistogram") return MetricType::kGaugeHistogram;
  if (s == "info") return MetricType::kInfo;
  if (s == "stateset") return MetricType::kStateset;
  return std::nullopt;
}

class Parser {
 public:
  Parser(std::string_view body, Format format, std::vector<ParsedSample>* out,
         std::vector<MetricFamilyInfo>* metadata)
      : body_(body), format_(format), out_(out), metadata_(metadata) {}

  Status Run() {
    const char* p = body_.data();
    const char* end = p + body_.size();
    bool saw_eof = false;
    while (p < end) {
      line_start_ = p;
      const char* nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
      line_end_ = nl ? nl : end;
      if (saw_eof) return Error(p, "unexpected content after # EOF");
      if (om() && !nl) {
        std::string_view rest(p, static_cast<size_t>(end - p));
        if (rest != "# EOF") return Error(line_end_, "line does not end with a newline");
      }
      ABHRA_RETURN_IF_ERROR(Line(&saw_eof));
      ++line_no_;
      p = nl ? nl + 1 : end;
    }
    if (om() && !saw_eof) {
      line_start_ = line_end_ = end;
      return Error(end, "missing \"# EOF\" at the end of an OpenMetrics body");
    }
    return Status::Ok();
  }

 private:
  bool om() const { return format_ == Format::kOpenMetrics; }

  Status Error(const char* at, std::string_view what) const {
    return Status::InvalidArgument(
        fmt::format("line {}, column {}: {}", line_no_, at - line_start_ + 1, what));
  }

  const char* SkipBlanks(const char* p) const {
    while (p < line_end_ && IsBlank(*p)) ++p;
    return p;
  }

  // Token separator: OpenMetrics wants exactly one space, text 0.0.4 any run of blanks.
  Status Separator(const char** p, std::string_view before) {
    if (*p >= line_end_ || !IsBlank(**p)) {
      return Error(*p, fmt::format("expected a space before {}, got {}", before,
                                   Describe(*p, line_end_)));
    }
    if (om()) {
      if (**p != ' ') return Error(*p, fmt::format("expected a space before {}, got tab", before));
      ++*p;
      if (*p < line_end_ && IsBlank(**p)) {
        return Error(*p, fmt::format("expected exactly one space before {}", before));
      }
    } else {
      *p = SkipBlanks(*p);
    }
    return Status::Ok();
  }

  Status Line(bool* saw_eof) {
    const char* p = line_start_;
    if (om()) {
      if (p == line_end_) return Error(p, "empty line (not allowed in OpenMetrics)");
      if (IsBlank(*p)) return Error(p, "leading whitespace (not allowed in OpenMetrics)");
    } else {
      p = SkipBlanks(p);
      if (p == line_end_) return Status::Ok();
    }
    if (*p == '#') return Comment(p, saw_eof);
    return Sample(p);
  }

  // ---- comments ----

  Status Comment(const char* p, bool* saw_eof) {
    std::string_view line(p, static_cast<size_t>(line_end_ - p));
    if (om()) {
      if (line == "# EOF") {
        *saw_eof = true;
        return Status::Ok();
      }
      for (std::string_view kw : {"HELP", "TYPE", "UNIT"}) {
        if (line.size() >= 2 + kw.size() && line.substr(0, 2) == "# " &&
            line.substr(2, kw.size()) == kw &&
            (line.size() == 2 + kw.size() || line[2 + kw.size()] == ' ')) {
          return Descriptor(kw, p + 2 + kw.size());
        }
      }
      return Error(p, "unknown comment: OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF");
    }
    // Text 0.0.4: "#" blanks keyword; anything that is not HELP or TYPE is a free comment.
    const char* q = SkipBlanks(p + 1);
    const char* kw_end = q;
    while (kw_end < line_end_ && !IsBlank(*kw_end)) ++kw_end;
    std::string_view kw(q, static_cast<size_t>(kw_end - q));
    if (kw == "HELP" || kw == "TYPE") return Descriptor(kw, kw_end);
    return Status::Ok();
  }

  // `p` is just after the keyword.
  Status Descriptor(std::string_view kw, const char* p) {
    ABHRA_RETURN_IF_ERROR(Separator(&p, "the metric name"));
    const char* name_at = p;
    std::string_view name = MetricName(&p);
    if (name.empty()) {
      return Error(p, fmt::format("expected a metric name after # {}, got {}", kw,
                                  Describe(p, line_end_)));
    }
    std::string_view rest;
    if (p < line_end_) {
      if (!IsBlank(*p)) {
        return Error(p, fmt::format("invalid character {} in metric name", Describe(p, line_end_)));
      }
      ABHRA_RETURN_IF_ERROR(Separator(&p, kw == "HELP" ? "the help text" : "the value"));
      rest = std::string_view(p, static_cast<size_t>(line_end_ - p));
    }
    MetricFamilyInfo& info = Family(name);
    FamilyState& state = families_[std::string(name)];
    if (kw == "HELP") {
      if (state.help_seen) return Error(name_at, fmt::format("second HELP line for {}", Quote(name)));
      state.help_seen = true;
      std::string help;
      ABHRA_RETURN_IF_ERROR(Unescape(p, line_end_, /*quoted=*/false, &help, nullptr));
      if (!IsValidUtf8(help)) return Error(p, "help text is not valid UTF-8");
      info.help = std::move(help);
      return Status::Ok();
    }
    if (kw == "TYPE") {
      if (state.type_seen) return Error(name_at, fmt::format("second TYPE line for {}", Quote(name)));
      state.type_seen = true;
      if (!om()) {
        while (!rest.empty() && IsBlank(rest.back())) rest.remove_suffix(1);
      }
      std::optional<MetricType> t = TypeFromName(rest, format_);
      if (!t) {
        return Error(p, fmt::format("unknown metric type {}; want {}", Quote(rest),
                                    om() ? "counter, gauge, histogram, gaugehistogram, summary, "
                                           "info, stateset or unknown"
                                         : "counter, gauge, histogram, summary or untyped"));
      }
      if (SamplesSeenFor(name, *t)) {
        return Error(name_at, fmt::format("TYPE line for {} after its samples", Quote(name)));
      }
      info.type = *t;
      return Status::Ok();
    }
    // UNIT (OpenMetrics only).
    if (state.unit_seen) return Error(name_at, fmt::format("second UNIT line for {}", Quote(name)));
    state.unit_seen = true;
    for (const char* c = p; c < line_end_; ++c) {
      if (!IsMetricNameChar(*c)) {
        return Error(c, fmt::format("invalid character {} in unit", Describe(c, line_end_)));
      }
    }
    if (!rest.empty() && (name.size() <= rest.size() + 1 ||
                          name.substr(name.size() - rest.size()) != rest ||
                          name[name.size() - rest.size() - 1] != '_')) {
      return Error(p, fmt::format("unit {} is not a suffix of metric name {}", Quote(rest),
                                  Quote(name)));
    }
    info.unit = std::string(rest);
    return Status::Ok();
  }

  MetricFamilyInfo& Family(std::string_view name) {
    auto it = family_index_.find(std::string(name));
    if (it != family_index_.end()) return (metadata_ ? *metadata_ : scratch_)[it->second];
    std::vector<MetricFamilyInfo>& v = metadata_ ? *metadata_ : scratch_;
    family_index_.emplace(std::string(name), v.size());
    v.push_back(MetricFamilyInfo{std::string(name), MetricType::kUnknown, "", ""});
    return v.back();
  }

  bool SamplesSeenFor(std::string_view name, MetricType t) const {
    auto seen = [&](std::string_view suffix) {
      return sample_names_.count(std::string(name) + std::string(suffix)) > 0;
    };
    if (seen("")) return true;
    switch (t) {
      case MetricType::kCounter: return om() && (seen("_total") || seen("_created"));
      case MetricType::kHistogram:
      case MetricType::kGaugeHistogram:
        return seen("_bucket") || seen("_count") || seen("_sum") || seen("_gcount") ||
               seen("_gsum");
      case MetricType::kSummary: return seen("_count") || seen("_sum");
      case MetricType::kInfo: return om() && seen("_info");
      default: return false;
    }
  }

  // ---- samples ----

  std::string_view MetricName(const char** p) const {
    const char* start = *p;
    if (*p < line_end_ && IsMetricNameStart(**p)) {
      ++*p;
      while (*p < line_end_ && IsMetricNameChar(**p)) ++*p;
    }
    return std::string_view(start, static_cast<size_t>(*p - start));
  }

  Status Sample(const char* p) {
    const char* name_at = p;
    std::string_view name = MetricName(&p);
    if (name.empty()) {
      return Error(p, fmt::format("expected a metric name, got {}", Describe(p, line_end_)));
    }
    ParsedSample sample;
    std::vector<Label> labels;
    labels.push_back(Label{std::string(kMetricName), std::string(name)});
    if (!om()) p = SkipBlanks(p);
    if (p < line_end_ && *p == '{') {
      ABHRA_RETURN_IF_ERROR(LabelSet(&p, &labels));
      if (!om()) p = SkipBlanks(p);
      else ABHRA_RETURN_IF_ERROR(Separator(&p, "the value"));
    } else if (p < line_end_ && !IsBlank(*p) && om()) {
      return Error(p, fmt::format("invalid character {} in metric name", Describe(p, line_end_)));
    } else if (om()) {
      ABHRA_RETURN_IF_ERROR(Separator(&p, "the value"));
    } else if (p == name_at + name.size() && p < line_end_) {
      return Error(p, fmt::format("invalid character {} in metric name", Describe(p, line_end_)));
    }
    // Value.
    const char* value_at = p;
    const char* value_end = TokenEnd(p);
    if (value_end == value_at) {
      return Error(p, fmt::format("expected a value after {}, got {}", Quote(name),
                                  Describe(p, line_end_)));
    }
    std::string_view value_tok(value_at, static_cast<size_t>(value_end - value_at));
    std::optional<double> v = ParseValue(value_tok);
    if (!v) return Error(value_at, fmt::format("invalid value {}", Quote(value_tok)));
    sample.value = *v;
    p = value_end;
    // Optional timestamp, optional exemplar (OpenMetrics), end of line.
    if (om()) {
      if (p < line_end_) {
        ABHRA_RETURN_IF_ERROR(Separator(&p, "the timestamp or exemplar"));
        if (p >= line_end_) return Error(p, "unexpected trailing space");
        if (*p != '#') {
          ABHRA_RETURN_IF_ERROR(Timestamp(&p, &sample.timestamp_ms));
          if (p < line_end_) {
            ABHRA_RETURN_IF_ERROR(Separator(&p, "the exemplar"));
            if (p >= line_end_) return Error(p, "unexpected trailing space");
          }
        }
        if (p < line_end_) ABHRA_RETURN_IF_ERROR(ExemplarClause(&p, &sample));
      }
    } else {
      p = SkipBlanks(p);
      if (p < line_end_) {
        ABHRA_RETURN_IF_ERROR(Timestamp(&p, &sample.timestamp_ms));
        p = SkipBlanks(p);
      }
    }
    if (p < line_end_) {
      return Error(p, fmt::format("unexpected {} after the sample", Describe(p, line_end_)));
    }
    if (name != last_sample_name_) {  // families are usually contiguous: skip the set
      last_sample_name_.assign(name);
      sample_names_.insert(last_sample_name_);
    }
    sample.labels = Labels(std::move(labels));
    out_->push_back(std::move(sample));
    return Status::Ok();
  }

  const char* TokenEnd(const char* p) const {
    while (p < line_end_ && !IsBlank(*p) && *p != '\r') ++p;
    return p;
  }

  Status Timestamp(const char** p, std::optional<int64_t>* ts) {
    const char* at = *p;
    const char* e = TokenEnd(at);
    if (e == at) {
      return Error(at, fmt::format("unexpected {} after the sample", Describe(at, line_end_)));
    }
    std::string_view tok(at, static_cast<size_t>(e - at));
    std::optional<int64_t> v = om() ? ParseSecondsAsMillis(tok) : ParseMillis(tok);
    if (!v) {
      return Error(at, fmt::format("invalid timestamp {}: want {}", Quote(tok),
                                   om() ? "seconds as a finite float"
                                        : "integer milliseconds"));
    }
    *ts = *v;
    *p = e;
    return Status::Ok();
  }

  // `p` at '#': "# {labels} value [timestamp]".
  Status ExemplarClause(const char** p, ParsedSample* sample) {
    if (**p != '#') {
      return Error(*p, fmt::format("expected '#' to start an exemplar, got {}",
                                   Describe(*p, line_end_)));
    }
    ++*p;
    ABHRA_RETURN_IF_ERROR(Separator(p, "the exemplar labels"));
    if (*p >= line_end_ || **p != '{') {
      return Error(*p, fmt::format("expected '{{' to start the exemplar labels, got {}",
                                   Describe(*p, line_end_)));
    }
    const char* labels_at = *p;
    std::vector<Label> labels;
    ABHRA_RETURN_IF_ERROR(LabelSet(p, &labels));
    size_t runes = 0;
    for (const Label& l : labels) runes += Utf8Length(l.name) + Utf8Length(l.value);
    if (runes > 128) {
      return Error(labels_at, fmt::format("exemplar labels have {} characters, limit 128", runes));
    }
    ABHRA_RETURN_IF_ERROR(Separator(p, "the exemplar value"));
    const char* v_at = *p;
    const char* v_end = TokenEnd(v_at);
    std::string_view tok(v_at, static_cast<size_t>(v_end - v_at));
    std::optional<double> v = ParseValue(tok);
    if (!v) return Error(v_at, fmt::format("invalid exemplar value {}", Quote(tok)));
    *p = v_end;
    ParsedExemplar ex;
    ex.value = *v;
    if (*p < line_end_) {
      ABHRA_RETURN_IF_ERROR(Separator(p, "the exemplar timestamp"));
      ABHRA_RETURN_IF_ERROR(Timestamp(p, &ex.timestamp_ms));
    }
    ex.labels = Labels(std::move(labels));
    sample->exemplar = std::move(ex);
    return Status::Ok();
  }

  // `p` at '{'. Appends the pairs to *labels, rejecting duplicates (also against what
  // *labels already holds, i.e. __name__).
  Status LabelSet(const char** p, std::vector<Label>* labels) {
    const size_t first = labels->size();
    ++*p;  // '{'
    while (true) {
      if (!om()) *p = SkipBlanks(*p);
      if (*p < line_end_ && **p == '}') {
        ++*p;
        return Status::Ok();
      }
      const char* name_at = *p;
      if (*p >= line_end_ || !IsLabelNameStart(**p)) {
        return Error(*p, fmt::format("expected a label name or '}}', got {}",
                                     Describe(*p, line_end_)));
      }
      while (*p < line_end_ && IsLabelNameChar(**p)) ++*p;
      std::string_view name(name_at, static_cast<size_t>(*p - name_at));
      if (name == kMetricName) {
        return Error(name_at, fmt::format("label name {} is reserved", Quote(name)));
      }
      for (size_t i = first; i < labels->size(); ++i) {
        if ((*labels)[i].name == name) {
          return Error(name_at, fmt::format("duplicate label name {}", Quote(name)));
        }
      }
      if (!om()) *p = SkipBlanks(*p);
      if (*p >= line_end_ || **p != '=') {
        return Error(*p, fmt::format("expected '=' after label name {}, got {}", Quote(name),
                                     Describe(*p, line_end_)));
      }
      ++*p;
      if (!om()) *p = SkipBlanks(*p);
      if (*p >= line_end_ || **p != '"') {
        return Error(*p, fmt::format("expected '\"' to start the value of label {}, got {}",
                                     Quote(name), Describe(*p, line_end_)));
      }
      const char* value_at = *p;
      ++*p;
      std::string value;
      const char* close = nullptr;
      ABHRA_RETURN_IF_ERROR(Unescape(*p, line_end_, /*quoted=*/true, &value, &close));
      if (!close) {
        return Error(value_at, fmt::format("unterminated value of label {}", Quote(name)));
      }
      if (!IsValidUtf8(value)) {
        return Error(value_at, fmt::format("value of label {} is not valid UTF-8", Quote(name)));
      }
      labels->push_back(Label{std::string(name), std::move(value)});
      *p = close + 1;
      if (!om()) *p = SkipBlanks(*p);
      if (*p < line_end_ && **p == ',') {
        ++*p;
        continue;
      }
      if (*p < line_end_ && **p == '}') {
        ++*p;
        return Status::Ok();
      }
      return Error(*p, fmt::format("expected ',' or '}}' after the value of label {}, got {}",
                                   Quote(name), Describe(*p, line_end_)));
    }
  }

  // Unescapes [p, end). quoted: a label value, which stops at an unescaped '"' (*close set to
  // it) and knows \\ \" \n. Otherwise help text up to `end`: \\ and \n, plus \" in OpenMetrics.
  Status Unescape(const char* p, const char* end, bool quoted, std::string* dst,
                  const char** close) {
    while (p < end) {
      char c = *p;
      if (quoted && c == '"') {
        *close = p;
        return Status::Ok();
      }
      if (c != '\\') {
        dst->push_back(c);
        ++p;
        continue;
      }
      if (p + 1 >= end) return Error(p, "unfinished escape sequence at the end of the line");
      char e = p[1];
      if (e == '\\') {
        dst->push_back('\\');
      } else if (e == 'n') {
        dst->push_back('\n');
      } else if (e == '"' && (quoted || om())) {
        dst->push_back('"');
      } else {
        return Error(p, fmt::format("invalid escape sequence '\\{}'", e));
      }
      p += 2;
    }
    return Status::Ok();
  }

  struct FamilyState {
    bool help_seen = false, type_seen = false, unit_seen = false;
  };

  std::string_view body_;
  Format format_;
  std::vector<ParsedSample>* out_;
  std::vector<MetricFamilyInfo>* metadata_;
  std::vector<MetricFamilyInfo> scratch_;  // when the caller wants no metadata
  std::unordered_map<std::string, size_t> family_index_;
  std::unordered_map<std::string, FamilyState> families_;
  std::unordered_set<std::string> sample_names_;  // metric names that had samples
  std::string last_sample_name_;
  size_t line_no_ = 1;
  const char* line_start_ = nullptr;
  const char* line_end_ = nullptr;
};

}  // namespace

Status ParseTextFormat(std::string_view body, Format format, std::vector<ParsedSample>* out,
                       std::vector<MetricFamilyInfo>* metadata) {
  Parser parser(body, format, out, metadata);
  return parser.Run();
}

}  // namespace abhra::textformat
