#include "aggregator/promqltest/test_runner.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <re2/re2.h>
#include <sstream>

#include "aggregator/promql/engine/engine.h"
#include "aggregator/promql/parser/lexer.h"
#include "aggregator/promql/parser/parser.h"
#include "aggregator/promqltest/series_desc.h"
#include "aggregator/storage/mem_storage.h"

namespace abhra::promqltest {
namespace {

using promql::Expr;

constexpr double kEpsilon = 0.000001;

bool AlmostEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a == b) return true;
  constexpr double kMinNormal = 2.2250738585072014e-308;
  double abs_sum = std::fabs(a) + std::fabs(b);
  double diff = std::fabs(a - b);
  if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < kEpsilon * kMinNormal;
  return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < kEpsilon;
}

std::string Trim(std::string s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

struct Expect {
  std::string type;  // ordered|fail|warn|no_warn|info|no_info
  std::string message;
  std::shared_ptr<const RE2> regex;  // Go regexp syntax; unanchored search
  bool any = false;
  bool Matches(const std::string& s) const {
    if (any) return true;
    if (regex) return RE2::PartialMatch(s, *regex);
    return message == s;
  }
};

struct ExpectedSeries {
  Labels labels;
  std::vector<SequenceValue> vals;
  int pos = 0;
};

struct EvalCmd {
  int line = 0;
  std::string expr;
  bool is_range = false;
  int64_t start = 0, end = 0, step = 0, eval_time = 0;
  bool fail = false, warn = false, ordered = false, info = false;
  std::string expected_fail_message;
  std::shared_ptr<const RE2> expected_fail_regexp;
  std::vector<Expect> expects;
  bool expect_scalar = false;
  double scalar = 0;
  std::optional<std::string> expected_string;
  std::map<uint64_t, ExpectedSeries> expected;
  bool exclude_from_range = false;
  bool native_histogram = false;

  bool IsOrdered() const {
    if (ordered) return true;
    for (const auto& e : expects) if (e.type == "ordered") return true;
    return false;
  }
  const Expect* FailExpect() const {
    for (const auto& e : expects) if (e.type == "fail") return &e;
    return nullptr;
  }
  bool IsFail() const { return fail || FailExpect() != nullptr; }
  bool Has(std::string_view type) const {
    for (const auto& e : expects) if (e.type == type) return true;
    return false;
  }
};

struct LoadCmd {
  int64_t gap = 0;
  bool with_nhcb = false;
  std::vector<SeriesDesc> series;
};

struct Command {
  enum Kind { kClear, kLoad, kEval } kind;
  LoadCmd load;
  EvalCmd eval;
};

Result<int64_t> Duration(const std::string& s) {
  auto d = promql::ParseDuration(Trim(s));
  if (!d.ok()) return Status::InvalidArgument("invalid duration \"" + s + "\"");
  return *d;
}

bool ParseNumberLine(const std::string& s, double* out) {
  std::string t = Trim(s);
  if (t.empty()) return false;
  char* end = nullptr;
  long long iv = std::strtoll(t.c_str(), &end, 0);
  if (end && *end == '\0') {
    *out = static_cast<double>(iv);
    return true;
  }
  std::string lower;
  for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "nan") { *out = std::nan(""); return true; }
  if (lower == "inf" || lower == "+inf" || lower == "infinity" || lower == "+infinity") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "-inf" || lower == "-infinity") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  // Go's ParseFloat does not accept hex floats without p; strtod is close enough otherwise.
  *out = std::strtod(t.c_str(), &end);
  return end && *end == '\0' && !std::isalpha(static_cast<unsigned char>(t[0]));
}

// Go strconv.Unquote for the `expect string` line.
Result<std::string> GoUnquote(const std::string& s) { return promql::UnquoteString(s); }

