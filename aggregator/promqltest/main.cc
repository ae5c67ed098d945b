// abhra-promqltest FILE... [--skip-file LIST]: runs Prometheus-style PromQL .test scripts and
// prints each failure, per-file counts and, last, "N passed, N failed".
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "aggregator/promqltest/test_runner.h"

int main(int argc, char** argv) {
  using namespace abhra::promqltest;
  RunOptions opts;
  std::vector<std::string> files;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--skip-file" && i + 1 < argc) {
      std::ifstream in(argv[++i]);
      if (!in) {
        fmt::print(stderr, "cannot read skip file {}\n", argv[i]);
        return 2;
      }
      std::string l;
      while (std::getline(in, l)) {
        if (!l.empty() && l[0] != '#') opts.skip_patterns.push_back(l);
      }
    } else if (a == "-v" || a == "--verbose") {
      verbose = true;
    } else if (a == "-h" || a == "--help") {
      fmt::print("usage: abhra-promqltest [--skip-file LIST] [-v] FILE...\n");
      return 0;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    fmt::print(stderr, "usage: abhra-promqltest [--skip-file LIST] [-v] FILE...\n");
    return 2;
  }
  int passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> summary;
  for (const auto& f : files) {
    auto results = RunTestFile(f, opts);
    int p = 0, fl = 0, s = 0;
    for (const auto& r : results) {
      if (r.skipped) {
        ++s;
        if (verbose) fmt::print("SKIP {}:{}: {} ({})\n", r.file, r.line, r.query, r.message);
      } else if (r.passed) {
        ++p;
      } else {
        ++fl;
        fmt::print("FAIL {}:{}: {}\n    {}\n", r.file, r.line, r.query, r.message);
      }
    }
    summary.push_back(fmt::format("{}: {} passed, {} failed, {} skipped", f, p, fl, s));
    passed += p;
    failed += fl;
    skipped += s;
  }
  for (const auto& s : summary) fmt::print("{}\n", s);
  fmt::print("{} skipped\n", skipped);
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