Status ParseScript(const std::string& text, std::vector<Command>* cmds) {
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) {
      l = Trim(l);
      if (!l.empty() && l[0] == '#') l.clear();
      lines.push_back(l);
    }
  }
  static const RE2 kLoad(R"(^load(?:_(with_nhcb))?\s+(.+?)$)");
  static const RE2 kInstant(
      R"(^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$)");
  static const RE2 kRange(
      R"(^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$)");
  static const RE2 kExpect(
      R"(^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$)");
  static const RE2 kExpectRange(
      R"(^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$)");
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty()) continue;
    std::string word = l.substr(0, l.find_first_of(" \t"));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto err = [&](std::string msg) {
      return Status::InvalidArgument(fmt::format("line {}: {}", i + 1, msg));
    };
    if (word == "clear") {
      cmds->push_back(Command{Command::kClear, {}, {}});
      continue;
    }
    if (word.starts_with("load")) {
      std::string nhcb, step;
      if (!RE2::FullMatch(l, kLoad, &nhcb, &step)) return err("invalid load command");
      ABHRA_ASSIGN_OR_RETURN(int64_t gap, Duration(step));
      Command c{Command::kLoad, {}, {}};
      c.load.gap = gap;
      c.load.with_nhcb = !nhcb.empty();
      while (i + 1 < lines.size() && !lines[i + 1].empty()) {
        ++i;
        // Start-timestamp lines (`metric@st ...`, `@st ...`) are not supported: ignored.
        std::string first = lines[i].substr(0, lines[i].find_first_of(" \t"));
        if (first.ends_with("@st")) continue;
        auto d = ParseSeriesDesc(lines[i]);
        if (!d.ok()) return err(d.status().message());
        c.load.series.push_back(std::move(*d));
      }
      cmds->push_back(std::move(c));
      continue;
    }
    if (word.starts_with("eval")) {
      EvalCmd ev;
      ev.line = static_cast<int>(i + 1);
      std::string mod, at, from, to, step;
      if (RE2::FullMatch(l, kInstant, &mod, &at, &ev.expr)) {
        ABHRA_ASSIGN_OR_RETURN(ev.start, Duration(at.empty() ? "0s" : at));
        ev.eval_time = ev.start;
      } else if (RE2::FullMatch(l, kRange, &mod, &from, &to, &step, &ev.expr)) {
        ev.is_range = true;
        ABHRA_ASSIGN_OR_RETURN(ev.start, Duration(from));
        ABHRA_ASSIGN_OR_RETURN(ev.end, Duration(to));
        ABHRA_ASSIGN_OR_RETURN(ev.step, Duration(step));
      } else {
        return err("invalid evaluation command");
      }
      ev.fail = mod == "fail";
      ev.warn = mod == "warn";
      ev.ordered = mod == "ordered";
      ev.info = mod == "info";
      bool expect_range_vector = false;
      for (int j = 1; i + 1 < lines.size(); ++j) {
        ++i;
        const std::string& d = lines[i];
        if (d.empty()) {
          --i;
          break;
        }
        if (ev.fail && d.starts_with("expected_fail_message")) {
          ev.expected_fail_message = Trim(d.substr(21));
          break;
        }
        if (ev.fail && d.starts_with("expected_fail_regexp")) {
          ev.expected_fail_regexp = std::make_shared<const RE2>(Trim(d.substr(20)));
          break;
        }
        if (d.starts_with("expect range vector")) {
          std::string from, to, step;
          if (!RE2::FullMatch(d, kExpectRange, &from, &to, &step)) {
            return err("invalid range vector definition");
          }
          ABHRA_ASSIGN_OR_RETURN(ev.start, Duration(from));
          ABHRA_ASSIGN_OR_RETURN(ev.end, Duration(to));
          ABHRA_ASSIGN_OR_RETURN(ev.step, Duration(step));
          ev.eval_time = ev.end;
          ev.exclude_from_range = true;
          expect_range_vector = true;
          continue;
        }
        if (d.starts_with("expect string")) {
          auto s = GoUnquote(Trim(d.substr(13)));
          if (!s.ok()) return err("invalid expected string");
          ev.expected_string = *s;
          ev.exclude_from_range = true;
          continue;
        }
        if (d.substr(0, d.find(' ')) == "expect") {
          std::string type, kind, text;
          if (!RE2::FullMatch(d, kExpect, &type, &kind, &text)) {
            return err("invalid expect statement");
          }
          Expect e;
          e.type = type;
          if (!kind.empty()) {
            if (kind == "msg") {
              e.message = Trim(text);
            } else {
              auto re = std::make_shared<const RE2>(Trim(text));
              if (!re->ok()) return err("invalid regex in expect statement: " + re->error());
              e.regex = std::move(re);
            }
          } else {
            e.any = true;
          }
          ev.expects.push_back(std::move(e));
          --j;
          continue;
        }
        if (d.find("{{") != std::string::npos) ev.native_histogram = true;
        double num;
        if (ParseNumberLine(d, &num)) {
          ev.expect_scalar = true;
          ev.scalar = num;
          break;
        }
        auto sd = ParseSeriesDesc(d);
        if (!sd.ok()) return err(sd.status().message());
        if (sd->native_histogram) {
          ev.native_histogram = true;
          continue;
        }
        if (sd->values.size() > 1 && !ev.is_range && !expect_range_vector) {
          return err("expecting multiple values in instant evaluation not allowed");
        }
        ev.expect_scalar = false;
        uint64_t h = sd->labels.Hash();
        ev.expected[h] = ExpectedSeries{sd->labels, sd->values, j};
      }
      Command c{Command::kEval, {}, std::move(ev)};
      cmds->push_back(std::move(c));
      continue;
    }
    return err("invalid command \"" + l + "\"");
  }
  return Status::Ok();
}

std::string FmtValue(double v) { return fmt::format("{}", v); }

// compareResult for vectors.
Status CompareVector(const EvalCmd& ev, const promql::Vector& vec) {
  if (ev.expect_scalar) return Status::InvalidArgument("expected scalar result, but got vector");
  std::map<uint64_t, bool> seen;
  for (size_t pos = 0; pos < vec.size(); ++pos) {
    const auto& s = vec[pos];
    uint64_t h = s.metric.Hash();
    auto it = ev.expected.find(h);
    if (it == ev.expected.end()) {
      return Status::InvalidArgument(
          fmt::format("unexpected metric {} in result, has value {}", s.metric.ToString(), FmtValue(s.f)));
    }
    if (ev.IsOrdered() && it->second.pos != static_cast<int>(pos) + 1) {
      return Status::InvalidArgument(fmt::format("expected metric {} at position {} but was at {}",
                                                 s.metric.ToString(), it->second.pos, pos + 1));
    }
    double exp = it->second.vals.empty() || !it->second.vals[0] ? 0 : *it->second.vals[0];
    if (!AlmostEqual(exp, s.f)) {
      return Status::InvalidArgument(fmt::format("expected {} for {} but got {}", FmtValue(exp),
                                                 s.metric.ToString(), FmtValue(s.f)));
    }
    seen[h] = true;
  }
  for (const auto& [h, e] : ev.expected) {
    if (!seen.count(h)) {
      return Status::InvalidArgument(fmt::format("expected metric {} not found", e.labels.ToString()));
    }
  }
  return Status::Ok();
}

Status CompareMatrix(const EvalCmd& ev, const promql::Matrix& mat) {
  if (ev.IsOrdered()) return Status::InvalidArgument("expected ordered result, but query returned a matrix");
  if (ev.expect_scalar) return Status::InvalidArgument("expected scalar result, but got matrix");
  for (size_t i = 1; i < mat.size(); ++i) {
    if (mat[i] .metric < mat[i - 1].metric) {
      return Status::InvalidArgument("matrix results should always be sorted by labels");
    }
  }
  std::map<uint64_t, bool> seen;
  for (const auto& s : mat) {
    uint64_t h = s.metric.Hash();
    auto it = ev.expected.find(h);
    if (it == ev.expected.end()) {
      std::string pts;
      for (const auto& p : s.floats) pts += fmt::format(" {}@{}", FmtValue(p.f), p.t);
      return Status::InvalidArgument(
          fmt::format("unexpected metric {} in result, has{}", s.metric.ToString(), pts));
    }
    seen[h] = true;
    std::vector<promql::FPoint> expected;
    for (size_t i = 0; i < it->second.vals.size(); ++i) {
      int64_t ts = ev.start + static_cast<int64_t>(i) * ev.step;
      if (ts > ev.end) {
        return Status::InvalidArgument("expected more points than the query range can return");
      }
      if (it->second.vals[i]) expected.push_back({ts, *it->second.vals[i]});
    }
    std::string got;
    for (const auto& p : s.floats) got += fmt::format(" {}@{}", FmtValue(p.f), p.t);
    if (expected.size() != s.floats.size()) {
      return Status::InvalidArgument(fmt::format("expected {} points for {}, but got{}",
                                                 expected.size(), s.metric.ToString(), got));
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (expected[i].t != s.floats[i].t || !AlmostEqual(expected[i].f, s.floats[i].f)) {
        return Status::InvalidArgument(fmt::format("expected {}@{} at index {} for {}, got{}",
                                                   FmtValue(expected[i].f), expected[i].t, i,
                                                   s.metric.ToString(), got));
      }
    }
  }
  for (const auto& [h, e] : ev.expected) {
    if (!seen.count(h)) {
      return Status::InvalidArgument(fmt::format("expected metric {} not found", e.labels.ToString()));
    }
  }
  return Status::Ok();
}

Status CompareResult(const EvalCmd& ev, const promql::Value& v) {
  if (const auto* m = std::get_if<promql::Matrix>(&v)) return CompareMatrix(ev, *m);
  if (const auto* vec = std::get_if<promql::Vector>(&v)) return CompareVector(ev, *vec);
  if (const auto* s = std::get_if<promql::Scalar>(&v)) {
    if (!ev.expect_scalar) {
      return Status::InvalidArgument(fmt::format("expected vector or matrix result, but got scalar {}", FmtValue(s->v)));
    }
    if (!AlmostEqual(ev.scalar, s->v)) {
      return Status::InvalidArgument(fmt::format("expected scalar {} but got {}", FmtValue(ev.scalar), FmtValue(s->v)));
    }
    return Status::Ok();
  }
  const auto& str = std::get<promql::StringValue>(v);
  std::string want = ev.expected_string.value_or("");
  if (want != str.v) {
    return Status::InvalidArgument(fmt::format("expected string \"{}\" but got \"{}\"", want, str.v));
  }
  return Status::Ok();
}

Status CheckExpectedFailure(const EvalCmd& ev, const Status& actual) {
  const std::string& msg = actual.message();
  if (!ev.expected_fail_message.empty() && ev.expected_fail_message != msg) {
    return Status::InvalidArgument(fmt::format("expected error \"{}\", but got: {}", ev.expected_fail_message, msg));
  }
  if (ev.expected_fail_regexp && !RE2::PartialMatch(msg, *ev.expected_fail_regexp)) {
    return Status::InvalidArgument("expected error matching pattern, but got: " + msg);
  }
  if (const Expect* e = ev.FailExpect(); e && !e->Matches(msg)) {
    return Status::InvalidArgument(fmt::format("expected error matching \"{}\", but got: {}",
                                               e->regex ? "<regex>" : e->message, msg));
  }
  return Status::Ok();
}

Status CheckAnnotationsOfType(const EvalCmd& ev, std::string_view type,
                              const std::vector<std::string>& actual) {
  std::vector<const Expect*> expected;
  for (const auto& e : ev.expects) if (e.type == type) expected.push_back(&e);
  if (expected.empty()) return Status::Ok();
  if (actual.empty()) return Status::InvalidArgument(fmt::format("expected {} annotations but none were found", type));
  for (const Expect* e : expected) {
    bool found = false;
    for (const auto& a : actual) found = found || e->Matches(a);
    if (!found) {
      return Status::InvalidArgument(fmt::format("expected {} annotation \"{}\" not found; got: {}", type,
                                                 e->message, fmt::join(actual, " | ")));
    }
  }
  for (const auto& a : actual) {
    bool found = false;
    for (const Expect* e : expected) found = found || e->Matches(a);
    if (!found) return Status::InvalidArgument(fmt::format("unexpected {} annotation \"{}\"", type, a));
  }
  return Status::Ok();
}

Status CheckAnnotations(const EvalCmd& ev, const promql::QueryResult& r) {
  if (ev.warn && r.warnings.empty()) return Status::InvalidArgument("expected warnings but got none");
  if (ev.info && r.infos.empty()) return Status::InvalidArgument("expected info annotations but got none");
  ABHRA_RETURN_IF_ERROR(CheckAnnotationsOfType(ev, "warn", r.warnings));
  ABHRA_RETURN_IF_ERROR(CheckAnnotationsOfType(ev, "info", r.infos));
  if (ev.Has("no_warn") && !r.warnings.empty()) {
    return Status::InvalidArgument("unexpected warning annotations: " + fmt::format("{}", fmt::join(r.warnings, " | ")));
  }
  if (ev.Has("no_info") && !r.infos.empty()) {
    return Status::InvalidArgument("unexpected info annotations: " + fmt::format("{}", fmt::join(r.infos, " | ")));
  }
  return Status::Ok();
}

// Pins every selector and subquery (outside a subquery that has @) to `ts`, as
// promqltest's atModifierTestCases does. Returns false when the expression holds a
// function whose result depends on the evaluation time.
bool PinAt(Expr* e, int64_t ts, bool* unsafe) {
  switch (e->kind) {
    case Expr::Kind::kVectorSelector:
      if (e->at == promql::AtKind::kNone || e->at == promql::AtKind::kStart ||
          e->at == promql::AtKind::kEnd) {
        if (e->at == promql::AtKind::kNone) {
          e->at = promql::AtKind::kTime;
          e->at_ms = ts;
        }
      }
      return true;
    case Expr::Kind::kMatrixSelector:
      return PinAt(e->args[0].get(), ts, unsafe);
    case Expr::Kind::kSubquery:
      if (e->at == promql::AtKind::kNone) {
        e->at = promql::AtKind::kTime;
        e->at_ms = ts;
      }
      // Selectors inside a subquery with @ keep their own times.
      {
        std::function<void(Expr*)> scan = [&](Expr* x) {
          if (x->kind == Expr::Kind::kCall && promql::IsAtModifierUnsafeFunction(x->str)) *unsafe = true;
          for (auto& a : x->args) scan(a.get());
        };
        scan(e->args[0].get());
      }
      return true;
    case Expr::Kind::kCall:
      if (promql::IsAtModifierUnsafeFunction(e->str)) *unsafe = true;
      [[fallthrough]];
    default:
      for (auto& a : e->args) PinAt(a.get(), ts, unsafe);
      return true;
  }
}

class Runner {
 public:
  Runner(std::string file, const RunOptions& opts) : file_(std::move(file)), opts_(opts) {
    qopts_.max_samples = 10000;
    qopts_.timeout = std::chrono::seconds(100);
  }

  std::vector<CaseResult> Run() {
    std::ifstream in(file_);
    std::vector<CaseResult> results;
    if (!in) {
      results.push_back(CaseResult{file_, 0, "", false, false, "cannot read file"});
      return results;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<Command> cmds;
    Status st = ParseScript(ss.str(), &cmds);
    if (!st.ok()) {
      results.push_back(CaseResult{file_, 0, "", false, false, "script parse error: " + st.message()});
      return results;
    }
    for (auto& c : cmds) {
      switch (c.kind) {
        case Command::kClear:
          db_ = std::make_unique<storage::MemStorage>();
          native_series_.clear();
          break;
        case Command::kLoad:
          Load(c.load);
          break;
        case Command::kEval:
          results.push_back(Eval(c.eval));
          break;
      }
    }
    return results;
  }

 private:
  // True when a selector of `query` matches a series loaded with native histogram values
  // (which this runner does not load), so the case is skipped rather than failed.
  bool TouchesNativeHistograms(const std::string& query) const {
    if (native_series_.empty()) return false;
    auto e = promql::ParseExpr(query);
    if (!e.ok()) {
      // Unparsable here (e.g. the native-histogram-only trim operators </ and >/): skip it
      // when it names a native histogram series.
      for (const Labels& l : native_series_) {
        std::string name(l.MetricName());
        if (!name.empty() && query.find(name) != std::string::npos) return true;
      }
      return false;
    }
    bool touches = false;
    std::function<void(const Expr&)> walk = [&](const Expr& x) {
      if (x.kind == Expr::Kind::kVectorSelector) {
        for (const Labels& l : native_series_) touches = touches || MatchesAll(x.matchers, l);
      }
      for (const auto& a : x.args) walk(*a);
    };
    walk(**e);
    return touches;
  }

  void Load(const LoadCmd& load) {
    auto app = db_->MakeAppender();
    for (const auto& s : load.series) {
      if (s.native_histogram) {
        native_series_.push_back(s.labels);
        continue;
      }
      if (load.with_nhcb) {
        // load_with_nhcb also stores each classic histogram as a native histogram with
        // custom buckets under the base name; queries on those are native-histogram cases.
        std::string name(s.labels.MetricName());
        for (std::string_view suf : {"_bucket", "_count", "_sum"}) {
          if (name.size() > suf.size() && name.ends_with(suf)) {
            Labels base = s.labels;
            base.Del("le");
            base.Set(kMetricName, name.substr(0, name.size() - suf.size()));
            native_series_.push_back(std::move(base));
            break;
          }
        }
      }
      int64_t ts = 0;
      for (const auto& v : s.values) {
        if (v) (void)app->Append(0, s.labels, ts, *v);
        ts += load.gap;
      }
    }
    (void)app->Commit();
  }

  CaseResult Eval(const EvalCmd& ev) {
    CaseResult r{file_, ev.line, ev.expr, false, false, ""};
    std::string base = file_.substr(file_.find_last_of('/') + 1);
    std::string where = fmt::format("{}:{}", base, ev.line);
    for (const auto& p : opts_.skip_patterns) {
      if (where.find(p) != std::string::npos || ev.expr.find(p) != std::string::npos) {
        r.skipped = true;
        r.message = "skipped by --skip-file pattern \"" + p + "\"";
        return r;
      }
    }
    if (ev.native_histogram || TouchesNativeHistograms(ev.expr)) {
      r.skipped = true;
      r.message = "native histograms are not supported";
      return r;
    }
    Status st = ev.is_range ? RangeEval(ev) : InstantEval(ev);
    r.passed = st.ok();
    r.message = st.message();
    return r;
  }

  Status RangeEval(const EvalCmd& ev) {
    auto res = engine_.RangeQuery(*db_, ev.expr, ev.start, ev.end, ev.step, qopts_);
    if (!res.ok()) {
      if (ev.IsFail()) return CheckExpectedFailure(ev, res.status());
      return Status::InvalidArgument("error evaluating query: " + res.status().message());
    }
    if (ev.IsFail()) return Status::InvalidArgument("expected error evaluating query but got none");
    ABHRA_RETURN_IF_ERROR(CheckAnnotations(ev, *res));
    return CompareResult(ev, res->value);
  }

  Status InstantEval(const EvalCmd& ev) {
    auto parsed = promql::ParseExpr(ev.expr);
    if (!parsed.ok()) {
      if (ev.IsFail()) return CheckExpectedFailure(ev, parsed.status());
      return Status::InvalidArgument("error parsing query: " + parsed.status().message());
    }
    std::vector<std::pair<std::string, int64_t>> queries = {{ev.expr, ev.eval_time}};
    bool unsafe = false;
    auto pinned = (*parsed)->Clone();
    int64_t ts = ev.eval_time;
    PinAt(pinned.get(), ts, &unsafe);
    if (!unsafe) {
      std::string s = pinned->ToString();
      std::vector<int64_t> times = {-10 * ts, 0, ts / 5, ts, 10 * ts};
      if (ts == 0) times = {-1000, -ts, 1000};
      for (int64_t t : times) queries.push_back({s, t});
    }
    static const RE2 kContextFuncs(R"((start|end|range|step)\(\))");
    for (const auto& [q, t] : queries) {
      auto res = engine_.InstantQuery(*db_, q, t, qopts_);
      if (!res.ok()) {
        if (ev.IsFail()) {
          ABHRA_RETURN_IF_ERROR(CheckExpectedFailure(ev, res.status()));
          continue;
        }
        return Status::InvalidArgument(fmt::format("error evaluating query {} at {}: {}", q, t, res.status().message()));
      }
      if (ev.IsFail()) return Status::InvalidArgument(fmt::format("expected error evaluating query {} but got none", q));
      ABHRA_RETURN_IF_ERROR(CheckAnnotations(ev, *res));
      EvalCmd cmp = ev;
      if (!ev.exclude_from_range) cmp.start = t;
      if (Status c = CompareResult(cmp, res->value); !c.ok()) {
        return Status::InvalidArgument(fmt::format("{} (query {} at {})", c.message(), q, t));
      }
      if (ev.exclude_from_range || RE2::PartialMatch(q, kContextFuncs)) continue;
      auto rr = engine_.RangeQuery(*db_, q, t - 60000, t + 60000, 60000, qopts_);
      if (!rr.ok()) {
        return Status::InvalidArgument(fmt::format("error evaluating query {} in range mode: {}", q, rr.status().message()));
      }
      if (ev.IsOrdered()) continue;
      const auto& mat = std::get<promql::Matrix>(rr->value);
      promql::Vector vec;
      for (const auto& s : mat) {
        for (const auto& p : s.floats) {
          if (p.t == t) {
            vec.push_back(promql::Sample{s.metric, t, p.f, false});
            break;
          }
        }
      }
      Status c;
      if (std::holds_alternative<promql::Scalar>(res->value)) {
        if (vec.empty()) {
          c = Status::InvalidArgument("range mode returned no scalar value");
        } else {
          c = CompareResult(cmp, promql::Scalar{t, vec[0].f});
        }
      } else {
        c = CompareResult(cmp, vec);
      }
      if (!c.ok()) return Status::InvalidArgument(fmt::format("{} (range mode, query {} at {})", c.message(), q, t));
    }
    return Status::Ok();
  }

  std::string file_;
  const RunOptions& opts_;
  std::unique_ptr<storage::MemStorage> db_ = std::make_unique<storage::MemStorage>();
  promql::Engine engine_;
  promql::QueryOptions qopts_;
  std::vector<Labels> native_series_;
};

}  // namespace

std::vector<CaseResult> RunTestFile(const std::string& path, const RunOptions& opts) {
  Runner r(path, opts);
  return r.Run();
}

}  // namespace abhra::promqltest
